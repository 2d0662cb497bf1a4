/**
 * Host selectors for Phase.hosts(): they pick from ctx.hosts (the --limit selection, minus failed
 * hosts). The first master is the inventory's (`first: true`, else its first master) unless a
 * phase of the run chose another one with setFirstMaster (recover's step 0: the master the API
 * endpoint leads to); every selector and every phase then follows that choice.
 */
import type { Host } from '../inventory/types.js';
import type { PhaseContext } from './types.js';
import { sharedKey } from './shared.js';

/** Shared-map key of the first master chosen for this run (a host name). */
const FIRST = sharedKey<string>('run:first-master');

/** Make `name` the run's first master (recover's step 0); later selectors and phases follow it. */
export function setFirstMaster(ctx: PhaseContext, name: string): void {
  const h = ctx.inventory.hosts.find((x) => x.name === name && x.role === 'master');
  if (!h) throw new Error(`inventory ${ctx.inventory.file}: ${name} is not a master`);
  ctx.shared.set(FIRST, name);
}

/** Name of the run's first master: the one chosen for this run, else the inventory's. */
export function firstMasterName(ctx: PhaseContext): string {
  const chosen = ctx.shared.get(FIRST);
  if (chosen) return chosen;
  const h = ctx.inventory.hosts.find((x) => x.role === 'master' && x.first) ?? ctx.inventory.hosts.find((x) => x.role === 'master');
  if (!h) throw new Error(`inventory ${ctx.inventory.file}: no master`);
  return h.name;
}

/** Every master of the inventory, whatever --limit selected or earlier phases dropped (etcd's member count, the proof). */
export const inventoryMasters = (ctx: Pick<PhaseContext, 'inventory'>): Host[] => ctx.inventory.hosts.filter((h) => h.role === 'master');

/**
 * The inventory's etcd members, whatever --limit selected: its etcd group when it names one (an
 * Ansible inventory; kubespray's etcd group may hold hosts that are not masters, and leave masters
 * out), else the masters (kubeadm's stacked etcd). etcd's member counts come from here.
 */
export function inventoryEtcdMembers(ctx: Pick<PhaseContext, 'inventory'>): Host[] {
  const names = ctx.inventory.etcd?.members ?? [];
  if (!names.length) return inventoryMasters(ctx);
  return names.map((n) => ctx.inventory.hosts.find((h) => h.name === n)).filter((h): h is Host => !!h);
}

/** True when `h` is one of the inventory's etcd members (inventoryEtcdMembers). */
export const isEtcdMember = (ctx: Pick<PhaseContext, 'inventory'>, h: Host): boolean => inventoryEtcdMembers(ctx).some((m) => m.name === h.name);

/** The hosts of the run that are Kubernetes nodes (masters and workers): not the etcd-only hosts, which run no kubelet and hold no cluster CA. */
export const kubeNodes = (ctx: Pick<PhaseContext, 'hosts'>): readonly Host[] => ctx.hosts.filter((h) => h.role !== 'etcd');

/** Every host still in the run. */
export const allHosts = (ctx: PhaseContext): readonly Host[] => ctx.hosts;
/** Every master. */
export const masters = (ctx: PhaseContext): readonly Host[] => ctx.hosts.filter((h) => h.role === 'master');
/** Every worker. */
export const workers = (ctx: PhaseContext): readonly Host[] => ctx.hosts.filter((h) => h.role === 'worker');
/** The master rebuilt first (chosen for the run, else the inventory's `first`). */
export const firstMaster = (ctx: PhaseContext): readonly Host[] => {
  const name = firstMasterName(ctx);
  return ctx.hosts.filter((h) => h.role === 'master' && h.name === name);
};
/** The masters other than the first. */
export const otherMasters = (ctx: PhaseContext): readonly Host[] => {
  const name = firstMasterName(ctx);
  return ctx.hosts.filter((h) => h.role === 'master' && h.name !== name);
};

/** The first master, whether or not --limit selected it (cluster phases use it). */
export function inventoryFirst(ctx: PhaseContext): Host {
  return hostNamed(ctx, firstMasterName(ctx));
}

/** The inventory host called `name`. */
export function hostNamed(ctx: PhaseContext, name: string): Host {
  const h = ctx.inventory.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`host ${name} is not in the inventory`);
  return h;
}
