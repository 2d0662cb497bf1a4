/** Ansible/kubespray YAML inventories (`all: children: kube_control_plane: hosts: ...`) read into an AnsibleModel. */
import { isMap, isPair, isScalar, type Node, type Pair, type YAMLMap } from 'yaml';
import { addChild, addHost, emptyModel, groupOf, reconcile, setGroupVar, type AnsibleModel } from './ansible-model.js';
import { HostPatternError, expandHostPattern } from './ansible-range.js';
import { fieldSeg, type Position } from './document.js';
import type { InventoryIssue } from './errors.js';
import { positionOf, type YamlSource } from './yaml-source.js';

/** True when a YAML value looks like an Ansible inventory: a mapping of groups with hosts/children/vars. */
export function looksLikeAnsibleYaml(data: unknown): boolean {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return false;
  const top = data as Record<string, unknown>;
  if ('hosts' in top || 'cluster' in top) return false;
  if ('all' in top) return true;
  return Object.values(top).some((g) => !!g && typeof g === 'object' && !Array.isArray(g) && ['hosts', 'children', 'vars'].some((k) => k in (g as object)));
}

/** Read an Ansible YAML inventory (parsed as YAML 1.1, as PyYAML does: `yes` is true); structural problems become issues. */
export function readAnsibleYaml(file: string, src: YamlSource): { model: AnsibleModel; top: Position; issues: InventoryIssue[] } {
  const m = emptyModel();
  const issues: InventoryIssue[] = [];
  const at = (node: unknown, field: string): Position => ({ ...positionOf(src.lines, node as Node), field });
  const problem = (node: unknown, field: string, message: string): void => {
    issues.push({ file, ...at(node, field), message });
  };
  const pairs = (node: unknown): Pair[] => (isMap(node) ? (node as YAMLMap).items.filter(isPair) : []);
  const keyOf = (p: Pair): string => String(isScalar(p.key) ? p.key.value : p.key);
  const seg = fieldSeg;
  const isVault = (v: Node | null): boolean => !!v && (v as { tag?: string }).tag === '!vault';
  const plain = (v: Node | null): unknown => {
    if (!v) return null;
    try {
      return (v as unknown as { toJS(doc: unknown, o: object): unknown }).toJS(src.doc, { maxAliasCount: 100 });
    } catch {
      return undefined;
    }
  };

  const readVars = (node: unknown, field: string): Map<string, { value: unknown; at: Position }> => {
    const vars = new Map<string, { value: unknown; at: Position }>();
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return vars;
    if (!isMap(node)) {
      problem(node, field, 'must be a mapping of variables');
      return vars;
    }
    for (const p of pairs(node)) {
      const k = keyOf(p);
      const v = p.value as Node | null;
      vars.set(k, { value: plain(v), at: at(p.value ?? p.key, `${field}.${seg(k)}`), ...(isVault(v) ? { vault: true } : {}) });
    }
    return vars;
  };

  const readGroup = (name: string, node: unknown, field: string, depth: number): void => {
    const g = groupOf(m, name);
    if (depth > 32) {
      problem(node, field, 'groups nested too deep');
      return;
    }
    if (node === null || node === undefined || (isScalar(node) && node.value === null)) return;
    if (!isMap(node)) {
      problem(node, field, 'a group must be a mapping with hosts, children or vars');
      return;
    }
    for (const p of pairs(node)) {
      const k = keyOf(p);
      const f = `${field}.${seg(k)}`;
      if (k === 'vars') {
        for (const [vk, vv] of readVars(p.value, f)) {
          const refused = setGroupVar(g, vk, vv);
          if (refused) issues.push({ file, line: vv.at.line, column: vv.at.column, field: vv.at.field, message: refused });
        }
      } else if (k === 'hosts') {
        if (p.value !== null && !isMap(p.value) && !(isScalar(p.value) && p.value.value === null)) {
          problem(p.value ?? p.key, f, 'must be a mapping of host names');
          continue;
        }
        for (const hp of pairs(p.value)) {
          const pattern = keyOf(hp);
          let names: string[];
          let port: number | undefined;
          try {
            ({ names, port } = expandHostPattern(pattern));
          } catch (e) {
            problem(hp.key, `${f}.${seg(pattern)}`, `bad host pattern: ${e instanceof HostPatternError ? e.message : String(e)}`);
            continue;
          }
          const vars = readVars(hp.value, `${f}.${seg(pattern)}`);
          for (const h of names) {
            const hf = names.length === 1 && h === pattern ? `${f}.${seg(h)}` : `${f}.${seg(pattern)}`;
            const isNew = !m.hostAt.has(h);
            addHost(m, name, h, at(hp.key, hf));
            const hv = m.hostVars.get(h)!;
            // Ansible's add_host applies `:port` only when it creates the host
            if (port !== undefined && isNew) hv.set('ansible_port', { value: port, at: at(hp.key, `${hf}:port`) });
            // Ansible's set_variable looks for a group of that name first: a host named like a group gives its vars to the group
            const same = m.groups.get(h);
            for (const [vk, vv] of vars) {
              const refused = same ? setGroupVar(same, vk, vv) : (hv.set(vk, vv), undefined);
              if (refused) issues.push({ file, line: vv.at.line, column: vv.at.column, field: vv.at.field, message: refused });
            }
          }
        }
      } else if (k === 'children') {
        if (p.value !== null && !isMap(p.value) && !(isScalar(p.value) && p.value.value === null)) {
          problem(p.value ?? p.key, f, 'must be a mapping of group names');
          continue;
        }
        for (const cp of pairs(p.value)) {
          const c = keyOf(cp);
          readGroup(c, cp.value, `${f}.${seg(c)}`, depth + 1);
          if (!addChild(m, name, c)) problem(cp.key, `${f}.${seg(c)}`, `making ${JSON.stringify(c)} a child of ${JSON.stringify(name)} makes a loop of groups`);
        }
      } else problem(p.key, f, 'unknown group key (expected hosts, children or vars)');
    }
  };

  const contents = src.doc.contents;
  for (const p of pairs(contents)) {
    const name = keyOf(p);
    readGroup(name, p.value, seg(name), 0);
  }
  reconcile(m);
  return { model: m, top: at(contents, '(document)'), issues };
}
