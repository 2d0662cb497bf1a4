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

/** Throw EtcdTopologyError when `inv`'s etcd is not stacked on the masters; `what` names the command. */
export function requireStackedEtcd(inv: Inventory, what: string): void {
  const e = inv.etcd;
  if (!e || e.placement === 'stacked') return;
  throw new EtcdTopologyError(
    `${what} needs etcd stacked on the masters (kubeadm's layout), and this inventory's etcd is ${e.reason} (etcd members: ${e.members.join(', ') || 'none'}). ` +
      `It does not handle a separate etcd yet; nothing was contacted. \`kubemend inventory -i ${inv.file}\` shows what was read.`,
  );
}
