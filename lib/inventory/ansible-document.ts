/** An Ansible model turned into kubemend's shape, with positions pointing back at the Ansible source. */
import { basename, extname } from 'node:path';
import { parse as parseYamlValue } from 'yaml';
import { MASTER_GROUPS, NODE_GROUPS, membership, pick, varsOf, type AnsibleModel, type AnsibleValue } from './ansible-model.js';
import { formatPath, type DocPath, type ParsedDocument, type Position } from './document.js';
import type { InventoryIssue } from './errors.js';

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

/**
 * A host's servingSANs from its Ansible vars: kubespray's `ip` (the address its kubelet
 * advertises) and `access_ip`, and `kubemend_serving_sans` (a list, or comma-separated in INI).
 */
function servingSansOf(vars: Map<string, AnsibleValue>, use: (v: { values: unknown[]; at: Position }) => void): void {
  const values: unknown[] = [];
  let at: Position | undefined;
  for (const k of ['ip', 'access_ip', 'kubemend_serving_sans']) {
    const v = vars.get(k);
    if (!v) continue;
    at ??= v.at;
    const list = Array.isArray(v.value) ? v.value : typeof v.value === 'string' ? v.value.split(',').map((x) => x.trim()).filter(Boolean) : [v.value];
    values.push(...list);
  }
  if (at) use({ values, at });
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
    servingSansOf(vars, (v) => {
      host.servingSANs = v.values;
      where.set(formatPath([...base, 'servingSANs']), v.at);
    });
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
