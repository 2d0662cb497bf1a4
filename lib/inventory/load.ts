/** loadInventory: find, read, detect the format, validate and resolve an inventory (a file, or a kubespray inventory folder). */
import { readFileSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { ansibleInventoryList, dynamicGroupsSource, findAnsibleInventory, reconcileWithAnsible } from './ansible-cli.js';
import { ansibleDocument } from './ansible-document.js';
import { looksLikeIni, readAnsibleIni } from './ansible-ini.js';
import type { AnsibleModel } from './ansible-model.js';
import { usedVar } from './ansible-support.js';
import { addKubesprayGroups, flatten, kubesprayGroupAdditions, type FlatInventory } from './ansible-vars.js';
import { looksLikeAnsibleYaml, readAnsibleYaml } from './ansible-yaml.js';
import { crossCheck } from './checks.js';
import type { ParsedDocument, Position } from './document.js';
import { InventoryError, type InventoryIssue } from './errors.js';
import { findInventoryFile, findKubesprayRoot } from './find.js';
import { kubemendDocument } from './kubemend-yaml.js';
import { resolveInventory } from './resolve.js';
import { ansibleInventorySchema, inventorySchema } from './schema.js';
import { openSshConfig, type SshConfigLookup } from './ssh-config.js';
import { isDnsLabel } from './syntax.js';
import type { Inventory } from './types.js';
import { VarsFileCache } from './vars-files.js';
import { parseYaml } from './yaml-source.js';
import { fromZodIssues } from './zod-issues.js';

/** Largest inventory file read (1 MiB); bigger files are refused before parsing. */
export const MAX_INVENTORY_BYTES = 1024 * 1024;

/** Options of loadInventory. */
export interface LoadOptions {
  /** ssh config file to honour (default ~/.ssh/config and /etc/ssh/ssh_config, as ssh reads them; an absent file is fine). */
  sshConfigPath?: string;
  /** Reserved: host selection is selectHosts()'s job, not the loader's. */
  limit?: never;
  /** The cluster's name (--cluster-name): wins over the inventory's vars and its file name. */
  clusterName?: string;
  /** The `ansible-inventory` to take as the reference for Ansible inventories; false: kubemend's reader alone. Default: $KUBEMEND_ANSIBLE_INVENTORY, else the one on PATH. */
  ansibleInventory?: string | false;
  /** The `ssh` to ask (`ssh -G`) for ~/.ssh/config; false: kubemend's reader. Default: $KUBEMEND_SSH, else the one on PATH. */
  ssh?: string | false;
  /** The playbook folder whose group_vars/host_vars apply too (default: $KUBEMEND_PLAYBOOK_DIR, else the kubespray checkout around the inventory). */
  playbookDir?: string;
}

/**
 * Load an inventory: kubemend YAML, kubespray/Ansible YAML or INI (with group_vars/ and host_vars/),
 * or a folder holding one (kubespray's inventory/NAME/); throws InventoryError listing every problem.
 */
export async function loadInventory(path: string, opts: LoadOptions = {}): Promise<Inventory> {
  let file = path;
  let absFile = resolve(path);
  const fail = (issues: InventoryIssue[]): never => {
    throw new InventoryError(file, sortIssues(issues));
  };
  const fileIssue = (message: string, field = '(file)'): never => fail([{ file, line: 1, column: 1, field, message }]);
  if (opts.clusterName !== undefined && !isDnsLabel(opts.clusterName))
    fileIssue(`--cluster-name ${JSON.stringify(opts.clusterName)} must be a DNS-1123 label (lowercase a-z, 0-9 and -, at most 63)`, '--cluster-name');

  let size: number;
  try {
    let st = statSync(absFile);
    if (st.isDirectory()) {
      const found = findInventoryFile(path);
      if ('problem' in found) return fileIssue(found.problem);
      file = found.file;
      absFile = resolve(file);
      st = statSync(absFile);
    }
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

  const doc = await parseDocumentOf(file, absFile, text, opts);
  if (Array.isArray(doc)) return fail(doc);

  if (doc.format === 'kubemend' && opts.clusterName !== undefined) {
    const written = (doc.data as { cluster?: unknown } | null)?.cluster;
    if (written !== undefined && written !== opts.clusterName) {
      fail([
        {
          file,
          ...doc.locate(['cluster']),
          message: `--cluster-name ${opts.clusterName} differs from the cluster this inventory names (${JSON.stringify(written)}): is it the right inventory?`,
        },
      ]);
    }
  }
  const issues: InventoryIssue[] = [...(doc.readIssues ?? [])];
  const parsed = (doc.format === 'kubemend' ? inventorySchema : ansibleInventorySchema).safeParse(doc.data);
  if (!parsed.success) issues.push(...fromZodIssues(file, doc, parsed.error.issues));
  const cross = crossCheck(file, absFile, doc);
  issues.push(...cross.issues);
  if (issues.length > 0 || !parsed.success) return fail(issues);

  let sshConfig: SshConfigLookup;
  try {
    sshConfig = openSshConfig(opts.sshConfigPath, { ssh: opts.ssh });
    const names = parsed.data.hosts.flatMap((h) => [h.name, h.address]);
    const jumps = [parsed.data.ssh?.jump, ...parsed.data.hosts.map((h) => h.jump)].flatMap((j) => (j ? [j.host] : []));
    await sshConfig.prefetch([...names, ...jumps]);
  } catch (err) {
    return fileIssue(`while loading this inventory: ${(err as Error).message}`);
  }
  doc.warnings.push(...cross.warnings);
  let res: ReturnType<typeof resolveInventory>;
  try {
    res = resolveInventory(file, absFile, doc, parsed.data, sshConfig);
  } catch (err) {
    return fileIssue(`while loading this inventory: ${(err as Error).message}`);
  }
  if (!res.inventory || res.issues.length > 0) return fail(res.issues);
  return res.inventory;
}

/** Detect the format of `text` and parse it into a ParsedDocument, or the issues that stopped it. */
async function parseDocumentOf(file: string, absFile: string, text: string, opts: LoadOptions): Promise<ParsedDocument | InventoryIssue[]> {
  const ext = extname(absFile).toLowerCase();
  const top: Position = { line: 1, column: 1, field: '(document)' };
  if (text.startsWith('#!')) return ansibleOnly(file, absFile, 'an inventory script', top, opts);
  if (ext === '.ini' || ext === '.cfg' || looksLikeIni(text)) {
    const r = readAnsibleIni(file, text);
    return ansibleDoc(file, absFile, 'ansible-ini', r.model, r.top, r.issues, opts);
  }
  const src = parseYaml(file, text);
  if (Array.isArray(src)) return src;
  if (src.data === null || src.data === undefined) return [{ file, line: 1, column: 1, field: '(file)', message: 'the file is empty (only comments)' }];
  if (src.data && typeof src.data === 'object' && !Array.isArray(src.data) && 'plugin' in src.data) {
    return ansibleOnly(file, absFile, `an inventory plugin's configuration (plugin: ${String((src.data as Record<string, unknown>).plugin)})`, top, opts);
  }
  if (looksLikeAnsibleYaml(src.data)) {
    const asAnsible = parseYaml(file, text, { ansible: true });
    if (Array.isArray(asAnsible)) return asAnsible;
    const r = readAnsibleYaml(file, asAnsible);
    return ansibleDoc(file, absFile, 'ansible-yaml', r.model, r.top, r.issues, opts);
  }
  const doc = kubemendDocument(src);
  if (typeof src.data !== 'object' || Array.isArray(src.data)) {
    return [{ file, ...doc.locate([]), message: 'an inventory must be a mapping with cluster, controlPlaneEndpoint and hosts' }];
  }
  return doc;
}

/** The playbook folder for group_vars: the option, $KUBEMEND_PLAYBOOK_DIR, or kubespray's checkout around the inventory. */
function playbookDirOf(absFile: string, opts: LoadOptions): string | undefined {
  const p = opts.playbookDir ?? process.env.KUBEMEND_PLAYBOOK_DIR;
  return p ? resolve(p) : findKubesprayRoot(dirname(absFile));
}

/** An Ansible inventory kubemend's reader read: vars files and precedence applied, then checked against ansible-inventory when installed. */
async function ansibleDoc(
  file: string,
  absFile: string,
  format: 'ansible-yaml' | 'ansible-ini',
  model: AnsibleModel,
  top: Position,
  readIssues: InventoryIssue[],
  opts: LoadOptions,
): Promise<ParsedDocument> {
  const additions = kubesprayGroupAdditions(model);
  addKubesprayGroups(model);
  const inventoryDir = dirname(absFile);
  const playbookDir = playbookDirOf(absFile, opts);
  const cache = new VarsFileCache({ abs: inventoryDir, shown: dirname(file) });
  let flat: FlatInventory = flatten(model, { inventoryDir, playbookDir }, cache, "kubemend's reader");
  const issues = [...readIssues, ...cache.issues];
  const warnings: string[] = [];
  const bin = opts.ansibleInventory === undefined ? findAnsibleInventory() : opts.ansibleInventory || undefined;
  if (bin && issues.length === 0) {
    const r = await ansibleInventoryList({ bin, file: absFile, playbookDir, extraSource: dynamicGroupsSource(additions) });
    if (r.listing) {
      const rec = reconcileWithAnsible(flat, r.listing, usedVar, file);
      flat = rec.flat;
      warnings.push(...rec.warnings);
    } else warnings.push(`ansible-inventory failed (${r.error}); kubemend's reader's answer is used`);
  }
  return ansibleDocument(flat, { file, absFile, format, top, readIssues: issues, clusterName: opts.clusterName, warnings });
}

/** An inventory only Ansible can read (a script, a plugin's configuration): ansible-inventory's answer, or an issue saying why not. */
async function ansibleOnly(file: string, absFile: string, what: string, top: Position, opts: LoadOptions): Promise<ParsedDocument | InventoryIssue[]> {
  const bin = opts.ansibleInventory === undefined ? findAnsibleInventory() : opts.ansibleInventory || undefined;
  const issue = (message: string): InventoryIssue[] => [{ file, line: 1, column: 1, field: '(file)', message }];
  if (!bin) return issue(`${what}: kubemend's reader cannot run it; install ansible-core so that ansible-inventory reads it`);
  const playbookDir = playbookDirOf(absFile, opts);
  const r = await ansibleInventoryList({ bin, file: absFile, playbookDir });
  if (!r.listing) return issue(`${what}: ansible-inventory failed (${r.error})`);
  const empty: FlatInventory = {
    hosts: [],
    hostAt: new Map(),
    groups: new Map(),
    vars: new Map(),
    reference: 'ansible-inventory',
    varsFiles: [],
    unreadable: [],
  };
  const { flat } = reconcileWithAnsible(empty, r.listing, () => false, file);
  return ansibleDocument(flat, { file, absFile, format: 'ansible-yaml', top, clusterName: opts.clusterName });
}

/** Sort issues by file and position and drop exact duplicates (the same group var seen from every host). */
function sortIssues(issues: InventoryIssue[]): InventoryIssue[] {
  const seen = new Set<string>();
  return [...issues]
    .sort((a, b) => a.line - b.line || a.column - b.column)
    .filter((i) => {
      const k = `${i.file}:${i.line}:${i.column}:${i.field}:${i.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}
