/**
 * Which layout the doctor found: kubeadm's (stacked etcd static pods, /etc/kubernetes/pki) or
 * kubespray's (etcd as a host service with /etc/ssl/etcd/ssl, /etc/kubernetes/ssl, nginx-proxy),
 * from the inventory (its etcd group and etcd_deployment_type) and from the hosts' files
 * (lib/facts/shape.ts). Pure.
 */
import { describeShapes, repairableLayout } from '../facts/shape.js';
import { NON_KUBEADM_ETCD } from '../inventory/etcd.js';
import { nameList } from './names.js';
import type { ClusterFacts, Layout } from './types.js';

/** The layout, with where etcd runs and the evidence for it, from the facts. */
export function layoutOf(f: ClusterFacts): Layout {
  const e = f.inventoryEtcd;
  const evidence: string[] = [];
  if (e?.deploymentType && e.deploymentType !== 'kubeadm') evidence.push(`inventory: etcd_deployment_type ${e.deploymentType}`);
  if (e?.placement === 'separate') evidence.push(`inventory: etcd ${e.reason}`);
  const read = f.hosts.filter((h) => !h.error && h.shape);
  evidence.push(...describeShapes(read.map((h) => ({ host: h.name, shape: h.shape! }))));
  const sprayEtcd = !!e?.deploymentType && (NON_KUBEADM_ETCD as readonly string[]).includes(e.deploymentType);
  const hostEtcd = read.some((h) => h.shape!.found.some((m) => m.path === '/etc/systemd/system/etcd.service' || m.path === '/etc/ssl/etcd/ssl'));
  const kubeadmEtcd = e?.deploymentType === 'kubeadm';
  const name: Layout['name'] = evidence.length ? 'kubespray' : read.length || kubeadmEtcd ? 'kubeadm' : 'unknown';
  if (name === 'kubeadm' && kubeadmEtcd) evidence.push('inventory: etcd_deployment_type kubeadm');
  if (name === 'kubeadm' && read.length)
    evidence.push(`none of kubespray's files on ${read.length === f.hosts.length ? 'every host read' : nameList(read.map((h) => h.name))}`);
  const members = e?.members?.length ? nameList(e.members) : undefined;
  const where = e?.placement === 'separate' ? `on the etcd group (${members}), not the masters alone` : `on the masters${members ? ` (${members})` : ''}`;
  const etcd =
    name === 'kubeadm'
      ? `static pods on the masters${members ? ` (${members})` : ''}`
      : e?.deploymentType === 'docker'
        ? `a container of a systemd unit ${where}`
        : sprayEtcd || hostEtcd
          ? `a systemd service ${where}, certificates in /etc/ssl/etcd/ssl`
          : name === 'kubespray'
            ? `kubeadm's static pods ${where} (etcd_deployment_type kubeadm)`
            : 'unknown (no host read)';
  return { name, etcd, evidence };
}

/** The layout in one line: `layout: kubespray's (etcd: ...; from ...)`. */
export function layoutLine(l: Layout): string {
  const who = l.name === 'unknown' ? 'unknown' : `${l.name}'s`;
  return `layout: ${who} (etcd: ${l.etcd}${l.evidence.length ? `; ${l.name === 'kubeadm' ? '' : 'from '}${l.evidence.join('; ')}` : ''})`;
}

/**
 * Why recover does not repair this kubespray-built cluster (empty when it does): its etcd apart from
 * the masters without etcd_deployment_type host, or of type docker (from the inventory), a shape step 0
 * refuses (lib/facts/shape.ts repairableLayout: the haproxy proxy, an etcd member without kubespray's etcd
 * service, ...), or more etcd members than the inventory's etcd group names.
 */
export function kubesprayNotRepaired(f: ClusterFacts): string[] {
  const e = f.inventoryEtcd;
  const why: string[] = [];
  if (e?.placement === 'separate' && e.deploymentType !== 'host') why.push(`etcd ${e.reason}, and the inventory does not say etcd_deployment_type host`);
  if (e?.deploymentType === 'docker') why.push('etcd_deployment_type docker');
  const workerMembers = f.hosts.filter((h) => h.role === 'worker' && e?.members.includes(h.name)).map((h) => h.name);
  if (workerMembers.length)
    why.push(`${nameList(workerMembers)} in the etcd group and a worker: a Kubernetes node that is also an etcd member is not repaired yet`);
  const read = f.hosts.filter((h) => !h.error && h.shape);
  const got = repairableLayout(
    read.map((h) => ({ host: h.name, role: h.role, shape: h.shape! })),
    e?.members ?? [],
  );
  if ('refused' in got) why.push(...got.refused);
  const members = (f.etcd?.healthy.length ?? 0) + (f.etcd?.unhealthy.length ?? 0);
  const named = e?.members?.length ? e.members : f.hosts.filter((h) => h.role === 'master').map((h) => h.name);
  if (members > named.length)
    why.push(
      `etcd has ${members} members and the inventory names ${named.length} (${nameList(named)}): list every etcd host in the inventory's etcd group, as kubespray's own inventory does`,
    );
  return why;
}
