/** Ansible inventories (YAML or INI) as groups, hosts and vars: the model both readers fill, and Ansible's var precedence. */
import type { Position } from './document.js';

/** A value read from an Ansible inventory, with where it was written. */
export interface AnsibleValue {
  value: unknown;
  at: Position;
}

/** One Ansible group. */
export interface AnsibleGroup {
  /** Host names, in file order. */
  hosts: Set<string>;
  /** Child group names, in file order. */
  children: Set<string>;
  vars: Map<string, AnsibleValue>;
}

/** An Ansible inventory read from either syntax. */
export interface AnsibleModel {
  groups: Map<string, AnsibleGroup>;
  /** Vars written on the host itself. */
  hostVars: Map<string, Map<string, AnsibleValue>>;
  /** Where each host first appears (in file order). */
  hostAt: Map<string, Position>;
}

/** An empty model with the implicit `all` group. */
export function emptyModel(): AnsibleModel {
  return { groups: new Map([['all', newGroup()]]), hostVars: new Map(), hostAt: new Map() };
}

/** A new empty group. */
export function newGroup(): AnsibleGroup {
  return { hosts: new Set(), children: new Set(), vars: new Map() };
}

/** Get or create group `name` in `m`. */
export function groupOf(m: AnsibleModel, name: string): AnsibleGroup {
  let g = m.groups.get(name);
  if (!g) m.groups.set(name, (g = newGroup()));
  return g;
}

/** Groups whose hosts are control-plane nodes. */
export const MASTER_GROUPS = ['kube_control_plane', 'kube-master', 'kube_master'];
/** Groups whose hosts are nodes (workers unless also in a master group). */
export const NODE_GROUPS = ['kube_node', 'kube-node'];

/** Every group a host belongs to (directly or through children), with its depth below `all`. */
export function membership(m: AnsibleModel): Map<string, Map<string, number>> {
  const depth = new Map<string, number>([['all', 0]]);
  const queue = ['all', ...[...m.groups.keys()].filter((g) => g !== 'all')];
  for (const g of queue) if (!depth.has(g)) depth.set(g, 1);
  let changed = true;
  for (let round = 0; changed && round < 64; round++) {
    changed = false;
    for (const [name, g] of m.groups) {
      for (const c of g.children) {
        const d = (depth.get(name) ?? 1) + 1;
        if ((depth.get(c) ?? 1) < d) {
          depth.set(c, d);
          changed = true;
        }
      }
    }
  }
  const out = new Map<string, Map<string, number>>();
  const add = (host: string, group: string, seen: Set<string>): void => {
    if (seen.has(group)) return;
    seen.add(group);
    let groups = out.get(host);
    if (!groups) out.set(host, (groups = new Map()));
    groups.set(group, depth.get(group) ?? 1);
    for (const [pname, p] of m.groups) if (p.children.has(group)) add(host, pname, seen);
  };
  for (const [name, g] of m.groups) for (const h of g.hosts) add(h, name, new Set());
  for (const h of m.hostAt.keys()) out.get(h)?.set('all', 0);
  return out;
}

/** The effective vars of a host: all < parent groups < child groups < host vars. */
export function varsOf(m: AnsibleModel, host: string, groups: Map<string, number>): Map<string, AnsibleValue> {
  const vars = new Map<string, AnsibleValue>();
  const ordered = [...groups.entries()].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  for (const [g] of ordered) for (const [k, v] of m.groups.get(g)?.vars ?? []) vars.set(k, v);
  for (const [k, v] of m.hostVars.get(host) ?? []) vars.set(k, v);
  return vars;
}

/** The first of `keys` set in `vars` (Ansible aliases such as ansible_host / ansible_ssh_host). */
export function pick(vars: Map<string, AnsibleValue>, ...keys: string[]): AnsibleValue | undefined {
  for (const k of keys) if (vars.has(k)) return vars.get(k);
  return undefined;
}
