/** The runs kept under a state folder (`kubemend runs`, `resume` without an id): one summary per run folder, from its journal. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StampedEvent } from './events.js';
import { readJournal } from './journal.js';
import { lastStatusOf } from './resume.js';

/** What `kubemend runs` shows of one run. */
export interface RunSummary {
  runId: string;
  dir: string;
  playbook: string;
  /** The inventory file the run used. */
  inventory: string;
  cluster: string;
  /** When the run first started (ISO). */
  startedAt: string;
  /** How its last attempt ended; 'unknown' when no end was journaled (killed, or still running). */
  status: 'done' | 'failed' | 'interrupted' | 'unknown';
  /** Attempts (the first run and each resume). */
  attempts: number;
  /** `kubemend resume RUN_ID` would continue it: not finished, and not a restore (run again instead). */
  resumable: boolean;
  /** The phase the last attempt stopped at, when the journal says so. */
  stoppedAt?: string;
}

/** The playbook name a restore run journals (restore runs are not resumable). */
const RESTORE = 'restore';

function summarize(runId: string, dir: string, events: readonly StampedEvent[]): RunSummary | undefined {
  const start = events.find((e) => e.kind === 'run-start' && !e.dryRun);
  if (start?.kind !== 'run-start') return undefined;
  const status = lastStatusOf(events);
  const lastFailedPhase = [...events].reverse().find((e) => e.kind === 'phase-end' && e.status !== 'ok');
  return {
    runId,
    dir,
    playbook: start.playbook,
    inventory: start.inventory,
    cluster: start.cluster,
    startedAt: start.ts,
    status,
    attempts: events.filter((e) => e.kind === 'run-start').length,
    resumable: status !== 'done' && start.playbook !== RESTORE,
    ...(status !== 'done' && lastFailedPhase?.kind === 'phase-end' ? { stoppedAt: lastFailedPhase.phase } : {}),
  };
}

/** Every run under `stateDir`, oldest first (run ids sort by time); folders without a readable journal are left out and named in `unreadable`. */
export function listRuns(stateDir: string): { runs: RunSummary[]; unreadable: string[] } {
  const runs: RunSummary[] = [];
  const unreadable: string[] = [];
  if (!existsSync(stateDir)) return { runs, unreadable };
  for (const ent of readdirSync(stateDir, { withFileTypes: true })) {
    if (!ent.isDirectory()) continue;
    const dir = join(stateDir, ent.name);
    const file = join(dir, 'journal.jsonl');
    if (!existsSync(file)) continue;
    try {
      const s = summarize(ent.name, dir, readJournal(file));
      if (s) runs.push(s);
      else unreadable.push(ent.name);
    } catch {
      unreadable.push(ent.name);
    }
  }
  runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.runId.localeCompare(b.runId));
  return { runs, unreadable };
}

/** The newest run that `resume` would continue (failed, interrupted or killed), or undefined. */
export function lastResumable(stateDir: string): RunSummary | undefined {
  return listRuns(stateDir)
    .runs.filter((r) => r.resumable)
    .at(-1);
}
