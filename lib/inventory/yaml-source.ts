/** YAML parsing with source positions (yaml's parseDocument + LineCounter). */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type ScalarTag } from 'yaml';
import type { DocPath } from './document.js';
import type { InventoryIssue } from './errors.js';

/** A YAML document with its line counter, or the syntax issues that stopped it. */
export interface YamlSource {
  doc: Document.Parsed;
  lines: LineCounter;
  /** Plain JS value of the document. */
  data: unknown;
}

/** Ansible's YAML tags: `!vault` (an encrypted value, kept as `{__ansible_vault}` as ansible-inventory prints it) and `!unsafe` (a literal string). */
const ANSIBLE_TAGS: ScalarTag[] = [
  { tag: '!vault', resolve: (s: string) => ({ __ansible_vault: s }) } as unknown as ScalarTag,
  { tag: '!unsafe', resolve: (s: string) => s } as ScalarTag,
];

/**
 * Parse `text` as one YAML document; syntax problems become issues (messages without source
 * excerpts). `ansible`: as Ansible's loader reads it (YAML 1.1 like PyYAML, its tags; duplicate
 * keys allowed, the last one wins, when `uniqueKeys` is false).
 */
export function parseYaml(file: string, text: string, opts: { ansible?: boolean; uniqueKeys?: boolean } = {}): YamlSource | InventoryIssue[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: opts.uniqueKeys ?? true,
    ...(opts.ansible ? { version: '1.1' as const, customTags: ANSIBLE_TAGS } : {}),
  });
  if (doc.errors.length > 0) {
    return doc.errors.map((e) => {
      const at = lines.linePos(e.pos[0]);
      return { file, line: Math.max(1, at.line), column: Math.max(1, at.col), field: '(syntax)', message: `YAML: ${cleanYamlMessage(e.message)}` };
    });
  }
  try {
    return { doc, lines, data: doc.toJS({ maxAliasCount: 100 }) };
  } catch (err) {
    return [{ file, line: 1, column: 1, field: '(syntax)', message: `YAML: ${cleanYamlMessage(String((err as Error).message ?? err))}` }];
  }
}

/** Keep the first line of a yaml message, without the quoted source excerpt (it could hold a secret). */
function cleanYamlMessage(msg: string): string {
  return msg
    .split('\n')[0]!
    .replace(/ at line \d+, column \d+:?$/, '')
    .replace(/:$/, '');
}

/** The node at `path` and the deepest path that exists; `key` returns the mapping key node of the last segment. */
export function nodeAt(doc: Document.Parsed, path: DocPath, key = false): Node | undefined {
  let node: unknown = doc.contents;
  let best: Node | undefined = (node as Node) ?? undefined;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyString(p.key) === String(seg));
      if (!pair) return best;
      if (last && key && pair.key) return pair.key as Node;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      if (node === undefined) return best;
    } else {
      return best;
    }
    if (node && typeof node === 'object' && 'range' in (node as object)) best = node as Node;
  }
  return best;
}

function keyString(k: unknown): string | undefined {
  if (isScalar(k)) return String(k.value);
  return k === null || k === undefined ? undefined : String(k);
}

/** 1-based line and column of a node (1:1 when unknown). */
export function positionOf(lines: LineCounter, node: Node | undefined): { line: number; column: number } {
  const offset = node?.range?.[0];
  if (offset === undefined) return { line: 1, column: 1 };
  const p = lines.linePos(offset);
  return { line: Math.max(1, p.line), column: Math.max(1, p.col) };
}
