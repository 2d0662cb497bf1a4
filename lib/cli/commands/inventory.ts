/**
 * `kubemend inventory -i INVENTORY [--limit H] [--json]`: the resolved hosts (role, address, port,
 * user, jump) and where each value came from, as `ansible-inventory --graph` / `--list` show an
 * Ansible inventory. Contacts no host. Also the `-i` and `--cluster-name` options every command shares.
 */
import { type Command, Option } from 'commander';
import { UsageError } from '../../core/errors.js';
import { describeInventory, formatInventory } from '../../inventory/describe.js';
import type { Deps } from '../deps.js';
import { EXIT } from '../exit.js';
import { out } from '../io.js';

/** `-i, --inventory`: a file or a kubespray inventory folder; $KUBEMEND_INVENTORY when not given. */
export function inventoryOption(required: boolean): Option {
  const o = new Option('-i, --inventory <path>', 'inventory file, or a folder holding one (kubespray: inventory/NAME/); default $KUBEMEND_INVENTORY').env(
    'KUBEMEND_INVENTORY',
  );
  return required ? o.makeOptionMandatory() : o;
}

/** `--cluster-name`: the name the confirmation asks for, over the inventory's vars and file name. */
export function clusterNameOption(): Option {
  return new Option('--cluster-name <name>', "the cluster's name (default: the inventory's kubemend_cluster_name, else its folder or file name)");
}

/** Options of `inventory`. */
export interface InventoryArgs {
  inventory?: string;
  limit?: string;
  json?: boolean;
}

/** Print the resolved inventory; exit 0 (2 for a bad inventory or --limit, thrown). */
export async function inventoryCommand(deps: Deps, a: InventoryArgs): Promise<number> {
  if (!a.inventory) throw new UsageError('missing -i/--inventory FILE (or set KUBEMEND_INVENTORY)');
  const inv = await deps.loadInventory(a.inventory);
  const d = describeInventory(inv, deps.selectHosts(inv, a.limit));
  out(a.json ? JSON.stringify(d, null, 2) : formatInventory(d));
  return EXIT.ok;
}

/** Register the inventory command on the program. */
export function registerInventory(program: Command, getDeps: () => Promise<Deps>, setExit: (code: number) => void): void {
  program
    .command('inventory')
    .description('show the hosts an inventory resolves to (role, address, port, user, jump) and where each value came from; contacts no host')
    .addOption(inventoryOption(true))
    .option('-l, --limit <hosts>', 'only these hosts or groups (names, globs, groups such as kube_node or etcd)')
    .option('--json', 'print it as JSON (kind kubemend-inventory, version 1)')
    .addOption(clusterNameOption())
    .addHelpText(
      'after',
      '\nExamples:\n  $ kubemend inventory -i inventory/mycluster/\n  $ kubemend inventory -i inventory/mycluster/inventory.ini --limit kube_node --json\n\nExit codes: 0 shown, 2 bad inventory or --limit.',
    )
    .action(async (o: { inventory: string; limit?: string; json?: boolean }) => {
      setExit(await inventoryCommand(await getDeps(), { inventory: o.inventory, limit: o.limit, json: o.json }));
    });
}
