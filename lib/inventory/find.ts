/** `-i FOLDER`: the inventory file inside it (kubespray's inventory/NAME/ layout), and kubespray's checkout around it. */
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** File names looked for in an inventory folder, in this order (kubespray's, Ansible's, kubemend's). */
export const INVENTORY_NAMES = ['inventory.ini', 'hosts.yaml', 'hosts.yml', 'hosts.ini', 'inventory.yaml', 'inventory.yml', 'hosts', 'inventory'];

const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};
const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** The inventory file in folder `dir` (as given, joined), or why there is not exactly one. */
export function findInventoryFile(dir: string): { file: string } | { problem: string } {
  const found = INVENTORY_NAMES.filter((n) => isFile(join(dir, n)));
  if (found.length === 1) return { file: join(dir, found[0]!) };
  if (found.length > 1) return { problem: `a folder with several inventory files (${found.join(', ')}): give one, e.g. -i ${join(dir, found[0]!)}` };
  return { problem: `a folder with no inventory file: expected one of ${INVENTORY_NAMES.join(', ')} (kubespray: inventory/NAME/inventory.ini)` };
}

/** The kubespray checkout holding `dir` (a folder with cluster.yml and roles/kubespray_defaults), at most 4 levels up: its group_vars are playbook vars. */
export function findKubesprayRoot(dir: string): string | undefined {
  let d = dir;
  for (let i = 0; i <= 4; i++) {
    if (isFile(join(d, 'cluster.yml')) && (isDir(join(d, 'roles', 'kubespray_defaults')) || isDir(join(d, 'roles', 'kubespray-defaults')))) return d;
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  return undefined;
}
