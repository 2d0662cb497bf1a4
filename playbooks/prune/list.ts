/** What prune sees: the run folders under /var/backups/kubemend on a host, and this cluster's run folders on this machine. */
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { listRuns } from '../../lib/core/runs.js';
import type { Fact } from '../../lib/core/types.js';

/** Where every run keeps its backups on a host (lib/backup/archive.ts hostBackupDir). */
export const HOST_BACKUPS = '/var/backups/kubemend';

/** One run folder: its name, its size, what it holds. */
export interface RunFolder {
  id: string;
  kb: number;
  contents: string[];
}

/** Each folder under /var/backups/kubemend: `NAME<TAB>KB<TAB>entries...` (nothing when there is no such folder). */
const LIST = `cd ${HOST_BACKUPS} 2>/dev/null || exit 0
for d in *; do
  [ -d "$d" ] || continue
  printf '%s\\t%s\\t' "$d" "$(du -sk -- "$d" | cut -f1)"
  ls -A -- "$d" | tr '\\n' ' '
  echo
done`;

/** Fact: the run folders of a host's /var/backups/kubemend (read-only). */
export const hostRunFolders: Fact<RunFolder[]> = {
  id: 'prune/host-runs',
  argv: ['sh', '-c', LIST],
  parse(stdout, exitCode) {
    if (exitCode !== 0) throw new Error(`listing ${HOST_BACKUPS}: exit ${exitCode}`);
    return stdout
      .split('\n')
      .filter((l) => l.includes('\t'))
      .map((l) => {
        const [id = '', kb = '0', rest = ''] = l.split('\t');
        return { id, kb: Number(kb) || 0, contents: rest.trim() ? rest.trim().split(' ') : [] };
      });
  },
};

/** One run folder of this cluster on this machine, with how its journal says it ended. */
export interface LocalRun extends RunFolder {
  dir: string;
  /** `done`, `failed`, `interrupted`, or why there is no end (killed, or still running). */
  status: string;
}

/** Total size of a folder tree in KiB (files only; links not followed). */
function sizeKb(path: string): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.size / 1024;
  return readdirSync(path).reduce((n, f) => n + sizeKb(join(path, f)), 0);
}

/**
 * The run folders of `cluster` under `stateDir` (from their journals, lib/core/runs.ts), except
 * `exclude` (the run in progress); `others` counts the folders left out (other clusters', no journal).
 */
export function localRuns(stateDir: string, cluster: string, exclude?: string): { runs: LocalRun[]; others: number } {
  const runs = listRuns(stateDir)
    .runs.filter((r) => r.cluster === cluster && r.runId !== exclude)
    .map((r) => ({
      id: r.runId,
      dir: r.dir,
      kb: Math.round(sizeKb(r.dir)),
      contents: readdirSync(r.dir).sort(),
      status: r.status === 'unknown' ? 'no end in its journal: killed, or still running' : r.status,
    }));
  const all = existsSync(stateDir) ? readdirSync(stateDir, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== exclude).length : 0;
  return { runs, others: all - runs.length };
}

/** A size for people: `812 KiB`, `3.4 MiB`, `1.2 GiB`. */
export function human(kb: number): string {
  if (kb < 1024) return `${Math.round(kb)} KiB`;
  if (kb < 1024 * 1024) return `${(kb / 1024).toFixed(1)} MiB`;
  return `${(kb / 1024 / 1024).toFixed(1)} GiB`;
}
