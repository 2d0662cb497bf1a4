/** Resume: what an earlier run was (playbook, inventory, options, selection) and which pairs completed, from its journal. */
import { join } from 'node:path';
import type { Selection, StampedEvent } from './events.js';
import { UsageError } from './errors.js';
import { completedPairs, readJournal, runDir } from './journal.js';

/** Everything needed to run an earlier run again, skipping what completed. */
export interface ResumeInfo {
  runId: string;
  dir: string;
  playbook: string;
  inventory: string;
  options: Record<string, unknown>;
  selection: Selection;
  completed: Set<string>;
  /** Sequence number for the next event appended to the journal. */
  nextSeq: number;
  /** How the last attempt ended ('unknown' when the process died). */
  lastStatus: 'done' | 'failed' | 'interrupted' | 'unknown';
}

/** How a journal's last attempt ended: the status of a run-end after the last run-start, else 'unknown' (the process died, or still runs). */
export function lastStatusOf(events: readonly StampedEvent[]): ResumeInfo['lastStatus'] {
  const lastEnd = events.filter((e) => e.kind === 'run-end').at(-1);
  const lastStart = events.filter((e) => e.kind === 'run-start').at(-1);
  return lastEnd?.kind === 'run-end' && lastStart && lastEnd.seq > lastStart.seq ? lastEnd.status : 'unknown';
}

/** Read a run's journal for resuming; UsageError when the run does not exist or never started. */
export function loadResume(stateDir: string, runId: string): ResumeInfo {
  const dir = runDir(stateDir, runId);
  let events: StampedEvent[];
  try {
    events = readJournal(join(dir, 'journal.jsonl'));
  } catch (err) {
    throw new UsageError(`resume ${runId}: ${err instanceof Error ? err.message : String(err)} (state dir ${stateDir})`);
  }
  const start = events.find((e) => e.kind === 'run-start' && !e.dryRun);
  if (start?.kind !== 'run-start') throw new UsageError(`resume ${runId}: the journal has no run-start event`);
  const lastStatus = lastStatusOf(events);
  return {
    runId,
    dir,
    playbook: start.playbook,
    inventory: start.inventory,
    options: (start.options ?? {}) as Record<string, unknown>,
    selection: start.selection ?? {},
    completed: completedPairs(events),
    nextSeq: (events.at(-1)?.seq ?? -1) + 1,
    lastStatus,
  };
}
