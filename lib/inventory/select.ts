/** Host selection: role helpers and --limit patterns (names, globs, groups, label selectors). */
import picomatch from 'picomatch';
import { LimitError } from './errors.js';
import type { Host, Inventory } from './types.js';

/** The master rebuilt first. */
export function firstMaster(inv: Inventory): Host {
  const h = inv.hosts.find((x) => x.first && x.role === 'master') ?? inv.hosts.find((x) => x.role === 'master');
  if (!h) throw new Error(`inventory ${inv.file}: no master`);
  return h;
}

/** Every master, first included, in inventory order. */
export function masters(inv: Inventory): Host[] {
  return inv.hosts.filter((h) => h.role === 'master');
}

/** Every worker, in inventory order. */
export function workers(inv: Inventory): Host[] {
  return inv.hosts.filter((h) => h.role === 'worker');
}

/** The masters other than the first, in inventory order. */
export function others(inv: Inventory): Host[] {
  const first = firstMaster(inv);
  return masters(inv).filter((h) => h !== first);
}

/** The built-in groups of every inventory. */
export const BUILTIN_GROUPS = ['all', 'masters', 'workers', 'first', 'others', 'etcd'] as const;

/** The etcd members (stacked: the masters). */
function etcdMembers(inv: Inventory): Host[] {
  if (!inv.etcd) return masters(inv);
  const m = new Set(inv.etcd.members);
  return inv.hosts.filter((h) => m.has(h.name));
}

/** Hosts of the inventory in Ansible group `g` (its child groups too), in inventory order; undefined when there is no such group. */
function inGroup(inv: Inventory, g: string): Host[] | undefined {
  const names = inv.groups?.[g];
  if (!names) return undefined;
  const set = new Set(names);
  return inv.hosts.filter((h) => set.has(h.name));
}

/** Hosts matched by one pattern (no negation). */
function matchOne(inv: Inventory, pattern: string): Host[] {
  switch (pattern) {
    case 'all':
      return inv.hosts;
    case 'masters':
      return masters(inv);
    case 'workers':
      return workers(inv);
    case 'first':
      return [firstMaster(inv)];
    case 'others':
      return others(inv);
    case 'etcd':
      return inGroup(inv, 'etcd') ?? etcdMembers(inv);
  }
  if (pattern.startsWith('label:')) {
    const sel = pattern.slice('label:'.length);
    const eq = sel.indexOf('=');
    const key = eq < 0 ? sel : sel.slice(0, eq);
    return inv.hosts.filter((h) => (eq < 0 ? key in h.labels : h.labels[key] === sel.slice(eq + 1)));
  }
  const exact = inv.hosts.filter((h) => h.name === pattern || h.address === pattern);
  if (exact.length > 0) return exact;
  const group = inGroup(inv, pattern);
  if (group) return group;
  // a glob matches host names and, as in Ansible, group names
  const isMatch = picomatch(pattern, { dot: true });
  const chosen = new Set(inv.hosts.filter((h) => isMatch(h.name)));
  for (const g of Object.keys(inv.groups ?? {})) if (isMatch(g)) for (const h of inGroup(inv, g)!) chosen.add(h);
  return inv.hosts.filter((h) => chosen.has(h));
}

/**
 * Hosts chosen by --limit, in inventory order. Each entry may hold comma-separated patterns: a name
 * or address, a glob (`w*`, matched against host and group names), a built-in group (all, masters,
 * workers, first, others, etcd), a group of an Ansible inventory (kube_node, k8s_cluster, ...),
 * `label:key=value`, `&pattern` (only hosts also matched by it) or `!pattern` (exclude).
 * undefined or empty means every host. A pattern that selects nothing throws LimitError; an
 * exclusion that excludes nothing is fine (as in Ansible).
 */
export function selectHosts(inv: Inventory, limit: string[] | undefined): Host[] {
  const patterns = (limit ?? [])
    .flatMap((l) => l.split(','))
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (patterns.length === 0) return [...inv.hosts];
  const include = patterns.filter((p) => !p.startsWith('!') && !p.startsWith('&'));
  const intersect = patterns.filter((p) => p.startsWith('&')).map((p) => p.slice(1));
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  const chosen = new Set<Host>();
  const unmatched: string[] = [];
  for (const p of include) {
    const hs = matchOne(inv, p);
    if (hs.length === 0) unmatched.push(p);
    for (const h of hs) chosen.add(h);
  }
  if (include.length === 0) for (const h of inv.hosts) chosen.add(h);
  for (const p of intersect) {
    const hs = new Set(matchOne(inv, p));
    if (hs.size === 0) unmatched.push(`&${p}`);
    for (const h of [...chosen]) if (!hs.has(h)) chosen.delete(h);
  }
  // an exclusion that excludes nothing is fine (as in Ansible): `w*,!w9` without a w9
  for (const p of exclude) for (const h of matchOne(inv, p)) chosen.delete(h);
  if (unmatched.length > 0) {
    const known = inv.hosts
      .slice(0, 10)
      .map((h) => h.name)
      .join(', ');
    const groups = [...BUILTIN_GROUPS, ...Object.keys(inv.groups ?? {}).filter((g) => !(BUILTIN_GROUPS as readonly string[]).includes(g) && g !== 'ungrouped')];
    throw new LimitError(unmatched, `${inv.hosts.length > 10 ? `${known}, ... ${inv.hosts.length - 10} more` : known}; groups: ${groups.join(', ')}`);
  }
  return inv.hosts.filter((h) => chosen.has(h));
}
