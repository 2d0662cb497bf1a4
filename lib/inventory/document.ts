/** A parsed inventory document: plain data in kubemend's shape plus a way back to source positions. */

import type { InventoryIssue } from './errors.js';

/** A path into the document, as zod reports it. */
export type DocPath = readonly PropertyKey[];

/** Where a path points in the source, and the name to show for it. */
export interface Position {
  line: number;
  column: number;
  field: string;
  /** The file it is in, when not the inventory file itself (a group_vars file). */
  file?: string;
  /** Set when the value has no line of its own: it came from `ansible-inventory --list`. */
  via?: 'ansible-inventory';
}

/** `file:line` of a position (or `ansible-inventory`), for "where did this value come from". */
export function whereOf(p: Position, inventoryFile: string): string {
  return p.via ?? `${p.file ?? inventoryFile}:${p.line}`;
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
  /** Where a value came from when it is not a line of a file (formatted path -> `--cluster-name`, `folder name x/`, ...). */
  sources?: ReadonlyMap<string, string>;
  /** What an Ansible inventory adds: its groups, who read it, the vars files read. */
  ansible?: AnsibleInfo;
}

/** What an Ansible inventory says beyond kubemend's shape. */
export interface AnsibleInfo {
  /** Each group's own hosts and child groups. */
  groups: ReadonlyMap<string, { hosts: string[]; children: string[] }>;
  /** `ansible-inventory`, or kubemend's reader. */
  reference: string;
  /** group_vars/host_vars files read. */
  varsFiles: string[];
  /** The inventory has an `etcd` group (else kubeadm's stacked etcd is assumed). */
  hasEtcdGroup: boolean;
  /** kubespray's etcd_deployment_type (host, docker, kubeadm), when set. */
  etcdDeploymentType?: string;
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
