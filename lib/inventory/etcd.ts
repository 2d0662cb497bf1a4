/** What the etcd topology allows: the playbooks that assume kubeadm's stacked etcd refuse an inventory whose etcd runs elsewhere. */
import type { Inventory } from './types.js';

/** Thrown when a command cannot work on this etcd topology (a usage error: exit 2, before any host is contacted). */
export class EtcdTopologyError extends Error {
  /** Stable code for callers (the CLI maps it to exit status 2). */
  readonly code = 'EUSAGE';
  constructor(message: string) {
    super(message);
    this.name = 'EtcdTopologyError';
  }
}

/**
 * Throw EtcdTopologyError when `inv`'s etcd is not stacked on the masters, unless its
 * etcd_deployment_type is one the command handles apart from the masters (`handled`: recover keeps
 * kubespray's `host` etcd wherever its etcd group puts it); `what` names the command.
 */
export function requireStackedEtcd(inv: Inventory, what: string, handled: readonly string[] = []): void {
  const e = inv.etcd;
  if (!e || e.placement === 'stacked') return;
  if (e.deploymentType && handled.includes(e.deploymentType)) {
    // etcd-only hosts and masters outside the group are handled; a Kubernetes worker that is also an etcd member is not (yet)
    const workers = e.members.filter((m) => inv.hosts.some((h) => h.name === m && h.role === 'worker'));
    if (!workers.length) return;
    throw new EtcdTopologyError(
      `${what} keeps kubespray's etcd on the masters and on etcd-only hosts, and this inventory's etcd group also holds ${workers.join(', ')}, ${workers.length === 1 ? 'a worker' : 'workers'} (kube_node): ` +
        `a Kubernetes worker that is also an etcd member is not repaired yet; nothing was contacted. \`kubemend inventory -i ${inv.file}\` shows what was read.`,
    );
  }
  throw new EtcdTopologyError(
    `${what} needs etcd stacked on the masters (kubeadm's layout), and this inventory's etcd is ${e.reason} (etcd members: ${e.members.join(', ') || 'none'}). ` +
      `It does not handle a separate etcd yet; nothing was contacted. \`kubemend inventory -i ${inv.file}\` shows what was read.`,
  );
}

/**
 * kubespray's etcd_deployment_type values whose etcd is not kubeadm's static pod: `host` (a systemd
 * service, kubespray's default: roles/kubespray_defaults/defaults/main/main.yml) and `docker`
 * (a container run by a systemd unit). `kubeadm` is kubeadm's own stacked etcd.
 */
export const NON_KUBEADM_ETCD = ['host', 'docker'] as const;

/**
 * Throw EtcdTopologyError when the inventory says etcd is deployed by kubespray outside kubeadm
 * (etcd_deployment_type host or docker), even on the masters, unless the command handles that
 * type (`handled`: recover repairs `host` on the masters); `what` names the command.
 */
export function requireKubeadmEtcd(inv: Inventory, what: string, handled: readonly string[] = []): void {
  const type = inv.etcd?.deploymentType;
  if (!type || !(NON_KUBEADM_ETCD as readonly string[]).includes(type) || handled.includes(type)) return;
  throw new EtcdTopologyError(
    `${what} needs kubeadm's etcd (static pods on the masters, its CA in /etc/kubernetes/pki/etcd), and this inventory sets etcd_deployment_type: ${type} ` +
      `(kubespray runs etcd as a ${type === 'host' ? 'systemd service' : 'container of a systemd unit'}, with its certificates in /etc/ssl/etcd/ssl; etcd members: ${inv.etcd!.members.join(', ') || 'none'}). ` +
      `It does not handle that layout${handled.length ? ` (only etcd_deployment_type ${handled.join(', ')})` : ''}; nothing was contacted. \`kubemend inventory -i ${inv.file}\` shows what was read; docs/kubespray.md says what to do instead.`,
  );
}
