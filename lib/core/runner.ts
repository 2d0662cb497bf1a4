/**
 * The runner: walks a playbook's phases in order, each over its own hosts with its strategy,
 * and turns everything into events. The same code runs plans (dry executor) and real runs.
 */
import { setMaxListeners } from 'node:events';
import type { Host, Inventory } from '../inventory/types.js';
import type { Transport } from '../transport/types.js';
import { CLUSTER, type RunState, hostContext, phaseContext } from './context.js';
import { type Failure, errorMessage, isRefusal } from './errors.js';
import type { EventSink, RunEvent, Selection, StampedEvent } from './events.js';
import { createExecutor } from './executor.js';
import { pairKey } from './journal.js';
import { parseOptions } from './options.js';
import { newRunId } from './runid.js';
import { selectPlaybookPhases } from './select.js';
import { describeStrategy, walk } from './strategy.js';
import { type CostMark, trace } from './trace.js';
import type { AnyPlaybook, Phase, PhaseContext, Strategy } from './types.js';
import { version } from './version.js';
import { RUN, type RunInfo, Shared } from './shared.js';

/** Everything a run needs. */
export interface RunParams {
  playbook: AnyPlaybook;
  inventory: Inventory;
  transport: Transport;
  /** Playbook options, raw or validated: the runner validates them with the playbook's schema (defaults applied). */
  options?: Record<string, unknown>;
  /** The hosts in the run (after --limit); default: every host of the inventory. */
  hosts?: Host[];
  selection?: Selection;
  dryRun: boolean;
  /** Cap for parallel phases (default 20). */
  concurrency?: number;
  runId?: string;
  /** The run's folder under the state dir (real runs): phases find it as `dir` in `ctx.shared.get(RUN)` (backups pulled there). */
  runDir?: string;
  /** The state dir holding every run's folder (plan and run): phases find it as `stateDir` in `ctx.shared.get(RUN)` (e.g. recover looks for earlier backups). */
  stateDir?: string;
  sinks?: EventSink[];
  /** First interrupt: start no new work. */
  stop?: AbortSignal;
  /** Kill running commands. */
  abort?: AbortSignal;
  /** Resume: pairs that completed in an earlier attempt (from the journal). */
  completed?: ReadonlySet<string>;
  /** Sequence number of the first event (resume appends to a journal). */
  firstSeq?: number;
  /** A real run of a read-only playbook without a plan first: every mutating step fails unsent. */
  refuseMutating?: boolean;
  /** Ask the operator a yes/no question mid-run (a terminal is there); phases find it as `ask` in `ctx.shared.get(RUN)`. */
  ask?: (question: string) => Promise<boolean>;
}

/** How a run ended. */
export interface RunResult {
  runId: string;
  status: 'done' | 'failed' | 'interrupted';
  /** 0 done, 1 failed, 2 refused before anything changed (a RefusedError), 130 interrupted. */
  exitCode: number;
  failures: Failure[];
  /** The phase where the run stopped because of a failure. */
  stoppedAt?: string;
  durationMs: number;
}

/** Stamp events (durations in whole milliseconds) and hand them to every sink. */
export function createEmitter(sinks: readonly EventSink[], firstSeq = 0): (e: RunEvent) => void {
  let seq = firstSeq;
  return (e) => {
    const s = { ...e, ts: new Date().toISOString(), seq: seq++ } as StampedEvent;
    if ('durationMs' in s && typeof s.durationMs === 'number') s.durationMs = Math.round(s.durationMs);
    for (const sink of sinks) sink(s);
  };
}

/** Strip a leading `host: ` that transports put on their errors (the runner adds host and phase). */
function reasonOf(err: unknown, host: string): string {
  const m = errorMessage(err);
  return m.startsWith(`${host}: `) ? m.slice(host.length + 2) : m;
}

/** Run a playbook (dry or real) and report how it ended. */
export async function runPlaybook(p: RunParams): Promise<RunResult> {
  const t0 = trace.mark();
  const runId = p.runId ?? newRunId();
  // validated (defaults applied) here too, so every caller gets the same options the CLI would
  const options = parseOptions(p.playbook.options, p.options ?? {}, p.playbook.name);
  const emit = createEmitter(p.sinks ?? [], p.firstSeq ?? 0);
  const concurrency = p.concurrency ?? 20;
  const stop = p.stop ?? new AbortController().signal;
  const abort = p.abort ?? new AbortController().signal;
  setMaxListeners(0, stop, abort); // every running command listens to them
  const completed = p.completed ?? new Set<string>();
  const selection = p.selection ?? {};
  const state: RunState = {
    executor: createExecutor(p.transport, p.dryRun, { refuseMutating: p.refuseMutating }),
    emit,
    inventory: p.inventory,
    options,
    live: [...(p.hosts ?? p.inventory.hosts)],
    stop,
    abort,
    captures: new Map(),
    facts: new Map(),
    secretCaptures: 0,
    shared: sharedOfRun({ id: runId, dir: p.runDir, stateDir: p.stateDir, ask: p.ask }),
  };
  const failures: Failure[] = [];
  const selected = selectPlaybookPhases(p.playbook.phases, selection);

  emit({
    kind: 'run-start',
    runId,
    playbook: p.playbook.name,
    inventory: p.inventory.file,
    cluster: p.inventory.cluster,
    options,
    selection,
    version: version(),
    dryRun: p.dryRun,
    ...(completed.size ? { resumed: true } : {}),
  });

  let stoppedAt: string | undefined;
  let interrupted = false;
  for (const phase of p.playbook.phases) {
    if (stop.aborted) {
      interrupted = true;
      break;
    }
    const sel = selected.get(phase.id)!;
    if (!sel.run) {
      emit({ kind: 'phase-skip', phase: phase.id, reason: sel.reason! });
      continue;
    }
    const outcome = await runPhase(phase, state, { concurrency, completed, failures, dryRun: p.dryRun });
    if (outcome === 'interrupted') {
      interrupted = true;
      break;
    }
    if (outcome === 'stop') {
      stoppedAt = phase.id;
      break;
    }
  }

  const status = interrupted ? 'interrupted' : failures.length ? 'failed' : 'done';
  const exitCode = status === 'done' ? 0 : status === 'failed' ? (failures.some((f) => f.refused) ? 2 : 1) : 130;
  const { durationMs, cost } = ended(t0);
  emit({ kind: 'run-end', runId, status, durationMs, exitCode, failures, cost });
  return { runId, status, exitCode, failures, stoppedAt, durationMs };
}

interface PhaseRun {
  concurrency: number;
  completed: ReadonlySet<string>;
  failures: Failure[];
  dryRun: boolean;
}

/** Run one phase; 'stop' when its failures end the run. */
async function runPhase<O>(phase: Phase<O>, state: RunState, r: PhaseRun): Promise<'ok' | 'stop' | 'interrupted'> {
  const { emit } = state;
  const ctx = phaseContext<O>(state, phase.id);
  const t0 = trace.mark();
  const phaseFailed = (err: unknown, host = CLUSTER) => {
    const error = reasonOf(err, host);
    r.failures.push({ host, phase: phase.id, error, ...(isRefusal(err) ? { refused: true } : {}) });
    emit({ kind: 'phase-end', phase: phase.id, status: 'failed', ...ended(t0), failed: [host] });
    return 'stop' as const;
  };

  try {
    if (phase.shouldRun && !(await phase.shouldRun(ctx))) {
      emit({ kind: 'phase-skip', phase: phase.id, reason: 'nothing to do' });
      return 'ok';
    }
  } catch (err) {
    return phaseFailed(err);
  }

  if (phase.scope === 'cluster') {
    if (r.completed.has(pairKey(phase.id)) && !phase.rerunOnResume) {
      emit({ kind: 'phase-skip', phase: phase.id, reason: 'completed earlier' });
      return 'ok';
    }
    emit({ kind: 'phase-start', phase: phase.id, title: phase.title, hosts: [], strategy: 'once' });
    try {
      await phase.prepare?.(ctx);
      await phase.run(ctx);
    } catch (err) {
      await cleanUp(phase, ctx);
      if (state.stop.aborted) return endInterrupted(phase, state, t0);
      return phaseFailed(err);
    }
    await cleanUp(phase, ctx);
    emit({ kind: 'phase-end', phase: phase.id, status: 'ok', ...ended(t0), failed: [] });
    return 'ok';
  }

  let hosts: readonly Host[];
  let strategy: Strategy;
  try {
    const live = new Set(state.live.map((h) => h.name));
    hosts = phase.hosts(ctx).filter((h) => live.has(h.name));
    strategy = typeof phase.strategy === 'function' ? phase.strategy(ctx) : phase.strategy;
  } catch (err) {
    return phaseFailed(err);
  }
  if (hosts.length === 0) {
    emit({ kind: 'phase-skip', phase: phase.id, reason: 'no hosts' });
    return 'ok';
  }
  emit({ kind: 'phase-start', phase: phase.id, title: phase.title, hosts: hosts.map((h) => h.name), strategy: describeStrategy(strategy, r.concurrency) });
  const todo = hosts.filter((h) => {
    if (phase.rerunOnResume || !r.completed.has(pairKey(phase.id, h.name))) return true;
    emit({ kind: 'host-end', phase: phase.id, host: h.name, status: 'skipped', durationMs: 0, reason: 'completed earlier' });
    return false;
  });
  if (todo.length === 0) {
    // a run killed after the last host but before cleanUp (e.g. eviction left paused): undo it now
    if (r.completed.size) await cleanUp(phase, ctx);
    emit({ kind: 'phase-end', phase: phase.id, status: 'ok', ...ended(t0), failed: [] });
    return 'ok';
  }
  try {
    await phase.prepare?.(ctx);
  } catch (err) {
    await cleanUp(phase, ctx);
    return phaseFailed(err);
  }

  const runHost = async (host: Host): Promise<boolean> => {
    const h0 = performance.now();
    emit({ kind: 'host-start', phase: phase.id, host: host.name });
    try {
      await phase.run(hostContext(state, phase.id, host));
      emit({ kind: 'host-end', phase: phase.id, host: host.name, status: 'ok', durationMs: performance.now() - h0 });
      return true;
    } catch (err) {
      const error = reasonOf(err, host.name);
      const status = state.abort.aborted || (state.stop.aborted && isAbortError(err)) ? 'interrupted' : 'failed';
      emit({ kind: 'host-end', phase: phase.id, host: host.name, status, durationMs: performance.now() - h0, error });
      if (status === 'interrupted') return true; // not a failure: resume re-runs it
      r.failures.push({ host: host.name, phase: phase.id, error, ...(isRefusal(err) ? { refused: true } : {}) });
      return false;
    }
  };

  const res = await walk(todo, strategy, {
    concurrency: r.concurrency,
    stop: state.stop,
    runHost,
    onBatch: (index, batch) => emit({ kind: 'batch', phase: phase.id, index, hosts: batch.map((h) => h.name) }),
    gate:
      strategy.kind === 'rolling' && strategy.gate && !r.dryRun // a dry run plans batches; it does not wait on gates
        ? async (index, batch) => {
            try {
              const bad = (await strategy.gate!(ctx, batch)) ?? [];
              emit({ kind: 'gate', phase: phase.id, index, ok: bad.length === 0, failed: bad.map((b) => b.host) });
              return bad;
            } catch (err) {
              emit({ kind: 'gate', phase: phase.id, index, ok: false, failed: [], error: errorMessage(err) });
              throw err;
            }
          }
        : undefined,
    onGateFailure: (host, reason) => {
      r.failures.push({ host, phase: phase.id, error: `gate: ${reason}` });
      emit({ kind: 'host-end', phase: phase.id, host, status: 'failed', durationMs: 0, error: `gate: ${reason}` });
    },
  });
  await cleanUp(phase, ctx);
  if (res.gateError) r.failures.push({ host: CLUSTER, phase: phase.id, error: `gate: ${res.gateError}` });
  const gone = new Set(res.failed);
  state.live = state.live.filter((h) => !gone.has(h.name));
  if (res.interrupted) return endInterrupted(phase, state, t0, res.failed);
  emit({ kind: 'phase-end', phase: phase.id, status: res.failed.length || res.gateError ? 'failed' : 'ok', ...ended(t0), failed: res.failed });
  return res.exceeded ? 'stop' : 'ok';
}

function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { kind?: string }).kind === 'aborted');
}

/** A phase-end's duration and cost: wall, kubemend's CPU, time blocked on remote work since `m`. */
function ended(m: CostMark): { durationMs: number; cost: ReturnType<typeof trace.since> } {
  const cost = trace.since(m);
  return { durationMs: cost.wallMs, cost };
}

function endInterrupted(phase: { id: string }, state: RunState, t0: CostMark, failed: string[] = []): 'interrupted' {
  state.emit({ kind: 'phase-end', phase: phase.id, status: 'interrupted', ...ended(t0), failed });
  return 'interrupted';
}

async function cleanUp<O>(phase: Phase<O>, ctx: PhaseContext<O>): Promise<void> {
  try {
    await phase.cleanUp?.(ctx);
  } catch (err) {
    ctx.log(`clean-up failed: ${errorMessage(err)}`, 'warn');
  }
}

/** A run's shared space, holding the run itself under RUN. */
function sharedOfRun(run: RunInfo): Shared {
  const s = new Shared();
  s.set(RUN, run);
  return s;
}
