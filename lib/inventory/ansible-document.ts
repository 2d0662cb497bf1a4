/** An Ansible inventory (as Ansible sees it: a FlatInventory) turned into kubemend's shape, with positions pointing back at the Ansible sources. */
import { parse as parseYamlValue } from 'yaml';
import { MASTER_GROUPS, NODE_GROUPS, byCodePoint, hostsOf, pick, type AnsibleValue } from './ansible-model.js';
import { HOST_VARS, unsupportedVarNote } from './ansible-support.js';
import type { FlatInventory } from './ansible-vars.js';
import { clusterNameFromPath } from './cluster-name.js';
import { formatPath, whereOf, type DocPath, type ParsedDocument, type Position } from './document.js';
import type { InventoryIssue } from './errors.js';
import { renderTemplates } from './jinja.js';
import { shown } from './syntax.js';

/** Ports written as strings become numbers; other values stay as they are. */
function scalar(v: unknown): unknown {
  if (typeof v === 'string' && /^\d{1,6}$/.test(v)) return Number(v);
  return v;
}

/** A value holding a YAML/JSON flow mapping (`{"address": "x", "port": 1}`) as an object. */
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
function servingSansOf(
  vars: ReadonlyMap<string, AnsibleValue>,
  get: (k: string) => AnsibleValue | undefined,
  use: (v: { values: unknown[]; at: Position }) => void,
): void {
  const values: unknown[] = [];
  let at: Position | undefined;
  for (const k of HOST_VARS.servingSANs) {
    if (!vars.has(k)) continue;
    const v = get(k);
    if (!v) continue;
    at ??= v.at;
    const list = Array.isArray(v.value)
      ? v.value
      : typeof v.value === 'string'
        ? v.value
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean)
        : [v.value];
    values.push(...list);
  }
  if (at) use({ values, at });
}

/** The union of the hosts of `groups`, in order. */
function union(flat: FlatInventory, groups: readonly string[]): string[] {
  const out: string[] = [];
  for (const g of groups) for (const h of hostsOf(flat.groups, g)) if (!out.includes(h)) out.push(h);
  return out;
}

/** Options of ansibleDocument. */
export interface AnsibleDocOptions {
  /** The inventory file as the user wrote it (issues name it). */
  file: string;
  absFile: string;
  format: 'ansible-yaml' | 'ansible-ini';
  top: Position;
  readIssues?: InventoryIssue[];
  /** --cluster-name: wins over every var. */
  clusterName?: string;
  /** Notes made while reading (ansible-inventory's differences). */
  warnings?: string[];
}

/** Turn an Ansible inventory into kubemend's shape, with positions pointing at the Ansible sources. */
export function ansibleDocument(flat: FlatInventory, o: AnsibleDocOptions): ParsedDocument {
  const where = new Map<string, Position>();
  const sources = new Map<string, string>();
  const implicit = new Set<string>();
  const warnings: string[] = [...(o.warnings ?? [])];
  const issues: InventoryIssue[] = [...(o.readIssues ?? [])];
  const at = (v: AnsibleValue): string => whereOf(v.at, o.file);

  const masters = union(flat, MASTER_GROUPS);
  const nodes = union(flat, NODE_GROUPS);
  const hasEtcdGroup = flat.groups.has('etcd');
  const etcd = new Set(hostsOf(flat.groups, 'etcd'));
  const workers = nodes.filter((h) => !masters.includes(h));
  const etcdOnly = [...etcd].filter((h) => !masters.includes(h) && !nodes.includes(h));
  const ordered = [...masters, ...workers, ...etcdOnly];
  const groupsOf = (h: string): string[] =>
    [...flat.groups.keys()].filter((g) => g !== 'all' && g !== 'ungrouped' && hostsOf(flat.groups, g).includes(h)).sort(byCodePoint);

  /** A var's value with its {{ var }} templates rendered; an issue (and undefined) when it is encrypted or a template kubemend cannot evaluate. */
  const value = (host: string, vars: ReadonlyMap<string, AnsibleValue>, v: AnsibleValue | undefined, name: string): AnsibleValue | undefined => {
    if (!v) return undefined;
    const problem = (message: string): undefined => {
      issues.push({
        file: v.at.file ?? o.file,
        line: v.at.line,
        column: v.at.column,
        field: v.at.via ? `${v.at.field} (ansible-inventory)` : v.at.field,
        message: `${name}: ${message}`,
      });
      return undefined;
    };
    if (v.vault) return problem('encrypted with Ansible Vault: kubemend cannot decrypt it; write it in clear (it is not a secret kubemend needs)');
    const r = renderTemplates(v.value, host, (n) => vars.get(n));
    if ('error' in r)
      return problem(
        `a Jinja template kubemend cannot evaluate (${r.error}): ${shown(typeof v.value === 'string' ? v.value : JSON.stringify(v.value))}; write the value itself (ansible-inventory does not evaluate templates either)`,
      );
    return { ...v, value: r.value };
  };

  const hosts: Record<string, unknown>[] = [];
  for (const [i, name] of ordered.entries()) {
    const vars = flat.vars.get(name) ?? new Map<string, AnsibleValue>();
    const base: DocPath = ['hosts', i];
    const hostAt = flat.hostAt.get(name) ?? o.top;
    const role = i < masters.length ? 'master' : i < masters.length + workers.length ? 'worker' : 'etcd';
    where.set(formatPath(base), hostAt);
    where.set(formatPath([...base, 'name']), hostAt);
    where.set(formatPath([...base, 'role']), hostAt);
    const groups = groupsOf(name);
    sources.set(formatPath([...base, 'role']), `groups ${groups.join(', ')}`);
    const host: Record<string, unknown> = { name, role, etcd: etcd.has(name) };
    const set = (field: string, keys: readonly string[], conv: (x: unknown) => unknown = (x) => x): void => {
      const key = keys.find((k) => vars.has(k));
      const v = key ? value(name, vars, vars.get(key), key) : undefined;
      if (!v) {
        // refused above (the load stops): the name stands in so the missing field is not reported twice
        if (key && field === 'address') host.address = name;
        return;
      }
      host[field] = conv(v.value);
      where.set(formatPath([...base, field]), v.at);
    };
    if (pick(vars, ...HOST_VARS.address)) set('address', HOST_VARS.address);
    else {
      host.address = name;
      implicit.add(formatPath([...base, 'address']));
      sources.set(formatPath([...base, 'address']), 'the inventory host name');
    }
    set('user', HOST_VARS.user);
    set('port', HOST_VARS.port, scalar);
    set('identityFile', HOST_VARS.identityFile);
    const pass = pick(vars, ...HOST_VARS.becomePassword);
    if (pass) {
      host.sudo = 'password';
      where.set(formatPath([...base, 'sudo']), pass.at);
    }
    set('labels', HOST_VARS.labels, structured);
    servingSansOf(
      vars,
      (k) => value(name, vars, vars.get(k), k),
      (v) => {
        host.servingSANs = v.values;
        where.set(formatPath([...base, 'servingSANs']), v.at);
      },
    );
    hosts.push(host);
  }

  const data: Record<string, unknown> = { hosts };
  where.set('(document)', o.top);
  where.set('hosts', { ...o.top, field: 'kube_control_plane' });

  // cluster-wide vars: as the first master sees them (kubespray reads them per host; they live in group_vars/all)
  const lead = masters[0] ?? ordered[0];
  const leadVars = (lead ? flat.vars.get(lead) : undefined) ?? new Map<string, AnsibleValue>();
  const cv = (name: string): AnsibleValue | undefined => (lead ? value(lead, leadVars, leadVars.get(name), name) : undefined);

  const explicitName = cv('kubemend_cluster_name');
  const kubesprayName = explicitName ? undefined : leadVars.get('cluster_name');
  if (o.clusterName !== undefined) {
    data.cluster = o.clusterName;
    where.set('cluster', { ...o.top, field: '--cluster-name' });
    sources.set('cluster', '--cluster-name');
  } else if (explicitName) {
    data.cluster = explicitName.value;
    where.set('cluster', explicitName.at);
  } else if (kubesprayName && !(typeof kubesprayName.value === 'string' && kubesprayName.value.includes('.'))) {
    // kubespray's cluster_name is the cluster's DNS domain (cluster.local): used only when it is a plain name
    const v = cv('cluster_name');
    if (v) {
      data.cluster = v.value;
      where.set('cluster', v.at);
    }
  }
  if (data.cluster === undefined) {
    const derived = clusterNameFromPath(o.absFile);
    data.cluster = derived.name;
    where.set('cluster', { ...o.top, field: 'kubemend_cluster_name' });
    sources.set('cluster', derived.source);
  }

  const lbName = cv('apiserver_loadbalancer_domain_name');
  const lbRaw = cv('loadbalancer_apiserver');
  const lb = lbRaw ? (structured(lbRaw.value) as Record<string, unknown> | undefined) : undefined;
  const lbHost = lbName?.value ?? (lb && typeof lb === 'object' ? lb.address : undefined);
  if (lbHost !== undefined) {
    const port = (lb && typeof lb === 'object' ? lb.port : undefined) ?? cv('loadbalancer_apiserver_port')?.value ?? 6443;
    const h = String(lbHost);
    data.controlPlaneEndpoint = `${h.includes(':') ? `[${h}]` : h}:${String(port)}`;
    where.set('controlPlaneEndpoint', (lbName ?? lbRaw)!.at);
  } else if (hosts[0] && masters.length > 0) {
    const a = String(hosts[0].address);
    data.controlPlaneEndpoint = `${a.includes(':') ? `[${a}]` : a}:6443`;
    where.set('controlPlaneEndpoint', where.get('hosts[0].address') ?? flat.hostAt.get(masters[0]!) ?? o.top);
    sources.set('controlPlaneEndpoint', `the first master's address (${masters[0]}), port 6443`);
  } else {
    where.set('controlPlaneEndpoint', { ...o.top, field: 'apiserver_loadbalancer_domain_name' });
  }

  const firstEtcd = [...etcd][0];
  const etcdType = firstEtcd ? flat.vars.get(firstEtcd)?.get('etcd_deployment_type') : undefined;

  const bastion = hostsOf(flat.groups, 'bastion')[0];
  if (bastion) {
    const bv = flat.vars.get(bastion) ?? new Map<string, AnsibleValue>();
    const get = (keys: readonly string[]): AnsibleValue | undefined => {
      const k = keys.find((x) => bv.has(x));
      return k ? value(bastion, bv, bv.get(k), k) : undefined;
    };
    const jump: Record<string, unknown> = { host: get(HOST_VARS.address)?.value ?? bastion };
    const user = get(HOST_VARS.user);
    if (user) jump.user = user.value;
    const port = get(HOST_VARS.port);
    if (port) jump.port = scalar(port.value);
    const key = get(HOST_VARS.identityFile);
    if (key) jump.identityFile = key.value;
    data.ssh = { jump };
    where.set('ssh', flat.hostAt.get(bastion) ?? o.top);
    where.set('ssh.jump', flat.hostAt.get(bastion) ?? o.top);
    sources.set('ssh.jump', `group bastion (${bastion})`);
  }

  // every ansible_* var kubemend does not honour, once per place it is written
  const noted = new Set<string>();
  for (const h of [...ordered, ...(bastion && !ordered.includes(bastion) ? [bastion] : [])]) {
    for (const [k, v] of flat.vars.get(h) ?? []) {
      const note = unsupportedVarNote(k, v.vault ? undefined : v.value);
      const key = `${at(v)}:${k}`;
      if (!note || noted.has(key)) continue;
      noted.add(key);
      warnings.push(`${at(v)}: ${k}: ${note}`);
    }
  }
  for (const h of [...ordered, ...(bastion ? [bastion] : [])]) {
    if (flat.groups.has(h))
      warnings.push(
        `${h} is both a host and a group: Ansible gives the host's inventory vars to the group, so group_vars files beat them (as ansible-inventory shows)`,
      );
  }
  for (const f of flat.unreadable) {
    warnings.push(
      `${f}: encrypted with Ansible Vault: kubemend's reader cannot read it, so the vars it sets are unknown (with ansible-core installed and ANSIBLE_VAULT_PASSWORD_FILE set, ansible-inventory reads it)`,
    );
  }
  if (!hasEtcdGroup && masters.length > 0) sources.set('etcd', 'no etcd group: kubeadm stacked etcd (on every master) assumed');

  return {
    format: o.format,
    data,
    implicit,
    warnings,
    readIssues: issues,
    sources,
    ansible: {
      groups: flat.groups,
      reference: flat.reference,
      varsFiles: flat.varsFiles,
      hasEtcdGroup,
      ...(etcdType && typeof etcdType.value === 'string' ? { etcdDeploymentType: etcdType.value } : {}),
    },
    locate(path) {
      for (let n = path.length; n >= 0; n--) {
        const p = where.get(formatPath(path.slice(0, n)));
        if (!p) continue;
        if (n === path.length) return p;
        return { ...p, field: n === 0 ? formatPath(path) : `${p.field} (${formatPath(path)})` };
      }
      return o.top;
    },
  };
}
