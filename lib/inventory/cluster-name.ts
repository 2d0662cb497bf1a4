/** The cluster's name when the inventory does not give one: its folder (kubespray's inventory/NAME/), else its file name. */
import { basename, dirname, extname } from 'node:path';

/** File names that say nothing about the cluster (kubespray's inventory.ini, hosts.yaml): the folder names it. */
const GENERIC = new Set(['inventory', 'hosts', 'inventory-hosts', 'hosts-inventory']);

/** Lowercase, other characters as '-', at most 63: a DNS-1123 label, or '' when nothing is left. */
export function asClusterName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

/** The name derived from an inventory path, and where it came from (`folder name mycluster/`, `file name staging.ini`). */
export function clusterNameFromPath(absFile: string): { name: string; source: string } {
  const base = basename(absFile, extname(absFile));
  if (GENERIC.has(base.toLowerCase())) {
    const dir = basename(dirname(absFile));
    const fromDir = asClusterName(dir);
    if (fromDir) return { name: fromDir, source: `folder name ${dir}/` };
  }
  return { name: asClusterName(base) || 'cluster', source: `file name ${basename(absFile)}` };
}
