/**
 * Ansible INI inventories read into an AnsibleModel, line for line as ansible-core's ini plugin
 * reads them (plugins/inventory/ini.py): `[group]`, `[group:vars]`, `[group:children]`, host
 * lines split like shlex, values read as Python literals, ranges and `name:port` expanded, and
 * the same refusals (a child group or a `:vars` section for a group that is never declared).
 * Unlike Ansible, every problem is reported, not only the first.
 */
import { addChild, addHost, emptyModel, groupOf, reconcile, setGroupVar, type AnsibleModel, type AnsibleValue } from './ansible-model.js';
import { HostPatternError, expandHostPattern } from './ansible-range.js';
import { fieldSeg, type Position } from './document.js';
import type { InventoryIssue } from './errors.js';
import { ShlexError, iniValue, shlexSplit } from './py-syntax.js';

/** True when the first significant line of `text` is an INI `[section]` header. */
export function looksLikeIni(text: string): boolean {
  for (const raw of splitLines(text)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    return SECTION.test(line);
  }
  return false;
}

/** Python's str.splitlines(): the line breaks Ansible counts lines by. */
export function splitLines(text: string): string[] {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Python's str.splitlines() line breaks, which Ansible's INI reader splits on
  const lines = text.split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

/** Read an Ansible INI inventory; lines that cannot be read become issues. */
export function readAnsibleIni(file: string, text: string): { model: AnsibleModel; top: Position; issues: InventoryIssue[] } {
  const m = emptyModel();
  const issues: InventoryIssue[] = [];
  let group = 'ungrouped';
  let state: 'hosts' | 'vars' | 'children' = 'hosts';
  /** Groups named by `[g:vars]` or a children line before being declared (`[g]` or `[g:children]`). */
  const pending = new Map<string, { line: number; column: number; state: 'vars' | 'children'; parents: string[] }>();
  const declared = new Set(['all', 'ungrouped']);
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.trim();
    const lineNo = i + 1;
    const column = raw.length - raw.trimStart().length + 1;
    if (line === '' || line[0] === '#' || line[0] === ';') continue;
    const problem = (field: string, message: string): void => {
      issues.push({ file, line: lineNo, column, field, message });
    };
    const at = (field: string): Position => ({ line: lineNo, column, field });

    const head = SECTION.exec(line);
    if (head) {
      const name = head[1]!;
      const kind = head[2] ?? 'hosts';
      if (kind !== 'hosts' && kind !== 'vars' && kind !== 'children') {
        problem('(syntax)', `INI: section [${name}:${kind}] has unknown type ${JSON.stringify(kind)} (expected vars or children)`);
        group = name;
        state = 'hosts';
        continue;
      }
      group = name;
      state = kind;
      groupOf(m, name);
      if (kind !== 'vars') {
        declared.add(name);
        const p = pending.get(name);
        if (p?.state === 'children') for (const parent of p.parents) linkChild(parent, name, p.line, p.column);
        pending.delete(name);
      } else if (!declared.has(name) && !pending.has(name)) pending.set(name, { line: lineNo, column, state: 'vars', parents: [] });
      continue;
    }
    if (line.startsWith('[')) {
      problem('(syntax)', 'INI: a section header must be [group], [group:vars] or [group:children] (no spaces)');
      continue;
    }

    if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) {
        problem(`${fieldSeg(group)}:vars`, 'INI: expected key=value');
        continue;
      }
      const key = line.slice(0, eq).trim();
      const field = `${fieldSeg(group)}:vars.${fieldSeg(key)}`;
      const refused = setGroupVar(groupOf(m, group), key, { value: iniValue(line.slice(eq + 1).trim()), at: at(field) });
      if (refused) problem(field, `INI: ${refused}`);
    } else if (state === 'children') {
      const g = GROUP_NAME.exec(line);
      if (!g) {
        problem(`${fieldSeg(group)}:children`, 'INI: expected one group name per line');
        continue;
      }
      const child = g[1]!;
      if (declared.has(child)) linkChild(group, child, lineNo, column);
      else {
        const p = pending.get(child);
        if (!p) pending.set(child, { line: lineNo, column, state: 'children', parents: [group] });
        else {
          p.parents.push(group);
          if (p.state === 'vars') Object.assign(p, { state: 'children', line: lineNo, column });
        }
      }
    } else {
      let tokens: string[];
      try {
        tokens = shlexSplit(line);
      } catch (e) {
        problem('(syntax)', `INI: ${e instanceof ShlexError ? e.message : 'cannot split the line'}`);
        continue;
      }
      const pattern = tokens[0];
      if (pattern === undefined || pattern.trim() === '') {
        problem('(syntax)', 'INI: empty host name');
        continue;
      }
      let names: string[];
      let port: number | undefined;
      try {
        ({ names, port } = expandHostPattern(pattern));
      } catch (e) {
        problem(fieldSeg(pattern), `INI: bad host pattern: ${e instanceof HostPatternError ? e.message : String(e)}`);
        continue;
      }
      if (pattern.trim().endsWith(':') && port === undefined) {
        problem(fieldSeg(pattern), 'INI: a host pattern must not end with ":" (it is kept for a port)');
        continue;
      }
      if (names.some((n) => n.trim() === '---')) {
        problem('(syntax)', 'INI: "---" is a sign this is a YAML file');
        continue;
      }
      const vars = new Map<string, AnsibleValue>();
      let bad = false;
      for (const kv of tokens.slice(1)) {
        const eq = kv.indexOf('=');
        if (eq < 0) {
          problem(fieldSeg(pattern), 'INI: expected key=value after the host name, got a bare word');
          bad = true;
          break;
        }
        const key = kv.slice(0, eq);
        vars.set(key, { value: iniValue(kv.slice(eq + 1)), at: at(`${fieldSeg(pattern)}.${fieldSeg(key)}`) });
      }
      if (bad) continue;
      for (const name of names) {
        const isNew = !m.hostAt.has(name);
        addHost(m, group, name, at(fieldSeg(name)));
        const hv = m.hostVars.get(name)!;
        // Ansible's add_host applies `:port` only when it creates the host
        if (port !== undefined && isNew) hv.set('ansible_port', { value: port, at: at(`${fieldSeg(pattern)}:port`) });
        // Ansible's set_variable looks for a group of that name first: a host named like a group gives its vars to the group
        const same = m.groups.get(name);
        for (const [k, v] of vars) {
          const x = { ...v, at: { ...v.at, field: `${fieldSeg(name)}.${fieldSeg(k)}` } };
          const refused = same ? setGroupVar(same, k, x) : (hv.set(k, x), undefined);
          if (refused) problem(x.at.field, `INI: ${refused}`);
        }
      }
    }
  }
  for (const [name, p] of pending) {
    issues.push(
      p.state === 'vars'
        ? {
            file,
            line: p.line,
            column: p.column,
            field: `${fieldSeg(name)}:vars`,
            message: `INI: [${name}:vars] is for a group that is never declared ([${name}] or [${name}:children])`,
          }
        : {
            file,
            line: p.line,
            column: p.column,
            field: `${fieldSeg(p.parents[0]!)}:children`,
            message: `INI: child group ${JSON.stringify(name)} is never declared ([${name}] or [${name}:children])`,
          },
    );
  }
  reconcile(m);
  return { model: m, top: { line: 1, column: 1, field: '(document)' }, issues };

  function linkChild(parent: string, child: string, line: number, column: number): void {
    if (!addChild(m, parent, child)) {
      issues.push({
        file,
        line,
        column,
        field: `${fieldSeg(parent)}:children`,
        message: `INI: making ${JSON.stringify(child)} a child of ${JSON.stringify(parent)} makes a loop of groups`,
      });
    }
  }
}
