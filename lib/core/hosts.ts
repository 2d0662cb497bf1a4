/** Host selectors for Phase.hosts(): they pick from ctx.hosts (the --limit selection, minus failed hosts). */
import type { Host } from '../inventory/types.js';
import type { PhaseContext } from './types.js';

/** Every host still in the run. */
export const allHosts = (ctx: PhaseContext): readonly Host[] => ctx.hosts;
/** Every master. */
export const masters = (ctx: PhaseContext): readonly Host[] => ctx.hosts.filter((h) => h.role === 'master');
/** Every worker. */
export const workers = (ctx: PhaseContext): readonly Host[] => ctx.hosts.filter((h) => h.role === 'worker');
/** The master rebuilt first (`first: true` in the inventory). */
export const firstMaster = (ctx: PhaseContext): readonly Host[] => ctx.hosts.filter((h) => h.role === 'master' && h.first);
/** The masters other than the first. */
export const otherMasters = (ctx: PhaseContext): readonly Host[] => ctx.hosts.filter((h) => h.role === 'master' && !h.first);

/** The first master of the inventory, whether or not --limit selected it (cluster phases use it). */
export function inventoryFirst(ctx: PhaseContext): Host {
  const h = ctx.inventory.hosts.find((x) => x.role === 'master' && x.first);
  if (!h) throw new Error(`inventory ${ctx.inventory.file}: no master marked first`);
  return h;
}
