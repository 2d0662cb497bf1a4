/** Ansible inventories (YAML or INI) as groups, hosts and vars, turned into kubemend's shape. */
import { basename, extname } from 'node:path';
import { parse as parseYamlValue } from 'yaml';
import { formatPath, type DocPath, type ParsedDocument, type Position } from './document.js';
import type { InventoryIssue } from './errors.js';

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

const MASTER_GROUPS = ['kube_control_plane', 'kube-master', 'kube_master'];
const NODE_GROUPS = ['kube_node', 'kube-node'];

/** Every group a host belongs to (directly or through children), with its depth below `all`. */
function membership(m: AnsibleModel): Map<string, Map<string, number>> {
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
function varsOf(m: AnsibleModel, host: string, groups: Map<string, number>): Map<string, AnsibleValue> {
  const vars = new Map<string, AnsibleValue>();
  const ordered = [...groups.entries()].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  for (const [g] of ordered) for (const [k, v] of m.groups.get(g)?.vars ?? []) vars.set(k, v);
  for (const [k, v] of m.hostVars.get(host) ?? []) vars.set(k, v);
  return vars;
}

function pick(vars: Map<string, AnsibleValue>, ...keys: string[]): AnsibleValue | undefined {
  for (const k of keys) if (vars.has(k)) return vars.get(k);
  return undefined;
}

/** Ports and booleans written as INI strings become numbers/booleans; other values stay as they are. */
function scalar(v: unknown): unknown {
  if (typeof v === 'string' && /^\d{1,6}$/.test(v)) return Number(v);
  return v;
}

/** An INI value holding a YAML/JSON flow mapping (`{"address": "x", "port": 1}`) as an object. */
function structured(v: unknown): unknown {
  if (typeof v !== 'string' || !/^\s*\{/.test(v)) return v;
  try {
    return parseYamlValue(v);
  } catch {
    return v;
  }
}

/** A cluster name made from a file name: lowercase, other characters as '-'. */
function clusterFromFile(file: string): string {
  const base = basename(file, extname(file)).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return base.slice(0, 63).replace(/-+$/, '') || 'cluster';
}

/** Turn an Ansible model into kubemend's shape, with positions pointing at the Ansible source. */
export function ansibleDocument(
  file: string,
  format: 'ansible-yaml' | 'ansible-ini',
  m: AnsibleModel,
  top: Position,
  readIssues: InventoryIssue[] = [],
): ParsedDocument {
  const where = new Map<string, Position>();
  const implicit = new Set<string>();
  const warnings: string[] = [];
  const member = membership(m);
  const inAny = (groups: Map<string, number> | undefined, names: string[]): boolean => names.some((n) => groups?.has(n));

  const masters: string[] = [];
  const workers: string[] = [];
  for (const h of m.hostAt.keys()) {
    const groups = member.get(h);
    if (inAny(groups, MASTER_GROUPS)) masters.push(h);
    else if (inAny(groups, NODE_GROUPS)) workers.push(h);
    else if (groups?.has('etcd')) warnings.push(`${h}: in group etcd only (external etcd is not managed by kubemend): ignored`);
  }
  const hosts: Record<string, unknown>[] = [];
  for (const [i, name] of [...masters, ...workers].entries()) {
    const vars = varsOf(m, name, member.get(name) ?? new Map());
    const base: DocPath = ['hosts', i];
    const hostAt = m.hostAt.get(name)!;
    where.set(formatPath(base), hostAt);
    where.set(formatPath([...base, 'name']), hostAt);
    where.set(formatPath([...base, 'role']), hostAt);
    const host: Record<string, unknown> = { name, role: i < masters.length ? 'master' : 'worker' };
    const set = (field: string, v: AnsibleValue | undefined, conv: (x: unknown) => unknown = scalar): void => {
      if (!v) return;
      host[field] = conv(v.value);
      where.set(formatPath([...base, field]), v.at);
    };
    const address = pick(vars, 'ansible_host', 'ansible_ssh_host');
    if (address) set('address', address, (x) => x);
    else {
      host.address = name;
      implicit.add(formatPath([...base, 'address']));
    }
    set('user', pick(vars, 'ansible_user', 'ansible_ssh_user'), (x) => x);
    set('port', pick(vars, 'ansible_port', 'ansible_ssh_port'));
    set('identityFile', pick(vars, 'ansible_ssh_private_key_file', 'ansible_private_key_file'), (x) => x);
    const pass = pick(vars, 'ansible_become_password', 'ansible_become_pass', 'ansible_sudo_pass', 'ansible_sudo_password');
    if (pass) {
      host.sudo = 'password';
      where.set(formatPath([...base, 'sudo']), pass.at);
    }
    set('labels', pick(vars, 'node_labels'), structured);
    hosts.push(host);
  }

  const all = new Map<string, AnsibleValue>();
  for (const [k, v] of m.groups.get('all')?.vars ?? []) all.set(k, v);
  for (const g of ['k8s_cluster', 'k8s-cluster']) for (const [k, v] of m.groups.get(g)?.vars ?? []) all.set(k, v);
  const data: Record<string, unknown> = { hosts };
  where.set('(document)', top);
  where.set('hosts', { ...top, field: 'kube_control_plane' });

  const cluster = all.get('cluster_name');
  if (cluster) {
    data.cluster = cluster.value;
    where.set('cluster', cluster.at);
  } else {
    data.cluster = clusterFromFile(file);
    where.set('cluster', top);
  }

  const lbName = all.get('apiserver_loadbalancer_domain_name');
  const lbRaw = all.get('loadbalancer_apiserver');
  const lb = lbRaw ? (structured(lbRaw.value) as Record<string, unknown> | undefined) : undefined;
  const lbHost = lbName?.value ?? (lb && typeof lb === 'object' ? lb.address : undefined);
  if (lbHost !== undefined) {
    const port = (lb && typeof lb === 'object' ? lb.port : undefined) ?? all.get('loadbalancer_apiserver_port')?.value ?? 6443;
    const h = String(lbHost);
    data.controlPlaneEndpoint = `${h.includes(':') ? `[${h}]` : h}:${String(port)}`;
    where.set('controlPlaneEndpoint', (lbName ?? lbRaw)!.at);
  } else if (hosts[0] && masters.length > 0) {
    const a = String(hosts[0].address);
    data.controlPlaneEndpoint = `${a.includes(':') ? `[${a}]` : a}:6443`;
    where.set('controlPlaneEndpoint', where.get('hosts[0].address') ?? m.hostAt.get(masters[0]!)!);
  } else {
    where.set('controlPlaneEndpoint', { ...top, field: 'apiserver_loadbalancer_domain_name' });
  }

  const bastion = [...(m.groups.get('bastion')?.hosts ?? [])][0];
  if (bastion) {
    const bv = varsOf(m, bastion, member.get(bastion) ?? new Map());
    const jump: Record<string, unknown> = { host: bv.get('ansible_host')?.value ?? bastion };
    const user = pick(bv, 'ansible_user', 'ansible_ssh_user');
    if (user) jump.user = user.value;
    const port = pick(bv, 'ansible_port', 'ansible_ssh_port');
    if (port) jump.port = scalar(port.value);
    const key = pick(bv, 'ansible_ssh_private_key_file', 'ansible_private_key_file');
    if (key) jump.identityFile = key.value;
    data.ssh = { jump };
    where.set('ssh', m.hostAt.get(bastion) ?? top);
    where.set('ssh.jump', m.hostAt.get(bastion) ?? top);
  }

  return {
    format,
    data,
    implicit,
    warnings,
    readIssues,
    locate(path) {
      for (let n = path.length; n >= 0; n--) {
        const p = where.get(formatPath(path.slice(0, n)));
        if (!p) continue;
        if (n === path.length) return p;
        return { ...p, field: n === 0 ? formatPath(path) : `${p.field} (${formatPath(path)})` };
      }
      return top;
    },
  };
}
