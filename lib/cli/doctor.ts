/** `kubemend doctor -i INVENTORY [--json]`: read-only health of a cluster and the playbook to run. Exit 0 healthy, 1 problems, 2 bad input. */
import type { Command } from 'commander';
import { doctor } from '../doctor/run.js';
import { formatDoctor } from '../doctor/format.js';
import { clusterNameOption, inventoryOption } from './commands/inventory.js';
import type { Deps } from './deps.js';
import { EXIT } from './exit.js';
import { out } from './io.js';
import { jsonText } from '../core/log.js';

/** Register the doctor command on the program. */
export function registerDoctor(program: Command, getDeps: () => Promise<Deps>, setExit: (code: number) => void): void {
  program
    .command('doctor')
    .description('read-only: certificates, CA chains, kubelet, Nodes, etcd of every host; a diagnosis and the playbook to run')
    .addOption(inventoryOption(true))
    .addOption(clusterNameOption())
    .option('--json', 'print facts and diagnosis as JSON')
    .option('--accept-new-host-keys', 'trust and record host keys not yet in known_hosts')
    .addHelpText(
      'after',
      '\nExamples:\n  $ kubemend doctor -i inventory.yaml\n  $ kubemend doctor -i inventory.yaml --json\n\nExit codes: 0 healthy, 1 problems found, 2 bad input.',
    )
    .action(async (o: { inventory: string; json?: boolean; acceptNewHostKeys?: boolean }) => {
      const deps = await getDeps();
      const inv = await deps.loadInventory(o.inventory);
      // no refusal of kubespray's layout or a separate etcd here: doctor reads and says which layout it found (lib/doctor/layout.ts)
      const transport = deps.createTransport(inv, { acceptNewHostKeys: o.acceptNewHostKeys });
      try {
        const { facts, diagnosis } = await doctor(inv, transport);
        if (o.json) out(jsonText(JSON.stringify({ kind: 'kubemend-doctor', version: 1, facts, diagnosis }, null, 2)));
        else out(formatDoctor(facts, diagnosis), { paint: true });
        setExit(diagnosis.healthy ? EXIT.ok : EXIT.failed);
      } finally {
        await transport.close();
      }
    });
}
