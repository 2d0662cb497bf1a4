/** Everything checked before any host is contacted: playbook, options, inventory, --limit, phase selection. */
import { UsageError } from '../core/errors.js';
import type { Selection } from '../core/events.js';
import { optionFlags, parseOptions } from '../core/options.js';
import { selectPlaybookPhases } from '../core/select.js';
import type { AnyPlaybook } from '../core/types.js';
import { requireKubeadmEtcd, requireStackedEtcd } from '../inventory/etcd.js';
import type { Host, Inventory } from '../inventory/types.js';
import { getPlaybook, listPlaybooks } from '../../playbooks/index.js';
import type { Deps } from './deps.js';
import { err } from './io.js';
import { checkLimit } from './checks.js';

/** A run ready to plan. */
export interface Prepared {
  playbook: AnyPlaybook;
  inventory: Inventory;
  hosts: Host[];
  options: Record<string, unknown>;
  selection: Selection;
}

/** The playbook called `name`; UsageError listing the known ones otherwise. */
export function findPlaybook(name: string): AnyPlaybook {
  const pb = getPlaybook(name);
  if (!pb)
    throw new UsageError(
      `unknown playbook ${JSON.stringify(name)}; known: ${listPlaybooks()
        .filter((p) => !p.hidden)
        .map((p) => p.name)
        .join(', ')}`,
    );
  return pb;
}

/** The values of a playbook's option flags among commander's parsed options. */
export function pickPlaybookOptions(pb: AnyPlaybook, cliOpts: Record<string, unknown>, allFlagKeys: readonly string[]): Record<string, unknown> {
  const mine = new Set(optionFlags(pb.options).map((f) => f.key));
  const raw: Record<string, unknown> = {};
  for (const k of allFlagKeys) {
    if (cliOpts[k] === undefined) continue;
    if (!mine.has(k)) throw new UsageError(`playbook ${pb.name} has no option --${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`);
    raw[k] = cliOpts[k];
  }
  return raw;
}

/** Validate everything a run needs, in the order a person fixes them. */
export async function prepare(
  deps: Deps,
  a: { playbook: string; inventory?: string; rawOptions: Record<string, unknown>; selection: Selection },
): Promise<Prepared> {
  checkLimit(a.selection.limit);
  const playbook = findPlaybook(a.playbook);
  const options = parseOptions<Record<string, unknown>>(playbook.options, a.rawOptions, playbook.name);
  selectPlaybookPhases(playbook.phases, a.selection);
  if (!a.inventory) throw new UsageError('missing -i/--inventory FILE');
  const inventory = await deps.loadInventory(a.inventory);
  for (const w of inventory.warnings) err(`warning: ${w}`);
  if (!playbook.separateEtcd) {
    const handled = playbook.kubesprayEtcd ? ['host'] : []; // recover keeps kubespray's etcd service, on the masters or apart
    requireStackedEtcd(inventory, `playbook ${playbook.name}`, handled);
    requireKubeadmEtcd(inventory, `playbook ${playbook.name}`, handled);
  }
  const hosts = deps.selectHosts(inventory, a.selection.limit);
  if (hosts.length === 0) throw new UsageError(`--limit ${a.selection.limit}: no host selected`);
  return { playbook, inventory, hosts, options, selection: a.selection };
}
