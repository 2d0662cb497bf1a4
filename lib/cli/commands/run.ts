/**
 * `kubemend run PLAYBOOK` and `kubemend resume RUN_ID`: prepare, plan (dry run), show the plan,
 * confirm, then run for real with the journal, the run log and the terminal renderer.
 */
import { join } from 'node:path';
import { UsageError, formatFailures } from '../../core/errors.js';
import type { EventSink, Selection } from '../../core/events.js';
import { defaultStateDir, ensureRunDir, openJournal, runDir } from '../../core/journal.js';
import { jsonRenderer, openFileLog, textRenderer } from '../../core/log.js';
import { type Plan, buildPlan, countChanges, formatPlanSummary, planDrift } from '../../core/plan.js';
import { type ResumeInfo, loadResume } from '../../core/resume.js';
import { type RunParams, runPlaybook } from '../../core/runner.js';
import { newRunId } from '../../core/runid.js';
import { writePrivate } from '../../core/private-file.js';
import { trace } from '../../core/trace.js';
import type { Deps } from '../deps.js';
import { askYesNo, canPrompt, confirmCluster, requirePrompt } from '../confirm.js';
import { checkLimit, checkWritableDir, readPlanFile } from '../checks.js';
import { EXIT } from '../exit.js';
import { onInterrupt } from '../interrupt.js';
import { err, out } from '../io.js';
import { prepare } from '../prepare.js';
import { liveCapable, startLive } from '../progress.js';
import { formatRecap, recapCollector, recapRows, resumeCommand } from '../recap.js';
import { chooseHosts, needLimit } from '../select-hosts.js';

/** Options of `run` and `resume`. */
export interface RunArgs {
  inventory?: string;
  yes?: boolean;
  concurrency: number;
  stateDir: string;
  logFormat: 'text' | 'json';
  verbose?: boolean;
  acceptNewHostKeys?: boolean;
  resume?: string;
  /** A reviewed plan (`plan --out`): refuse to run when the fresh plan differs. */
  plan?: string;
  selection: Selection;
  rawOptions: Record<string, unknown>;
}

/**
 * The dry run before a real one: prints its summary, compares it with a reviewed plan, and
 * refuses (an exit code) when it drifted, could not be built, or changes a read-only playbook's hosts.
 */
async function planFirst(
  common: Omit<RunParams, 'dryRun'>,
  logFormat: 'text' | 'json',
  reviewed: { file: string; plan: Plan } | undefined,
): Promise<Plan | number> {
  const { plan, result: planned } = await buildPlan(common);
  (logFormat === 'json' ? err : out)(formatPlanSummary(plan), { paint: true }); // stdout stays pure JSON lines
  if (reviewed) {
    const drift = planDrift(reviewed.plan, plan);
    if (drift.length) {
      err(
        `the cluster drifted since ${reviewed.file} was made; nothing was changed; plan again:\n${drift
          .slice(0, 20)
          .map((d) => ` - ${d}`)
          .join('\n')}${drift.length > 20 ? `\n ... ${drift.length - 20} more` : ''}`,
      );
      return EXIT.failed;
    }
  }
  if (planned.status === 'interrupted') return EXIT.interrupted;
  if (planned.stoppedAt) {
    const refused = planned.failures.some((f) => f.refused);
    err(`${refused ? 'refused' : 'cannot plan the run'} (stopped at phase ${planned.stoppedAt}), nothing was changed: ${formatFailures(planned.failures)}`);
    return refused ? EXIT.usage : EXIT.failed;
  }
  if (planned.failures.length) err(`warning: within the failure budget, these will fail again in the run: ${formatFailures(planned.failures)}`);
  if (common.playbook.readOnly && countChanges(plan) > 0) {
    err(`playbook ${common.playbook.name} says it is read-only but its plan changes things; refusing`);
    return EXIT.failed;
  }
  return plan;
}

/** Run a playbook (or resume a run); returns the exit code. */
export async function runCommand(deps: Deps, name: string | undefined, a: RunArgs): Promise<number> {
  // what the command line names is checked before any host is contacted
  checkLimit(a.selection.limit);
  const reviewed = a.plan ? readPlanFile(a.plan) : undefined;
  checkWritableDir(a.stateDir, '--state-dir');
  let resume: ResumeInfo | undefined;
  let args = a;
  if (a.resume) {
    resume = loadResume(a.stateDir, a.resume);
    if (name && name !== resume.playbook) throw new UsageError(`--resume ${a.resume}: that run is of playbook ${resume.playbook}, not ${name}`);
    if (a.inventory && a.inventory !== resume.inventory) err(`warning: resuming with inventory ${a.inventory} (run ${a.resume} used ${resume.inventory})`);
    if (Object.keys(a.rawOptions).length) throw new UsageError(`--resume ${a.resume}: playbook options come from the run being resumed; do not pass them`);
    args = {
      ...a,
      inventory: a.inventory ?? resume.inventory,
      selection: { ...resume.selection, ...(a.selection.limit ? { limit: a.selection.limit } : {}) },
      rawOptions: resume.options,
    };
    name = resume.playbook;
    if (resume.lastStatus === 'done') err(`note: run ${a.resume} already completed; re-checking what is left`);
  }
  if (!name) throw new UsageError('missing PLAYBOOK');
  trace.stage('inventory');
  const p = await prepare(deps, { playbook: name, inventory: args.inventory, rawOptions: args.rawOptions, selection: args.selection });
  const what = `${resume ? 'resume' : 'run'} ${p.playbook.name} on ${p.inventory.cluster}`;
  // a playbook acting on chosen hosts, no --limit, not a resume, not --yes: the operator chooses them
  const choose = !!p.playbook.subset && !args.selection.limit && !resume && !args.yes;
  if (choose && !canPrompt()) throw needLimit(`${p.playbook.name}`, 'or --yes for every host it would pick');
  if (!p.playbook.readOnly && !args.yes) requirePrompt(what);

  const transport = deps.createTransport(p.inventory, { acceptNewHostKeys: args.acceptNewHostKeys });
  const intr = onInterrupt(err);
  try {
    if (choose) {
      const picked = await chooseHosts({
        what,
        inventory: p.inventory,
        transport,
        hosts: p.hosts,
        subset: p.playbook.subset!,
        select: (l) => deps.selectHosts(p.inventory, l),
        say: err,
      });
      // the choice is recorded as --limit in the journal: a resume acts on the same hosts
      p.hosts = picked;
      p.selection = { ...p.selection, limit: picked.map((h) => h.name).join(',') };
      err(`hosts: ${p.selection.limit}`);
    }
    const common = {
      playbook: p.playbook,
      inventory: p.inventory,
      transport,
      options: p.options,
      hosts: p.hosts,
      selection: p.selection,
      concurrency: args.concurrency,
      stop: intr.stop,
      abort: intr.abort,
      completed: resume?.completed,
      stateDir: args.stateDir,
    };
    // a read-only playbook runs once, for real, its mutating steps refused unsent: a plan first would read every host twice
    let plan: Plan | undefined;
    if (!p.playbook.readOnly || reviewed) {
      trace.stage('plan', `${p.hosts.length} hosts`);
      const planned = await planFirst(common, args.logFormat, reviewed && args.plan ? { file: args.plan, plan: reviewed } : undefined);
      if (typeof planned === 'number') return planned;
      plan = planned;
    }
    if (!args.yes && !p.playbook.readOnly) await confirmCluster(p.inventory.cluster, what);

    trace.stage('open run files');
    const runId = resume?.runId ?? newRunId();
    const dir = ensureRunDir(runDir(args.stateDir, runId));
    if (!resume && plan) writePrivate(join(dir, 'plan.json'), JSON.stringify(plan, null, 2) + '\n');
    const journal = openJournal(dir);
    const log = await openFileLog(dir);
    const render: EventSink = args.logFormat === 'json' ? jsonRenderer(out) : textRenderer((l) => out(l, { paint: true }), args.verbose);
    const recap = recapCollector();
    // live progress on a terminal (after every prompt: prompts later pause it), text lines otherwise
    const live = args.logFormat === 'text' && liveCapable() ? startLive({ stream: process.stderr, phaseIds: p.playbook.phases.map((ph) => ph.id) }) : undefined;
    let result;
    trace.stage('run', `${p.hosts.length} hosts`);
    try {
      result = await runPlaybook({
        ...common,
        dryRun: false,
        refuseMutating: p.playbook.readOnly,
        runId,
        runDir: dir,
        ...(canPrompt() ? { ask: askYesNo } : {}),
        sinks: [journal.sink, log.sink, render, recap.sink, ...(live ? [live.sink] : [])],
        firstSeq: resume?.nextSeq,
      });
    } finally {
      trace.stage('write journal and log');
      live?.stop();
      journal.close();
      await log.close();
      trace.note(`${journal.stats.events} journal events in ${journal.stats.writes} writes`);
    }
    trace.stage('recap');
    // each failure is printed once, in the recap; stderr keeps one status line (for a stdout sent elsewhere)
    const resumeHint = resumeCommand(runId, args.stateDir, defaultStateDir());
    if (result.status === 'interrupted') err(`interrupted; resume with: ${resumeHint}`, { paint: true });
    else if (result.status === 'failed')
      err(`${result.stoppedAt ? `run stopped at phase ${result.stoppedAt}` : 'every phase ran, but some hosts failed'}; resume with: ${resumeHint}`, {
        paint: true,
      });
    const recapText = formatRecap({
      runId,
      status: result.status,
      durationMs: result.durationMs,
      journal: journal.file,
      failures: result.failures,
      stoppedAt: result.stoppedAt,
      rows: recapRows(
        recap.events,
        p.hosts.map((h) => h.name),
      ),
      resume: resumeHint,
    });
    (args.logFormat === 'json' ? err : out)(recapText, { paint: true }); // stdout stays pure JSON lines
    return result.exitCode;
  } finally {
    intr.dispose();
    trace.stage('close connections');
    await transport.close();
  }
}
