/** What `kubemend inventory` prints: the resolved hosts and where every value came from, as text (like ansible-inventory --graph) or JSON (like --list). */
import type { Host, HostField, Inventory } from './types.js';

/** A value and where it came from. */
export interface Sourced<T> {
  value: T;
  from: string;
}

/** One host in the JSON. */
export interface DescribedHost {
  name: string;
  role: Sourced<Host['role']>;
  etcd: boolean;
  first: boolean;
  groups: string[];
  address: Sourced<string>;
  port: Sourced<number>;
  user: Sourced<string>;
  identityFile: Sourced<string | null>;
  sudo: Sourced<Host['sudo']>;
  jump: Sourced<string | null>;
  labels: Sourced<Record<string, string>>;
}

/** The JSON document (`kubemend inventory --json`). */
export interface InventoryDescription {
  kind: 'kubemend-inventory';
  version: 1;
  file: string;
  format: string;
  reader: string;
  varsFiles: string[];
  cluster: Sourced<string>;
  controlPlaneEndpoint: Sourced<string>;
  etcd: { placement: string; members: string[]; reason: string; deploymentType?: string; from: string };
  groups: Record<string, { hosts: string[]; children: string[] }>;
  hosts: DescribedHost[];
  warnings: string[];
}

/** `user@host:port` of a jump host. */
function jumpText(h: Host): string | null {
  return h.jump ? `${h.jump.user}@${h.jump.host.includes(':') ? `[${h.jump.host}]` : h.jump.host}:${h.jump.port}` : null;
}

/** The description of `inv`, limited to `hosts` (the --limit selection). */
export function describeInventory(inv: Inventory, hosts: readonly Host[] = inv.hosts): InventoryDescription {
  const from = (h: Host, f: HostField, dflt = 'default'): string => inv.origins?.hosts[h.name]?.[f] ?? dflt;
  const members = new Set(inv.etcd?.members ?? inv.hosts.filter((h) => h.role === 'master').map((h) => h.name));
  const groupsOf = (h: Host): string[] =>
    Object.entries(inv.groups ?? {})
      .filter(([g, hs]) => g !== 'all' && g !== 'ungrouped' && hs.includes(h.name))
      .map(([g]) => g)
      .sort();
  const keep = new Set(hosts.map((h) => h.name));
  return {
    kind: 'kubemend-inventory',
    version: 1,
    file: inv.file,
    format: inv.format ?? 'kubemend',
    reader: inv.reader?.reference ?? 'kubemend',
    varsFiles: inv.reader?.varsFiles ?? [],
    cluster: { value: inv.cluster, from: inv.origins?.cluster ?? inv.file },
    controlPlaneEndpoint: { value: inv.controlPlaneEndpoint, from: inv.origins?.controlPlaneEndpoint ?? inv.file },
    etcd: {
      placement: inv.etcd?.placement ?? 'stacked',
      members: [...members],
      reason: inv.etcd?.reason ?? 'stacked on the masters (kubeadm)',
      ...(inv.etcd?.deploymentType ? { deploymentType: inv.etcd.deploymentType } : {}),
      from: inv.origins?.etcd ?? 'every master',
    },
    groups: Object.fromEntries(Object.entries(inv.groupTree ?? {}).map(([g, t]) => [g, { hosts: t.hosts.filter((h) => keep.has(h)), children: t.children }])),
    hosts: hosts.map((h) => ({
      name: h.name,
      role: { value: h.role, from: from(h, 'role', inv.file) },
      etcd: members.has(h.name),
      first: h.first,
      groups: groupsOf(h),
      address: { value: h.address, from: from(h, 'address', inv.file) },
      port: { value: h.port, from: from(h, 'port') },
      user: { value: h.user, from: from(h, 'user') },
      identityFile: { value: h.identityFile ?? null, from: from(h, 'identityFile') },
      sudo: { value: h.sudo, from: from(h, 'sudo') },
      jump: { value: jumpText(h), from: from(h, 'jump', 'none') },
      labels: { value: h.labels, from: from(h, 'labels', 'none') },
    })),
    warnings: inv.warnings,
  };
}

/** Lines of `ansible-inventory --graph`: `@group:`, children and hosts below it, `  |--` per depth. */
function graph(d: InventoryDescription): string[] {
  const tree = d.groups;
  if (!tree.all) return [];
  const out: string[] = [];
  const name = (n: string, depth: number): string => (depth ? `${'  |'.repeat(depth)}--${n}` : n);
  const walk = (g: string, depth: number): void => {
    out.push(name(`@${g}:`, depth));
    if (depth > 32) return;
    for (const c of tree[g]?.children ?? []) walk(c, depth + 1);
    for (const h of tree[g]?.hosts ?? []) out.push(name(h, depth + 1));
  };
  walk('all', 0);
  return out;
}

/** Columns padded to their widest cell. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** The text form: summary, group graph (Ansible inventories), hosts table, then where every value came from. */
export function formatInventory(d: InventoryDescription): string {
  const lines: string[] = [];
  const head = [
    ['inventory', `${d.file} (${d.format}${d.format === 'kubemend' ? '' : `, read by ${d.reader}`})`],
    ...(d.varsFiles.length ? [['vars files', d.varsFiles.join(', ')]] : []),
    ['cluster', `${d.cluster.value}  (from ${d.cluster.from})`],
    ['endpoint', `${d.controlPlaneEndpoint.value}  (from ${d.controlPlaneEndpoint.from})`],
    [
      'etcd',
      `${d.etcd.reason}; members ${d.etcd.members.join(', ') || 'none'}${d.etcd.deploymentType ? `; etcd_deployment_type ${d.etcd.deploymentType}` : ''}  (from ${d.etcd.from})`,
    ],
  ];
  lines.push(...table(head), '');
  const g = graph(d);
  if (g.length) lines.push(...g, '');
  const role = (h: DescribedHost): string => `${h.role.value}${h.etcd && h.role.value !== 'etcd' ? '+etcd' : ''}${h.first ? ' (first)' : ''}`;
  lines.push(
    ...table([
      ['HOST', 'ROLE', 'ADDRESS', 'PORT', 'USER', 'JUMP'],
      ...d.hosts.map((h) => [h.name, role(h), h.address.value, String(h.port.value), h.user.value, h.jump.value ?? '-']),
    ]),
    '',
  );
  lines.push('where each value came from:');
  const rows: string[][] = [];
  for (const h of d.hosts) {
    const fields: [string, string, string][] = [
      ['role', role(h), h.role.from],
      ['address', h.address.value, h.address.from],
      ['port', String(h.port.value), h.port.from],
      ['user', h.user.value, h.user.from],
      ['identityFile', h.identityFile.value ?? '-', h.identityFile.from],
      ['sudo', h.sudo.value, h.sudo.from],
      ['jump', h.jump.value ?? '-', h.jump.from],
      ...(Object.keys(h.labels.value).length
        ? [
            [
              'labels',
              Object.entries(h.labels.value)
                .map(([k, v]) => `${k}=${v}`)
                .join(','),
              h.labels.from,
            ] as [string, string, string],
          ]
        : []),
    ];
    fields.forEach(([f, v, src], i) => {
      rows.push([i === 0 ? h.name : '', f, v, src]);
    });
  }
  if (rows.length) lines.push(...table(rows).map((l) => `  ${l}`));
  if (d.warnings.length) lines.push('', 'warnings:', ...d.warnings.map((w) => `  ${w}`));
  return lines.join('\n');
}
