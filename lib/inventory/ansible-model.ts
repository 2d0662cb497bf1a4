/** Ansible inventories (YAML or INI) as groups, hosts and vars: the model both readers fill, and group depth and order as Ansible computes them. */
import type { Position } from './document.js';

/** A value read from an Ansible inventory or vars file, with where it was written. */
export interface AnsibleValue {
  value: unknown;
  at: Position;
  /** Encrypted with Ansible Vault (`!vault`): the value is unknown. */
  vault?: boolean;
}

/** One Ansible group. */
export interface AnsibleGroup {
  /** Host names, in file order. */
  hosts: Set<string>;
  /** Child group names, in file order. */
  children: Set<string>;
  /** Vars written in the inventory file itself (`[g:vars]`, `g: vars:`). */
  vars: Map<string, AnsibleValue>;
  /** `ansible_group_priority` (set in the inventory file only; not a var), default 1. */
  priority?: number;
}

/** An Ansible inventory read from either syntax. */
export interface AnsibleModel {
  groups: Map<string, AnsibleGroup>;
  /** Vars written on the host itself in the inventory file. */
  hostVars: Map<string, Map<string, AnsibleValue>>;
  /** Where each host first appears (in file order). */
  hostAt: Map<string, Position>;
}

/** An empty model with the implicit `all` and `ungrouped` groups. */
export function emptyModel(): AnsibleModel {
  const m: AnsibleModel = { groups: new Map([['all', newGroup()]]), hostVars: new Map(), hostAt: new Map() };
  groupOf(m, 'ungrouped');
  return m;
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

/** True when `a` is `b` or one of its descendants. */
function reaches(m: AnsibleModel, from: string, to: string, seen = new Set<string>()): boolean {
  if (from === to) return true;
  if (seen.has(from)) return false;
  seen.add(from);
  for (const c of m.groups.get(from)?.children ?? []) if (reaches(m, c, to, seen)) return true;
  return false;
}

/** Make `child` a child group of `parent`; false (nothing added) when that would make a loop, as Ansible refuses. */
export function addChild(m: AnsibleModel, parent: string, child: string): boolean {
  groupOf(m, child);
  if (reaches(m, child, parent)) return false;
  groupOf(m, parent).children.add(child);
  return true;
}

/** Add `host` to `group`, recording where it first appeared. */
export function addHost(m: AnsibleModel, group: string, host: string, at: Position): void {
  groupOf(m, group).hosts.add(host);
  if (!m.hostAt.has(host)) m.hostAt.set(host, at);
  if (!m.hostVars.has(host)) m.hostVars.set(host, new Map());
}

/** Groups whose hosts are control-plane nodes (kubespray's name, then its old ones). */
export const MASTER_GROUPS = ['kube_control_plane', 'kube-master', 'kube_master'];
/** Groups whose hosts are nodes (workers unless also in a master group). */
export const NODE_GROUPS = ['kube_node', 'kube-node'];

/** Groups with no parent become children of `all`, and hosts in no group go to `ungrouped`, as Ansible's reconcile_inventory does. */
export function reconcile(m: AnsibleModel): void {
  const hasParent = new Set<string>();
  for (const g of m.groups.values()) for (const c of g.children) hasParent.add(c);
  for (const name of m.groups.keys()) if (name !== 'all' && !hasParent.has(name)) m.groups.get('all')!.children.add(name);
  const grouped = new Set<string>();
  for (const [name, g] of m.groups) if (name !== 'all' && name !== 'ungrouped') for (const h of g.hosts) grouped.add(h);
  const ungrouped = groupOf(m, 'ungrouped');
  for (const h of m.hostAt.keys()) {
    if (grouped.has(h)) ungrouped.hosts.delete(h);
    else ungrouped.hosts.add(h);
  }
  for (const h of m.groups.get('all')!.hosts) if (!grouped.has(h)) ungrouped.hosts.add(h);
  m.groups.get('all')!.hosts.clear();
}

/** Each group's depth: the longest path from `all` (0), as Ansible's Group.depth. */
export function groupDepths(m: AnsibleModel): Map<string, number> {
  const parents = new Map<string, string[]>();
  for (const [name, g] of m.groups) for (const c of g.children) parents.set(c, [...(parents.get(c) ?? []), name]);
  const depth = new Map<string, number>();
  const of = (g: string, stack: Set<string>): number => {
    const known = depth.get(g);
    if (known !== undefined) return known;
    if (g === 'all') return 0;
    if (stack.has(g)) return 1; // a loop (refused by addChild; never here)
    stack.add(g);
    const ps = parents.get(g) ?? ['all'];
    const d = Math.max(...ps.map((p) => of(p, stack) + 1));
    stack.delete(g);
    depth.set(g, d);
    return d;
  };
  depth.set('all', 0);
  for (const g of m.groups.keys()) of(g, new Set());
  return depth;
}

/** Every group a host belongs to (directly or through children), `all` included. */
export function membership(m: AnsibleModel): Map<string, Set<string>> {
  const parents = new Map<string, string[]>();
  for (const [name, g] of m.groups) for (const c of g.children) parents.set(c, [...(parents.get(c) ?? []), name]);
  const out = new Map<string, Set<string>>();
  const add = (set: Set<string>, group: string): void => {
    if (set.has(group)) return;
    set.add(group);
    for (const p of parents.get(group) ?? []) add(set, p);
  };
  for (const h of m.hostAt.keys()) out.set(h, new Set(['all']));
  for (const [name, g] of m.groups) for (const h of g.hosts) add(out.get(h) ?? (out.set(h, new Set(['all'])), out.get(h)!), name);
  return out;
}

/** A group's priority: `ansible_group_priority` from the inventory file (group_vars files do not set it), default 1. */
export function groupPriority(g: AnsibleGroup | undefined): number {
  return g?.priority ?? 1;
}

/**
 * Set a var on a group as Ansible's Group.set_variable does: `ansible_group_priority` sets the
 * group's priority (Python's int() of it) and is not a var. Returns why the value was refused.
 */
export function setGroupVar(g: AnsibleGroup, key: string, v: AnsibleValue): string | undefined {
  if (key !== 'ansible_group_priority') {
    g.vars.set(key, v);
    return undefined;
  }
  const x = v.value;
  const n =
    typeof x === 'number'
      ? Math.trunc(x)
      : typeof x === 'boolean'
        ? Number(x)
        : typeof x === 'string' && /^\s*[+-]?\d+(_\d+)*\s*$/.test(x)
          ? Number(x.trim().replace(/_/g, ''))
          : undefined;
  if (n === undefined || !Number.isFinite(n)) return 'ansible_group_priority must be an integer';
  g.priority = n;
  return undefined;
}

/** Compare strings as Python does (by code point). */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A host's groups other than `all`, in Ansible's merge order: depth, then priority, then name. */
export function sortedGroups(m: AnsibleModel, groups: Iterable<string>, depths: Map<string, number>): string[] {
  return [...groups]
    .filter((g) => g !== 'all')
    .sort((a, b) => (depths.get(a) ?? 1) - (depths.get(b) ?? 1) || groupPriority(m.groups.get(a)) - groupPriority(m.groups.get(b)) || byCodePoint(a, b));
}

/** The hosts of a group and its descendants, in Ansible's get_hosts() order (own hosts, then children breadth first). */
export function hostsOf(groups: ReadonlyMap<string, { hosts: Iterable<string>; children: Iterable<string> }>, group: string): string[] {
  const out: string[] = [];
  const seenHost = new Set<string>();
  const seenGroup = new Set<string>([group]);
  let level = [group];
  while (level.length > 0) {
    const next: string[] = [];
    for (const g of level) {
      for (const h of groups.get(g)?.hosts ?? []) if (!seenHost.has(h)) seenHost.add(h), out.push(h);
      for (const c of groups.get(g)?.children ?? []) if (!seenGroup.has(c)) seenGroup.add(c), next.push(c);
    }
    level = next;
  }
  return out;
}

/** The first of `keys` set in `vars` (Ansible aliases such as ansible_host / ansible_ssh_host). */
export function pick(vars: ReadonlyMap<string, AnsibleValue>, ...keys: string[]): AnsibleValue | undefined {
  for (const k of keys) if (vars.has(k)) return vars.get(k);
  return undefined;
}
