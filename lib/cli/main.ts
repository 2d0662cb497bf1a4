#!/usr/bin/env node
/** The kubemend command line (commander): playbooks, plan, run, resume, exec. Exit codes: 0 done, 1 failed, 2 usage, 130 interrupted. */
// first: its clock starts before the other modules are evaluated (KUBEMEND_TRACE, --profile)
import { printTrace, trace } from '../core/trace.js';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Selection } from '../core/events.js';
import { defaultStateDir } from '../core/journal.js';
import { type OptionFlag, optionFlags } from '../core/options.js';
import { version } from '../core/version.js';
import { listPlaybooks } from '../../playbooks/index.js';
import { type ExecArgs, execCommand } from './commands/exec.js';
import { clusterNameOption, inventoryOption, registerInventory } from './commands/inventory.js';
import { completeCommand, registerCompletion } from './completion.js';
import { registerDoctor } from './doctor.js';
import { registerPrune } from './prune.js';
import { type PlanArgs, planCommand } from './commands/plan.js';
import { playbooksCommand } from './commands/playbooks.js';
import { type RunArgs, runCommand } from './commands/run.js';
import { offerLastRun, runsCommand } from './commands/runs.js';
import { type RestoreArgs, restoreCommand } from './commands/restore.js';
import { type Deps, realDeps } from './deps.js';
import { EXIT, exitFor } from './exit.js';
import { err, guardPipes } from './io.js';
import { findPlaybook, pickPlaybookOptions } from './prepare.js';

const positiveInt = (v: string): number => {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('must be a whole number >= 1');
  return Number(v);
};
const collect = (v: string, prev: string[] = []) => [
  ...prev,
  ...v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

/** Every playbook option flag, merged by flag name (each playbook validates its own); `hidden` when only hidden playbooks (the benchmark's) have it. */
function allPlaybookFlags(): Array<OptionFlag & { hidden: boolean }> {
  const byFlag = new Map<string, OptionFlag & { owners: string[]; hiddenOwners: string[] }>();
  for (const pb of listPlaybooks()) {
    for (const f of optionFlags(pb.options)) {
      const cur = byFlag.get(f.flag) ?? { ...f, owners: [], hiddenOwners: [] };
      (pb.hidden ? cur.hiddenOwners : cur.owners).push(pb.name);
      byFlag.set(f.flag, cur);
    }
  }
  return [...byFlag.values()].map((f) => ({
    ...f,
    hidden: f.owners.length === 0,
    description: `${f.description}${f.defaultValue !== undefined ? ` (default ${f.defaultValue})` : ''} [playbook: ${(f.owners.length ? f.owners : f.hiddenOwners).join(', ')}]`,
  }));
}

/** The selection flags of plan and run (addSelection), as commander gives them. */
type SelectionFlags = { limit?: string; only?: string[]; skip?: string[]; from?: string };
/** A planning command's flags as commander gives them: its arguments but the two main.ts builds, the selection, and every playbook's own flags (read by pickPlaybookOptions). */
type PlanningFlags<A> = Omit<A, 'selection' | 'rawOptions'> & SelectionFlags & Record<string, unknown>;

function selectionOf(o: SelectionFlags): Selection {
  return { only: o.only, skip: o.skip, from: o.from, limit: o.limit };
}

/** Build the program; `deps` gives inventory loading and the transport (tests inject fakes). */
export function buildProgram(getRawDeps: () => Promise<Deps>, setExit: (code: number) => void): Command {
  // --cluster-name (on every command that loads an inventory) reaches the loader through the deps
  let clusterName: string | undefined;
  const getDeps = async (): Promise<Deps> => {
    const d = await getRawDeps();
    return clusterName === undefined ? d : { ...d, loadInventory: (p, o) => d.loadInventory(p, { ...o, clusterName }) };
  };
  const program = new Command('kubemend')
    .description('Repair kubeadm Kubernetes clusters over SSH: PKI recovery, rolling worker rejoin, health proof')
    .version(version())
    // a usage error is one line and a hint, as kubectl does (not the whole help); settings set here are inherited by every command
    .configureOutput({ outputError: (str, write) => write(`kubemend: ${str.replace(/^error: /, '')}`) })
    .enablePositionalOptions() // lets exec pass everything after its first operand to the remote command
    .helpCommand(false)
    .exitOverride()
    .option('--profile', 'print where kubemend spent its time at exit: stages with wall and CPU ms (as KUBEMEND_TRACE=1)')
    .hook('preAction', (_program, action) => {
      clusterName = action.opts().clusterName;
      if (program.opts().profile) trace.output ??= 'text';
    })
    .addHelpText(
      'after',
      '\nExamples:\n  $ kubemend playbooks\n  $ kubemend plan recover -i inventory.yaml\n  $ kubemend run recover -i inventory.yaml\n  $ kubemend resume 20261129-052000-a1b2\n  $ kubemend exec -i inventory.yaml -- uptime\n\nExit codes: 0 done, 1 the run failed, 2 bad input or usage, 130 interrupted.',
    );
  const flags = allPlaybookFlags();
  const flagKeys = flags.map((f) => f.key);
  const addPlaybookFlags = (c: Command) => {
    for (const f of flags) c.addOption(new Option(f.boolean ? f.flag : `${f.flag} <value>`, f.description).hideHelp(f.hidden));
  };
  const addSelection = (c: Command) =>
    c
      .option('-l, --limit <hosts>', 'only these hosts or groups (names, globs, roles; comma-separated)')
      .option('--only <id>', 'only phases with this id or under it (repeatable, comma-separated)', collect)
      .option('--skip <id>', 'skip phases with this id or under it (repeatable, comma-separated)', collect)
      .option('--from <id>', 'start at the first phase with this id or under it')
      .option('--concurrency <n>', 'hosts worked on at once in parallel phases', positiveInt, 20)
      .option('--accept-new-host-keys', 'trust and record host keys not yet in known_hosts (changed keys are always refused)');

  program
    .command('playbooks')
    .description('list the playbooks, one line each')
    .addHelpText('after', '\nExample:\n  $ kubemend playbooks')
    .action(() => setExit(playbooksCommand()));

  const plan = program
    .command('plan <playbook>')
    .description('show what a run would do, changing nothing (facts are read from the hosts)')
    .addOption(inventoryOption(true))
    .addOption(clusterNameOption())
    .option('-o, --out <file>', 'write the plan as versioned JSON (kind kubemend-plan, version 1)')
    .option('--state-dir <dir>', 'where earlier runs are kept (read for their backups and saved configs; a plan writes nothing there)', defaultStateDir())
    .addOption(new Option('--log-format <format>', 'dry-run events on stderr as JSON lines too').choices(['text', 'json']).default('text'));
  addSelection(plan);
  addPlaybookFlags(plan);
  plan
    .addHelpText('after', '\nExamples:\n  $ kubemend plan hello -i inventory.yaml\n  $ kubemend plan recover -i inventory.yaml --limit workers --out plan.json')
    .action(async (name: string, o: PlanningFlags<PlanArgs>) => {
      const pb = findPlaybook(name);
      setExit(
        await planCommand(await getDeps(), name, {
          inventory: o.inventory,
          out: o.out,
          concurrency: o.concurrency,
          logFormat: o.logFormat,
          acceptNewHostKeys: o.acceptNewHostKeys,
          stateDir: o.stateDir,
          selection: selectionOf(o),
          rawOptions: pickPlaybookOptions(pb, o, flagKeys),
        }),
      );
    });

  const run = program
    .command('run [playbook]')
    .description('plan, confirm (type the cluster name, or --yes), then run a playbook; every step is journaled')
    .addOption(inventoryOption(false))
    .addOption(clusterNameOption())
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--resume <run-id>', 'resume an earlier run: skip what completed, re-run the rest')
    .option('--plan <file>', 'a plan reviewed earlier (plan --out): refuse to run if the cluster drifted from it')
    .option('--state-dir <dir>', 'where run folders (journal, log, plan) are kept', defaultStateDir())
    .addOption(new Option('--log-format <format>', 'terminal output: text lines or JSON events').choices(['text', 'json']).default('text'))
    .option('-v, --verbose', 'print every command as it runs');
  addSelection(run);
  addPlaybookFlags(run);
  run
    .addHelpText(
      'after',
      '\nExamples:\n  $ kubemend run hello -i inventory.yaml --yes\n  $ kubemend run recover -i inventory.yaml --batch-size 25% --max-failures 2\n  $ kubemend run recover -i inventory.yaml --only workers --limit w1,w2\n  $ kubemend run recover --resume 20261129-052000-a1b2\n  $ kubemend plan recover -i inventory.yaml --out plan.json && kubemend run recover -i inventory.yaml --plan plan.json',
    )
    .action(async (name: string | undefined, o: PlanningFlags<RunArgs>) => {
      const raw = name ? pickPlaybookOptions(findPlaybook(name), o, flagKeys) : {};
      // $KUBEMEND_INVENTORY does not override the inventory a resumed run used
      const inventory = o.resume && run.getOptionValueSource('inventory') === 'env' ? undefined : o.inventory;
      setExit(
        await runCommand(await getDeps(), name, {
          inventory,
          yes: o.yes,
          concurrency: o.concurrency,
          stateDir: o.stateDir,
          logFormat: o.logFormat,
          verbose: o.verbose,
          acceptNewHostKeys: o.acceptNewHostKeys,
          resume: o.resume,
          plan: o.plan,
          selection: selectionOf(o),
          rawOptions: raw,
        }),
      );
    });

  program
    .command('resume [run-id]')
    .description('resume an interrupted or failed run with its playbook, inventory and options (no id: offers the last unfinished run)')
    .option('--state-dir <dir>', 'where run folders are kept', defaultStateDir())
    .option('-i, --inventory <file>', 'inventory file (default: the one the run used)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--concurrency <n>', 'hosts worked on at once in parallel phases', positiveInt, 20)
    .addOption(new Option('--log-format <format>', 'terminal output').choices(['text', 'json']).default('text'))
    .option('-v, --verbose', 'print every command as it runs')
    .option('--accept-new-host-keys', 'trust and record host keys not yet in known_hosts')
    .addHelpText(
      'after',
      '\nExamples:\n  $ kubemend resume 20261129-052000-a1b2 --state-dir /var/lib/kubemend/runs\n  $ kubemend resume            # offers the last failed or interrupted run (kubemend runs lists them)',
    )
    .action(async (id: string | undefined, o: Omit<RunArgs, 'selection' | 'rawOptions' | 'resume' | 'plan'>) => {
      const runId = id ?? (await offerLastRun({ stateDir: o.stateDir, defaultStateDir: defaultStateDir(), yes: o.yes }));
      setExit(
        await runCommand(await getDeps(), undefined, {
          inventory: o.inventory,
          yes: o.yes,
          concurrency: o.concurrency,
          stateDir: o.stateDir,
          logFormat: o.logFormat,
          verbose: o.verbose,
          acceptNewHostKeys: o.acceptNewHostKeys,
          resume: runId,
          selection: {},
          rawOptions: {},
        }),
      );
    });

  program
    .command('runs')
    .description('list the runs kept in the state folder: id, start, playbook, result, whether resume continues it')
    .option('--state-dir <dir>', 'where run folders are kept', defaultStateDir())
    .option('--json', 'print them as JSON')
    .addHelpText('after', '\nExamples:\n  $ kubemend runs\n  $ kubemend runs --state-dir /var/lib/kubemend/runs --json')
    .action((o: { stateDir: string; json?: boolean }) => setExit(runsCommand({ stateDir: o.stateDir, defaultStateDir: defaultStateDir(), json: o.json })));

  program
    .command('exec')
    .description('run one command on the selected hosts; output lines prefixed with the host name')
    .addOption(inventoryOption(true))
    .addOption(clusterNameOption())
    .option('-l, --limit <hosts>', 'only these hosts or groups')
    .option('--concurrency <n>', 'hosts at once', positiveInt, 20)
    .option('--timeout <duration>', 'kill the command after this long (30s, 2m)', '30s')
    .option('--no-sudo', 'run as the SSH user, not through sudo')
    .option('--accept-new-host-keys', 'trust and record host keys not yet in known_hosts')
    .argument('<command...>', 'the command and its arguments (everything after the first operand belongs to it; -- is optional)')
    .passThroughOptions()
    .addHelpText(
      'after',
      '\nExamples:\n  $ kubemend exec -i inventory.yaml -- hostname\n  $ kubemend exec -i inventory.yaml --limit m1 uptime -p\n  $ kubemend exec -i inventory.yaml --limit workers --timeout 10s -- systemctl is-active kubelet',
    )
    .action(async (argv: string[], o: ExecArgs) => {
      setExit(
        await execCommand(await getDeps(), argv, {
          inventory: o.inventory,
          limit: o.limit,
          concurrency: o.concurrency,
          timeout: o.timeout,
          sudo: o.sudo,
          acceptNewHostKeys: o.acceptNewHostKeys,
        }),
      );
    });

  program
    .command('restore')
    .description(
      'put back /etc/kubernetes and /var/lib/kubelet/pki of the given hosts from the archives a run (backup or recover) pulled; current folders moved aside, never deleted',
    )
    .addOption(inventoryOption(true))
    .addOption(clusterNameOption())
    .option('--run <run-id>', 'the run whose pulled archives to put back (required)')
    .option('-l, --limit <hosts>', 'the hosts to restore (required: restore never picks every host by default)')
    .option('--backup-passphrase-file <file>', 'the passphrase file the run pulled its backups with (encrypted backups)')
    .option('--state-dir <dir>', 'where run folders are kept', defaultStateDir())
    .option('-y, --yes', 'do not ask for confirmation')
    .addOption(new Option('--log-format <format>', 'terminal output').choices(['text', 'json']).default('text'))
    .option('-v, --verbose', 'print every command as it runs')
    .option('--accept-new-host-keys', 'trust and record host keys not yet in known_hosts')
    .addHelpText(
      'after',
      '\nExample:\n  $ kubemend run backup -i inventory.yaml --limit w1 --yes   # prints the run id\n  $ kubemend restore -i inventory.yaml --run 20261129-052000-a1b2 --limit w1\n\nExit codes: 0 restored, 1 a host failed, 2 refused (no such run, no archive for a host, checksum mismatch, no --limit): nothing changed.',
    )
    .action(async (o: RestoreArgs) => {
      setExit(
        await restoreCommand(await getDeps(), {
          inventory: o.inventory,
          backupPassphraseFile: o.backupPassphraseFile,
          run: o.run,
          limit: o.limit,
          stateDir: o.stateDir,
          yes: o.yes,
          logFormat: o.logFormat,
          verbose: o.verbose,
          acceptNewHostKeys: o.acceptNewHostKeys,
        }),
      );
    });

  registerDoctor(program, getDeps, setExit);
  registerInventory(program, getDeps, setExit);
  registerPrune(program, getDeps, setExit);
  registerCompletion(program, setExit);

  program
    .command('help [command]')
    .description('display help for a command')
    .action((name: string | undefined) => {
      const c = name === undefined ? program : program.commands.find((x) => x.name() === name || x.aliases().includes(name));
      if (!c) program.error(`unknown command '${name}'`, { code: 'commander.unknownCommand', exitCode: EXIT.usage });
      else c.outputHelp();
    });
  program.showHelpAfterError("See 'kubemend --help' for usage.");
  for (const c of program.commands) c.showHelpAfterError(`See 'kubemend ${c.name()} --help' for usage.`);
  return program;
}

/** Parse argv, run the command, return the exit code (never throws); the trace is printed at the end if asked. */
export async function main(argv: string[], getDeps: () => Promise<Deps> = realDeps): Promise<number> {
  try {
    return await command(argv, getDeps);
  } finally {
    printTrace();
  }
}

async function command(argv: string[], getDeps: () => Promise<Deps>): Promise<number> {
  trace.stage('parse');
  guardPipes();
  let code: number = EXIT.ok;
  const program = buildProgram(getDeps, (c) => (code = c));
  // the shells' completion scripts ask here (`kubemend __complete WORDS...`): candidates, one a line
  if (argv[0] === '__complete') return completeCommand(program, argv.slice(1), getDeps);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
      // help shown because no command was given (`kubemend` alone) is a usage error
      if (e.code === 'commander.help') return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return EXIT.usage;
    }
    const { code: c, message } = exitFor(e);
    err(`kubemend: ${message}`, { paint: true });
    return c;
  }
}

const isMain = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();

if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // let stdout drain, then leave even if a handle (an SSH socket) lingers
      setTimeout(() => process.exit(code), 50).unref();
    },
    (e) => {
      err(`kubemend: internal error: ${e instanceof Error ? e.stack : String(e)}`);
      process.exit(1);
    },
  );
}
