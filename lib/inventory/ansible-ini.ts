/** Ansible INI inventories (`[kube_control_plane]`, `[all:vars]`, `[group:children]`, `name key=value`) read into an AnsibleModel. */
import { emptyModel, groupOf, type AnsibleModel, type AnsibleValue } from './ansible-model.js';
import { fieldSeg, type Position } from './document.js';
import type { InventoryIssue } from './errors.js';

/** True when the first significant line of `text` is an INI `[section]` header. */
export function looksLikeIni(text: string): boolean {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    return /^\[[^\]]+\]$/.test(line);
  }
  return false;
}

/** Split a host line into words, honouring single and double quotes; an unquoted `#` starting a word begins a comment. */
function words(line: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let has = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '#' && !has) {
      break;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (quote) return undefined;
  if (has) out.push(cur);
  return out;
}

/** Strip one pair of matching quotes around a value. */
function unquote(v: string): string {
  const t = v.trim();
  return t.length >= 2 && (t[0] === '"' || t[0] === "'") && t.at(-1) === t[0] ? t.slice(1, -1) : t;
}

/** Expand Ansible host ranges: `w[1:3]` -> w1 w2 w3, `w[01:03]` keeps the padding, `h[a:c]` letters. */
export function expandRange(pattern: string): string[] | undefined {
  const m = /^(.*?)\[([0-9]+|[a-z]):([0-9]+|[a-z])\](.*)$/.exec(pattern);
  if (!m) return pattern.includes('[') || pattern.includes(']') ? undefined : [pattern];
  const [, pre, a, b, post] = m as unknown as [string, string, string, string, string];
  const rest = expandRange(post);
  if (!rest) return undefined;
  const out: string[] = [];
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const lo = Number(a);
    const hi = Number(b);
    if (hi < lo || (hi - lo + 1) * rest.length > 10_000) return undefined;
    const width = a.length > 1 && a.startsWith('0') ? a.length : 0;
    for (let i = lo; i <= hi; i++) for (const r of rest) out.push(`${pre}${String(i).padStart(width, '0')}${r}`);
  } else if (/^[a-z]$/.test(a) && /^[a-z]$/.test(b) && a <= b) {
    for (let c = a.charCodeAt(0); c <= b.charCodeAt(0); c++) for (const r of rest) out.push(`${pre}${String.fromCharCode(c)}${r}`);
  } else return undefined;
  return out.length > 10_000 ? undefined : out;
}

/** Read an Ansible INI inventory; lines that cannot be read become issues. */
export function readAnsibleIni(file: string, text: string): { model: AnsibleModel; top: Position; issues: InventoryIssue[] } {
  const m = emptyModel();
  const issues: InventoryIssue[] = [];
  let section = 'ungrouped';
  let kind: 'hosts' | 'vars' | 'children' = 'hosts';
  groupOf(m, 'all').children.add('ungrouped');
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.trim();
    const lineNo = i + 1;
    const column = raw.length - raw.trimStart().length + 1;
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const problem = (field: string, message: string): void => {
      issues.push({ file, line: lineNo, column, field, message });
    };
    const head = /^\[([^\]:\s]+)(?::(vars|children))?\]$/.exec(line);
    if (line.startsWith('[')) {
      if (!head) {
        problem('(syntax)', 'INI: a section header must be [group], [group:vars] or [group:children]');
        continue;
      }
      section = head[1]!;
      kind = (head[2] as 'vars' | 'children' | undefined) ?? 'hosts';
      groupOf(m, section);
      if (section !== 'all') groupOf(m, 'all').children.add(section);
      continue;
    }
    const at = (field: string): Position => ({ line: lineNo, column, field });
    if (kind === 'vars') {
      const eq = line.indexOf('=');
      if (eq <= 0) {
        problem(`${section}:vars`, 'INI: expected key=value');
        continue;
      }
      const key = line.slice(0, eq).trim();
      groupOf(m, section).vars.set(key, { value: unquote(line.slice(eq + 1)), at: at(`${section}:vars.${fieldSeg(key)}`) });
    } else if (kind === 'children') {
      if (!/^[^\s=]+$/.test(line)) {
        problem(`${section}:children`, 'INI: expected one group name per line');
        continue;
      }
      const g = groupOf(m, section);
      g.children.add(line);
      groupOf(m, line);
    } else {
      const w = words(line);
      if (!w || w.length === 0) {
        problem('(syntax)', 'INI: unterminated quote');
        continue;
      }
      let pattern = w[0]!;
      if (pattern === '') {
        problem('(syntax)', 'INI: empty host name');
        continue;
      }
      const vars = new Map<string, AnsibleValue>();
      const portM = /^(.*[^:]):(\d+)$/.exec(pattern);
      if (portM && !pattern.includes('::')) {
        pattern = portM[1]!;
        vars.set('ansible_port', { value: portM[2], at: at(`${fieldSeg(pattern)}:port`) });
      }
      const names = expandRange(pattern);
      if (!names) {
        problem(fieldSeg(pattern), 'INI: bad host range (use name[1:3] or name[a:c], at most 10000 hosts)');
        continue;
      }
      let bad = false;
      for (const kv of w.slice(1)) {
        const eq = kv.indexOf('=');
        if (eq <= 0) {
          problem(fieldSeg(pattern), `INI: expected key=value after the host name, got a bare word`);
          bad = true;
          break;
        }
        const key = kv.slice(0, eq);
        vars.set(key, { value: kv.slice(eq + 1), at: at(`${fieldSeg(pattern)}.${fieldSeg(key)}`) });
      }
      if (bad) continue;
      const g = groupOf(m, section);
      for (const name of names) {
        g.hosts.add(name);
        if (!m.hostAt.has(name)) m.hostAt.set(name, at(fieldSeg(name)));
        const hv = m.hostVars.get(name) ?? new Map<string, AnsibleValue>();
        for (const [k, v] of vars) hv.set(k, { ...v, at: { ...v.at, field: `${fieldSeg(name)}.${fieldSeg(k)}` } });
        m.hostVars.set(name, hv);
      }
    }
  }
  return { model: m, top: { line: 1, column: 1, field: '(document)' }, issues };
}
