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
  }
  if (pattern.startsWith('label:')) {
    const sel = pattern.slice('label:'.length);
    const eq = sel.indexOf('=');
    const key = eq < 0 ? sel : sel.slice(0, eq);
    return inv.hosts.filter((h) => (eq < 0 ? key in h.labels : h.labels[key] === sel.slice(eq + 1)));
  }
  const exact = inv.hosts.filter((h) => h.name === pattern || h.address === pattern);
  if (exact.length > 0) return exact;
  const isMatch = picomatch(pattern, { dot: true });
  return inv.hosts.filter((h) => isMatch(h.name));
}

/**
 * Hosts chosen by --limit, in inventory order. Each entry may hold comma-separated patterns: a name or
 * address, a glob (`w*`), a group (all, masters, workers, first, others), `label:key=value`, or `!pattern`
 * to exclude. undefined or empty means every host. An inclusion that matches nothing throws LimitError.
 */
export function selectHosts(inv: Inventory, limit: string[] | undefined): Host[] {
  const patterns = (limit ?? []).flatMap((l) => l.split(',')).map((p) => p.trim()).filter((p) => p !== '');
  if (patterns.length === 0) return [...inv.hosts];
  const include = patterns.filter((p) => !p.startsWith('!'));
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  const chosen = new Set<Host>();
  const unmatched: string[] = [];
  for (const p of include) {
    const hs = matchOne(inv, p);
    if (hs.length === 0) unmatched.push(p);
    hs.forEach((h) => chosen.add(h));
  }
  if (include.length === 0) inv.hosts.forEach((h) => chosen.add(h));
  // an exclusion that excludes nothing is fine (as in Ansible): `w*,!w9` without a w9
  for (const p of exclude) matchOne(inv, p).forEach((h) => chosen.delete(h));
  if (unmatched.length > 0) {
    const known = inv.hosts.slice(0, 10).map((h) => h.name).join(', ');
    throw new LimitError(unmatched, inv.hosts.length > 10 ? `${known}, ... ${inv.hosts.length - 10} more` : known);
  }
  return inv.hosts.filter((h) => chosen.has(h));
}
