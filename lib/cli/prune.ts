/**
 * `kubemend prune -i INVENTORY (--keep N | --older-than AGE | --runs IDS)`: backup retention, as
 * the `prune` playbook (playbooks/prune.ts) with the usual shape: the plan says which runs go
 * where and why the others stay, then the cluster name is asked (or --yes), then they are removed
 * and journaled. `--dry-run` shows the plan only.
 */
import { type Command, Option } from 'commander';
import { defaultStateDir } from '../core/journal.js';
import { planCommand } from './commands/plan.js';
import { runCommand } from './commands/run.js';
import { clusterNameOption, inventoryOption } from './commands/inventory.js';
import type { Deps } from './deps.js';

/** prune's flags, as commander gives them. */
type PruneFlags = {
  inventory: string;
  keep?: string;
  olderThan?: string;
  runs?: string;
  includeUnfinished?: boolean;
  where: 'both' | 'hosts' | 'laptop';
  limit?: string;
  stateDir: string;
  dryRun?: boolean;
  yes?: boolean;
  logFormat: 'text' | 'json';
  verbose?: boolean;
  acceptNewHostKeys?: boolean;
};

/** Register the prune command on the program. */
export function registerPrune(program: Command, getDeps: () => Promise<Deps>, setExit: (code: number) => void): void {
  program
    .command('prune')
    .description('backup retention: remove old runs from /var/backups/kubemend on the hosts and their run folders on this machine (plan, confirm, remove)')
    .addOption(inventoryOption(true))
    .addOption(clusterNameOption())
    .option('--keep <n>', 'keep the N newest runs (on each host, and of this cluster on this machine)')
    .option('--older-than <age>', 'remove only runs older than this (30d, 2w, 12h); with --keep, only beyond the N newest')
    .option('--runs <ids>', 'remove these runs (comma-separated run ids)')
    .option('--include-unfinished', 'also remove runs this machine knows as failed, interrupted or running')
    .addOption(new Option('--where <where>', 'the hosts, this machine, or both').choices(['both', 'hosts', 'laptop']).default('both'))
    .option('-l, --limit <hosts>', 'only these hosts (names, globs, roles)')
    .option('--state-dir <dir>', 'where run folders are kept', defaultStateDir())
    .option('--dry-run', 'show what would be removed, change nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .addOption(new Option('--log-format <format>', 'terminal output').choices(['text', 'json']).default('text'))
    .option('-v, --verbose', 'print every command as it runs')
    .option('--accept-new-host-keys', 'trust and record host keys not yet in known_hosts')
    .addHelpText(
      'after',
      '\nExamples:\n  $ kubemend prune -i inventory.yaml --keep 3 --dry-run\n  $ kubemend prune -i inventory.yaml --older-than 30d --keep 2\n  $ kubemend prune -i inventory.yaml --runs 20261129-052000-a1b2 --yes   # the old PKI after --replace-ca\n\nExit codes: 0 done, 1 a host failed, 2 bad input, 130 interrupted.',
    )
    .action(async (o: PruneFlags) => {
      const rawOptions = { keep: o.keep, olderThan: o.olderThan, runs: o.runs, includeUnfinished: o.includeUnfinished, where: o.where };
      const common = {
        inventory: o.inventory,
        concurrency: 20,
        logFormat: o.logFormat,
        acceptNewHostKeys: o.acceptNewHostKeys,
        stateDir: o.stateDir,
        selection: { limit: o.limit },
        rawOptions,
      };
      const deps = await getDeps();
      setExit(o.dryRun ? await planCommand(deps, 'prune', common) : await runCommand(deps, 'prune', { ...common, yes: o.yes, verbose: o.verbose }));
    });
}
