/**
 * The recap printed at the end of `run`/`resume`: a table per host (phases done, failed,
 * skipped, duration, where it stopped) and the run id with the command that resumes it.
 * Pure functions over run events, plus a sink that keeps only the events they need.
 */
import { type Failure, formatFailures } from '../core/errors.js';
import type { EventSink, RunEvent } from '../core/events.js';
import { elapsed } from './progress.js';

/** The recap of one host (or `(cluster)` for the phases that run once). */
export interface RecapRow {
  host: string;
  done: number;
  failed: number;
  skipped: number;
  interrupted: number;
  durationMs: number;
  /** Where it failed (`failed in PHASE`: the error is listed once, under the table) or was interrupted (`PHASE: interrupted`), or `not reached`. */
  note?: string;
}

/** The row name of phases that run once for the cluster. */
export const CLUSTER_ROW = '(cluster)';

type Kept = Extract<RunEvent, { kind: 'host-end' | 'phase-start' | 'phase-end' | 'run-end' }>;

/** A sink keeping the events the recap needs (host-end, phase-start/end, run-end). */
export function recapCollector(): { sink: EventSink; events: Kept[] } {
  const events: Kept[] = [];
  return {
    events,
    sink: (e) => {
      if (e.kind === 'host-end' || e.kind === 'phase-start' || e.kind === 'phase-end' || e.kind === 'run-end') events.push(e);
    },
  };
}

/** One row per host in `hosts` order (hosts never reached included), then hosts only the events name, then `(cluster)` if a cluster phase ran (pure). */
export function recapRows(events: Iterable<RunEvent>, hosts: readonly string[] = []): RecapRow[] {
  const rows = new Map<string, RecapRow>();
  const row = (host: string) => {
    let r = rows.get(host);
    if (!r) rows.set(host, (r = { host, done: 0, failed: 0, skipped: 0, interrupted: 0, durationMs: 0 }));
    return r;
  };
  for (const h of hosts) row(h);
  const clusterPhases = new Set<string>();
  let ended = false;
  for (const e of events) {
    if (e.kind === 'phase-start' && e.hosts.length === 0) clusterPhases.add(e.phase);
    else if (e.kind === 'phase-end' && clusterPhases.has(e.phase)) {
      const r = row(CLUSTER_ROW);
      r.durationMs += e.durationMs;
      if (e.status === 'ok') r.done++;
      else if (e.status === 'failed') r.failed++;
      else r.interrupted++;
      if (e.status !== 'ok' && !r.note) r.note = `${e.phase}: ${e.status}`;
    } else if (e.kind === 'host-end') {
      const r = row(e.host);
      r.durationMs += e.durationMs;
      if (e.status === 'ok') r.done++;
      else if (e.status === 'skipped') r.skipped++;
      else if (e.status === 'failed') r.failed++;
      else r.interrupted++;
      if ((e.status === 'failed' || e.status === 'interrupted') && !r.note) r.note = e.status === 'failed' ? `failed in ${e.phase}` : `${e.phase}: interrupted`;
    } else if (e.kind === 'run-end') ended = e.status !== 'done';
  }
  const out = [...rows.values()];
  for (const r of out) if (ended && !r.note && r.done + r.failed + r.skipped + r.interrupted === 0) r.note = 'not reached';
  // the cluster row last
  return [...out.filter((r) => r.host !== CLUSTER_ROW), ...out.filter((r) => r.host === CLUSTER_ROW)];
}

/** The rows as an aligned text table (notes cut at `noteWidth` characters). */
export function formatRecapTable(rows: readonly RecapRow[], noteWidth = 80): string {
  const head = ['HOST', 'DONE', 'FAILED', 'SKIPPED', 'DURATION', 'NOTE'];
  const body = rows.map((r) => [
    r.host,
    String(r.done),
    String(r.failed),
    String(r.skipped),
    elapsed(r.durationMs),
    (r.note ?? '').length > noteWidth ? r.note!.slice(0, noteWidth - 1) + '…' : (r.note ?? ''),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(w[i]) : c.padStart(w[i])))
      .join('  ')
      .trimEnd();
  return [line(head), ...body.map(line)].join('\n');
}

/** The command that resumes a run (`--state-dir` only when not the default). */
export function resumeCommand(runId: string, stateDir?: string, defaultStateDir?: string): string {
  return `kubemend resume ${runId}${stateDir && stateDir !== defaultStateDir ? ` --state-dir ${stateDir}` : ''}`;
}

/** The whole recap: a title, the table, every failure once (in full), the run id, the journal and how to resume. */
export function formatRecap(a: {
  runId: string;
  status: string;
  durationMs: number;
  rows: readonly RecapRow[];
  journal: string;
  resume: string;
  failures?: readonly Failure[];
  stoppedAt?: string;
}): string {
  return [
    `recap: run ${a.runId} ${a.status} in ${elapsed(a.durationMs)}${a.stoppedAt ? `, stopped at phase ${a.stoppedAt}` : ''}`,
    formatRecapTable(a.rows),
    ...(a.failures?.length ? [formatFailures(a.failures)] : []),
    `run id ${a.runId}; journal ${a.journal}`,
    a.status === 'done' ? `re-check with: ${a.resume}` : `resume with: ${a.resume}`,
  ].join('\n');
}
