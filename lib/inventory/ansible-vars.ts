/**
 * Each host's vars with Ansible's precedence (ansible-core 2.14 vars/manager.py, the default
 * VARIABLE_PRECEDENCE), lowest first:
 *   inventory-file vars of `all` < inventory-file vars of the host's other groups (by depth,
 *   ansible_group_priority, name) < group_vars/all next to the inventory < group_vars/all next to
 *   the playbook < group_vars/GROUP next to the inventory < ... next to the playbook
 *   < the host's vars in the inventory file < host_vars/HOST next to the inventory < ... next to the playbook.
 * Before that, kubespray's dynamic groups (roles/dynamic_groups) are added, as every kubespray
 * playbook does first: k8s_cluster = kube_node + kube_control_plane + calico_rr, and the old
 * dashed names (kube-master, kube-node, ...) mapped to the new ones.
 */
import { groupDepths, groupOf, membership, sortedGroups, type AnsibleModel, type AnsibleValue } from './ansible-model.js';
import type { Position } from './document.js';
import type { VarsFileCache } from './vars-files.js';

/** An Ansible inventory as Ansible sees it: groups, and each host's vars with precedence applied. */
export interface FlatInventory {
  /** Every host, in the order first seen. */
  hosts: string[];
  /** Where each host is defined (its first line in the inventory file). */
  hostAt: Map<string, Position>;
  /** Each group's own hosts and child groups, in order (`all` included). */
  groups: Map<string, { hosts: string[]; children: string[] }>;
  /** Each host's vars, Ansible's precedence applied; each value says where it was written. */
  vars: Map<string, Map<string, AnsibleValue>>;
  /** Who computed this answer: kubemend's reader, or `ansible-inventory` (with its version). */
  reference: string;
  /** The group_vars/host_vars files read (paths as shown). */
  varsFiles: string[];
  /** Vars files encrypted whole with Ansible Vault, not read (paths as shown). */
  unreadable: string[];
}

/** kubespray's roles/dynamic_groups mappings: a host in any of the groups on the right is added to the group on the left. */
export const KUBESPRAY_DYNAMIC_GROUPS: readonly [string, readonly string[]][] = [
  ['kube_control_plane', ['kube-master']],
  ['kube_node', ['kube-node']],
  ['calico_rr', ['calico-rr']],
  ['no_floating', ['no-floating']],
  ['k8s_cluster', ['kube_node', 'kube_control_plane', 'calico_rr']],
];

/** Hosts to add to kubespray's dynamic groups (judged on the groups the inventory gives, as the role's `when` is). */
export function kubesprayGroupAdditions(m: AnsibleModel): Map<string, string[]> {
  const member = membership(m);
  const add = new Map<string, string[]>();
  for (const [h, groups] of member) {
    for (const [target, sources] of KUBESPRAY_DYNAMIC_GROUPS) {
      if (!sources.some((s) => groups.has(s)) || m.groups.get(target)?.hosts.has(h)) continue;
      add.set(target, [...(add.get(target) ?? []), h]);
    }
  }
  return add;
}

/** Add kubespray's dynamic groups to `m` (group_by: the host joins the group, a new group is a child of `all`). */
export function addKubesprayGroups(m: AnsibleModel): void {
  for (const [target, hosts] of kubesprayGroupAdditions(m)) {
    const isNew = !m.groups.has(target);
    const g = groupOf(m, target);
    if (isNew) m.groups.get('all')!.children.add(target);
    for (const h of hosts) g.hosts.add(h);
  }
}

/** Where group_vars/host_vars are looked for: next to the inventory, and next to the playbook (kubespray's checkout) when known. */
export interface VarsDirs {
  inventoryDir: string;
  playbookDir?: string;
}

/** Flatten a model: every host's vars with Ansible's precedence, group_vars and host_vars included. */
export function flatten(m: AnsibleModel, dirs: VarsDirs, cache: VarsFileCache, reference: string): FlatInventory {
  const depths = groupDepths(m);
  const member = membership(m);
  const bases = [dirs.inventoryDir, ...(dirs.playbookDir ? [dirs.playbookDir] : [])];
  const vars = new Map<string, Map<string, AnsibleValue>>();
  for (const h of m.hostAt.keys()) {
    const groups = sortedGroups(m, member.get(h) ?? [], depths);
    const v = new Map<string, AnsibleValue>();
    const put = (src: ReadonlyMap<string, AnsibleValue> | undefined): void => {
      for (const [k, x] of src ?? []) v.set(k, x);
    };
    put(m.groups.get('all')?.vars);
    for (const g of groups) put(m.groups.get(g)?.vars);
    for (const b of bases) for (const f of cache.load(b, 'group_vars', 'all')) put(f.vars);
    for (const b of bases) for (const g of groups) for (const f of cache.load(b, 'group_vars', g)) put(f.vars);
    put(m.hostVars.get(h));
    for (const b of bases) for (const f of cache.load(b, 'host_vars', h)) put(f.vars);
    vars.set(h, v);
  }
  return {
    hosts: [...m.hostAt.keys()],
    hostAt: m.hostAt,
    groups: new Map([...m.groups].map(([name, g]) => [name, { hosts: [...g.hosts], children: [...g.children] }])),
    vars,
    reference,
    varsFiles: cache.read.filter((f) => !f.vault).map((f) => f.shown),
    unreadable: cache.read.filter((f) => f.vault).map((f) => f.shown),
  };
}
