/**
 * group_vars/ and host_vars/ as Ansible's host_group_vars plugin finds them
 * (parsing/dataloader.py find_vars_files, _get_dir_vars_files): for entity NAME in BASE/group_vars,
 * the first of `NAME` (a folder: every file in it, sorted, recursively; hidden files, `~`
 * backups and other extensions skipped), `NAME.yml`, `NAME.yaml`, `NAME.json`.
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { isMap, isPair, isScalar, type Node } from 'yaml';
import type { AnsibleValue } from './ansible-model.js';
import { fieldSeg } from './document.js';
import type { InventoryIssue } from './errors.js';
import { parseYaml, positionOf } from './yaml-source.js';

const EXTENSIONS = ['.yml', '.yaml', '.json'];
/** Largest vars file read (1 MiB, as the inventory itself). */
const MAX_VARS_FILE = 1024 * 1024;
/** Most vars files read for one inventory. */
const MAX_VARS_FILES = 2000;

/** The vars of one file, with positions; `vault`: the whole file is Ansible Vault ciphertext (its vars are unknown). */
export interface VarsFile {
  /** The path shown in messages (as the inventory path was given, joined). */
  shown: string;
  vars: Map<string, AnsibleValue>;
  vault?: boolean;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Python's os.path.splitext(name)[1]: the last `.ext`, ignoring leading dots. */
function extOf(name: string): string {
  const base = name.replace(/^\.+/, '');
  const i = base.lastIndexOf('.');
  return i > 0 ? base.slice(i) : '';
}

function dirFiles(dir: string): string[] {
  const found: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return found;
  }
  for (const n of names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (n.startsWith('.') || n.endsWith('~')) continue;
    const ext = extOf(n);
    const full = join(dir, n);
    if (isDir(full) && !ext) found.push(...dirFiles(full));
    else if (isFile(full) && (!ext || EXTENSIONS.includes(ext))) found.push(full);
  }
  return found;
}

/** The vars files Ansible reads for entity `name` under `base/subdir`, in merge order (absolute paths). */
export function findVarsFiles(base: string, subdir: 'group_vars' | 'host_vars', name: string): string[] {
  if (name.startsWith(sep)) return [];
  let root: string;
  try {
    root = realpathSync(join(base, subdir));
  } catch {
    return [];
  }
  if (!isDir(root)) return [];
  for (const ext of ['', ...EXTENSIONS]) {
    const p = join(root, name + ext);
    if (isDir(p)) return dirFiles(p);
    if (isFile(p)) return [p];
  }
  return [];
}

/** Read one vars file: a YAML (or JSON) mapping; problems become issues at their line. */
export function readVarsFile(abs: string, shown: string): { file?: VarsFile; issues: InventoryIssue[] } {
  const issue = (line: number, column: number, field: string, message: string): { issues: InventoryIssue[] } => ({
    issues: [{ file: shown, line, column, field, message }],
  });
  let text: string;
  try {
    const size = statSync(abs).size;
    if (size > MAX_VARS_FILE) return issue(1, 1, '(file)', `vars file is ${size} bytes; at most ${MAX_VARS_FILE} bytes are read`);
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    return issue(1, 1, '(file)', `cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (text.startsWith('$ANSIBLE_VAULT;')) return { file: { shown, vars: new Map(), vault: true }, issues: [] };
  const src = parseYaml(shown, text, { ansible: true, uniqueKeys: false });
  if (Array.isArray(src)) return { issues: src };
  const vars = new Map<string, AnsibleValue>();
  const contents = src.doc.contents as Node | null;
  if (src.data === null || src.data === undefined) return { file: { shown, vars }, issues: [] };
  if (!isMap(contents)) {
    const p = positionOf(src.lines, contents ?? undefined);
    return issue(p.line, p.column, '(document)', 'a vars file must be a mapping of variable names to values');
  }
  for (const pair of contents.items) {
    if (!isPair(pair)) continue;
    const k = String(isScalar(pair.key) ? pair.key.value : pair.key);
    const node = (pair.value ?? pair.key) as Node;
    let value: unknown = null;
    try {
      value = pair.value ? (pair.value as unknown as { toJS(doc: unknown, o: object): unknown }).toJS(src.doc, { maxAliasCount: 100 }) : null;
    } catch {
      const p = positionOf(src.lines, node);
      return issue(p.line, p.column, fieldSeg(k), 'YAML: cannot read this value (too many aliases)');
    }
    const vault = (pair.value as { tag?: string } | null)?.tag === '!vault';
    vars.set(k, { value, at: { ...positionOf(src.lines, node), field: fieldSeg(k), file: shown }, ...(vault ? { vault: true } : {}) });
  }
  return { file: { shown, vars }, issues: [] };
}

/** Reads each vars file once per load (the same file serves every host of a group). */
export class VarsFileCache {
  private readonly files = new Map<string, VarsFile | undefined>();
  /** Every problem met, and the files read, in the order they were first read. */
  readonly issues: InventoryIssue[] = [];
  readonly read: VarsFile[] = [];
  private count = 0;

  constructor(
    /** Where `shown` paths start: the inventory's directory as the user wrote it. */
    private readonly shownBase: { abs: string; shown: string },
  ) {}

  /** The path to show for `abs`: under the inventory folder as the user wrote it, else absolute. */
  shownPath(abs: string): string {
    const rel = relative(this.shownBase.abs, abs);
    return rel.startsWith('..') ? abs : join(this.shownBase.shown, rel);
  }

  /** The files for entity `name` under `base/subdir`, read (cached). */
  load(base: string, subdir: 'group_vars' | 'host_vars', name: string): VarsFile[] {
    const out: VarsFile[] = [];
    for (const abs of findVarsFiles(base, subdir, name)) {
      if (!this.files.has(abs)) {
        if (++this.count > MAX_VARS_FILES) {
          this.files.set(abs, undefined);
          if (this.count === MAX_VARS_FILES + 1)
            this.issues.push({
              file: this.shownPath(abs),
              line: 1,
              column: 1,
              field: '(file)',
              message: `more than ${MAX_VARS_FILES} vars files; the rest are not read`,
            });
          continue;
        }
        const r = readVarsFile(abs, this.shownPath(abs));
        this.issues.push(...r.issues);
        this.files.set(abs, r.file);
        if (r.file) this.read.push(r.file);
      }
      const f = this.files.get(abs);
      if (f) out.push(f);
    }
    return out;
  }
}
