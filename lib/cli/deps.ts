/**
 * The CLI's collaborators from other parts of kubemend (inventory loading, --limit, the SSH
 * transport), looked up at run time so the CLI is the one place that wires them together.
 */
import type { Host, Inventory } from '../inventory/types.js';
import type { Transport } from '../transport/types.js';

/** Options the CLI passes to the SSH transport. */
export interface TransportOptions {
  /** Trust and record unknown host keys (never changed ones). */
  acceptNewHostKeys?: boolean;
}

/** What the CLI needs from the rest of kubemend. */
export interface Deps {
  loadInventory(path: string): Promise<Inventory>;
  selectHosts(inv: Inventory, limit: string | undefined): Host[];
  createTransport(inv: Inventory, opts: TransportOptions): Transport;
}

async function findExport<T>(name: string, modules: readonly string[]): Promise<T> {
  for (const m of modules) {
    let mod: Record<string, unknown>;
    try {
      mod = await import(new URL(m, import.meta.url).href);
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(m.replace(/^\.\.\//, '').replace(/\.js$/, ''))) continue;
      throw err;
    }
    if (typeof mod[name] === 'function') return mod[name] as T;
  }
  throw new Error(`internal: ${name} not found in ${modules.join(', ')}`);
}

/** The real collaborators. */
export async function realDeps(): Promise<Deps> {
  const load = await findExport<(p: string) => Inventory | Promise<Inventory>>('loadInventory', ['../inventory/index.js', '../inventory/load.js']);
  const select = await findExport<(i: Inventory, l: string | undefined) => Host[]>('selectHosts', ['../inventory/index.js', '../inventory/select.js', '../inventory/limit.js']);
  const ssh = await findExport<(i: Inventory, o: TransportOptions) => Transport>('createSshTransport', ['../transport/ssh.js', '../transport/index.js']);
  return {
    loadInventory: async (p) => load(p),
    selectHosts: (i, l) => (l ? select(i, l) : i.hosts),
    createTransport: ssh,
  };
}
