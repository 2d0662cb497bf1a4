/** loadInventory: read, detect the format, validate and resolve an inventory file. */
import { readFileSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { ansibleDocument } from './ansible-document.js';
import { looksLikeIni, readAnsibleIni } from './ansible-ini.js';
import { looksLikeAnsibleYaml, readAnsibleYaml } from './ansible-yaml.js';
import { crossCheck } from './checks.js';
import type { ParsedDocument } from './document.js';
import { InventoryError, type InventoryIssue } from './errors.js';
import { kubemendDocument } from './kubemend-yaml.js';
import { resolveInventory } from './resolve.js';
import { inventorySchema } from './schema.js';
import { defaultSshConfigPath, readSshConfig, type SshConfigLookup } from './ssh-config.js';
import type { Inventory } from './types.js';
import { parseYaml } from './yaml-source.js';
import { fromZodIssues } from './zod-issues.js';

/** Largest inventory file read (1 MiB); bigger files are refused before parsing. */
export const MAX_INVENTORY_BYTES = 1024 * 1024;

/** Options of loadInventory. */
export interface LoadOptions {
  /** ssh config file to honour (default ~/.ssh/config; an absent file is fine). */
  sshConfigPath?: string;
  /** Reserved: host selection is selectHosts()'s job, not the loader's. */
  limit?: never;
}

/** Load an inventory file (kubemend YAML, kubespray/Ansible YAML or Ansible INI); throws InventoryError listing every problem. */
export async function loadInventory(path: string, opts: LoadOptions = {}): Promise<Inventory> {
  const file = path;
  const absFile = resolve(path);
  const fail = (issues: InventoryIssue[]): never => {
    throw new InventoryError(file, sortIssues(issues));
  };
  const fileIssue = (message: string): never => fail([{ file, line: 1, column: 1, field: '(file)', message }]);

  let size: number;
  try {
    const st = statSync(absFile);
    if (!st.isFile()) fileIssue('not a regular file');
    size = st.size;
  } catch (err) {
    if (err instanceof InventoryError) throw err;
    return fileIssue(`cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (size > MAX_INVENTORY_BYTES) fileIssue(`file is ${size} bytes; an inventory may be at most ${MAX_INVENTORY_BYTES} bytes (1 MiB)`);
  let text: string;
  try {
    text = readFileSync(absFile, 'utf8');
  } catch (err) {
    return fileIssue(`cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (text.trim() === '') fileIssue('the file is empty');

  const doc = parseDocumentOf(file, absFile, text);
  if (Array.isArray(doc)) return fail(doc);

  const issues: InventoryIssue[] = [...(doc.readIssues ?? [])];
  const parsed = inventorySchema.safeParse(doc.data);
  if (!parsed.success) issues.push(...fromZodIssues(file, doc, parsed.error.issues));
  const cross = crossCheck(file, absFile, doc);
  issues.push(...cross.issues);
  if (issues.length > 0 || !parsed.success) return fail(issues);

  let sshConfig: SshConfigLookup;
  try {
    sshConfig = readSshConfig(opts.sshConfigPath ?? defaultSshConfigPath());
  } catch (err) {
    return fileIssue(`while loading this inventory: ${(err as Error).message}`);
  }
  doc.warnings.push(...cross.warnings);
  const res = resolveInventory(file, absFile, doc, parsed.data, sshConfig);
  if (!res.inventory || res.issues.length > 0) return fail(res.issues);
  return res.inventory;
}

/** Detect the format of `text` and parse it into a ParsedDocument, or the issues that stopped it. */
function parseDocumentOf(file: string, absFile: string, text: string): ParsedDocument | InventoryIssue[] {
  const ext = extname(absFile).toLowerCase();
  if (ext === '.ini' || ext === '.cfg' || looksLikeIni(text)) {
    const r = readAnsibleIni(file, text);
    return ansibleDocument(absFile, 'ansible-ini', r.model, r.top, r.issues);
  }
  const src = parseYaml(file, text);
  if (Array.isArray(src)) return src;
  if (src.data === null || src.data === undefined) return [{ file, line: 1, column: 1, field: '(file)', message: 'the file is empty (only comments)' }];
  if (looksLikeAnsibleYaml(src.data)) {
    const r = readAnsibleYaml(file, src);
    return ansibleDocument(absFile, 'ansible-yaml', r.model, r.top, r.issues);
  }
  const doc = kubemendDocument(src);
  if (typeof src.data !== 'object' || Array.isArray(src.data)) {
    return [{ file, ...doc.locate([]), message: 'an inventory must be a mapping with cluster, controlPlaneEndpoint and hosts' }];
  }
  return doc;
}

/** Sort issues by position and drop exact duplicates. */
function sortIssues(issues: InventoryIssue[]): InventoryIssue[] {
  const seen = new Set<string>();
  return [...issues]
    .sort((a, b) => a.line - b.line || a.column - b.column)
    .filter((i) => {
      const k = `${i.line}:${i.column}:${i.field}:${i.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}
