/** A parsed inventory document: plain data in kubemend's shape plus a way back to source positions. */

import type { InventoryIssue } from './errors.js';

/** A path into the document, as zod reports it. */
export type DocPath = readonly PropertyKey[];

/** Where a path points in the source file, and the name to show for it. */
export interface Position {
  line: number;
  column: number;
  field: string;
}

/** The inventory formats loadInventory reads. */
export type InventoryFormat = 'kubemend' | 'ansible-yaml' | 'ansible-ini';

/** A document in kubemend's shape, whatever file format it came from. */
export interface ParsedDocument {
  format: InventoryFormat;
  /** Data in kubemend's inventory shape (not yet validated). */
  data: unknown;
  /** Source position of `path`; `key` asks for the mapping key rather than its value. */
  locate(path: DocPath, key?: boolean): Position;
  /** Paths (formatted) whose values were not written in the file but derived (ssh config may override them). */
  implicit: ReadonlySet<string>;
  /** Non-fatal findings made while reading the file. */
  warnings: string[];
  /** Problems found while reading the file's structure (validation still runs on the rest). */
  readIssues?: InventoryIssue[];
}

/** Format a path as `hosts[2].labels["app.kubernetes.io/name"]`. */
export function formatPath(path: DocPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out || '(document)';
}

/** A name used as a field segment: bare when plain, JSON-quoted when empty or unusual. */
export function fieldSeg(name: string): string {
  return /^[A-Za-z0-9_.:-]+$/.test(name) ? name : JSON.stringify(name);
}
