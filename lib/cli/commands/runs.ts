/**
 * `kubemend runs [--state-dir DIR] [--json]`: the runs kept in the state folder (id, start,
 * playbook, cluster, result, whether `resume` continues it, inventory); and the run `resume`
 * offers when no id is given (the newest failed, interrupted or killed one).
 */
import { UsageError } from '../../core/errors.js';
import { jsonText } from '../../core/log.js';
import { type RunSummary, lastResumable, listRuns } from '../../core/runs.js';
import { canPrompt } from '../confirm.js';
import { EXIT } from '../exit.js';
import { err, out, whilePrompting } from '../io.js';
import { resumeCommand } from '../recap.js';

/** `2026-12-04 19:20:05` (UTC) of an ISO time. */
const when = (iso: string) => iso.slice(0, 19).replace('T', ' ');

/** The result column: done, failed, interrupted, or unfinished (no end journaled: killed, or still running), with the phase it stopped at. */
export function resultOf(r: RunSummary): string {
  const word = r.status === 'unknown' ? 'unfinished' : r.status;
  return r.stoppedAt ? `${word} at ${r.stoppedAt}` : word;
}

/** The runs as an aligned table, oldest first (pure). */
export function formatRuns(runs: readonly RunSummary[]): string {
  const head = ['RUN ID', 'STARTED (UTC)', 'PLAYBOOK', 'CLUSTER', 'RESULT', 'RESUMABLE', 'INVENTORY'];
  const rows = runs.map((r) => [r.runId, when(r.startedAt), r.playbook, r.cluster, resultOf(r), r.resumable ? 'yes' : 'no', r.inventory]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i]!.length)));
  return [head, ...rows]
    .map((cells) =>
      cells
        .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(w[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** List the runs of a state folder; exit 0 (an empty folder is not an error). */
export function runsCommand(a: { stateDir: string; defaultStateDir: string; json?: boolean }): number {
  const { runs, unreadable } = listRuns(a.stateDir);
  if (a.json) {
    out(jsonText(JSON.stringify({ kind: 'kubemend-runs', version: 1, stateDir: a.stateDir, runs: runs.map(({ dir: _dir, ...r }) => r), unreadable }, null, 2)));
    return EXIT.ok;
  }
  for (const u of unreadable) err(`warning: ${a.stateDir}/${u}: no readable journal`);
  if (!runs.length) {
    err(`no runs in ${a.stateDir}`);
    return EXIT.ok;
  }
  out(formatRuns(runs));
  const last = runs.filter((r) => r.resumable).at(-1);
  if (last) out(`resume the last unfinished run with: ${resumeCommand(last.runId, a.stateDir, a.defaultStateDir)}`);
  return EXIT.ok;
}

/**
 * The run `kubemend resume` continues when no id is given: the newest failed, interrupted or
 * killed run, offered in a terminal (yes/no); without a terminal, or with --yes (which never
 * guesses a run), a usage error that names it.
 */
export async function offerLastRun(a: { stateDir: string; defaultStateDir: string; yes?: boolean }): Promise<string> {
  const last = lastResumable(a.stateDir);
  if (!last) throw new UsageError(`resume: no failed or interrupted run in ${a.stateDir} to resume (kubemend runs lists the runs there)`);
  const about = `${last.runId} (${last.playbook} on ${last.cluster}, started ${when(last.startedAt)} UTC, ${resultOf(last)})`;
  if (a.yes || !canPrompt()) {
    throw new UsageError(
      `resume: which run? The last unfinished one is ${about}: ${resumeCommand(last.runId, a.stateDir, a.defaultStateDir)}${a.yes ? ' (--yes never picks a run for you)' : ''}`,
    );
  }
  const { confirm } = await import('@inquirer/prompts');
  const ok = await whilePrompting(() => confirm({ message: `resume the last unfinished run, ${about}?`, default: true }, { output: process.stderr }));
  if (!ok) throw new UsageError(`resume: not confirmed; nothing was run (kubemend runs lists the runs; kubemend resume RUN_ID)`);
  return last.runId;
}
