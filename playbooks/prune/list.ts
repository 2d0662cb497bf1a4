/** What prune sees: the run folders under /var/backups/kubemend on a host, and this cluster's run folders on this machine. */
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readJournal } from '../../lib/core/journal.js';
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

/** One run folder on this machine, with what its journal says. */
export interface LocalRun extends RunFolder {
  dir: string;
  /** The cluster of its run-start event (undefined: no readable journal). */
  cluster?: string;
  /** The status of its last run-end event, or `running` when none (still running, or killed). */
  status: string;
}

/** Total size of a folder tree in KiB (files only; links not followed). */
function sizeKb(path: string): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.size / 1024;
  return readdirSync(path).reduce((n, f) => n + sizeKb(join(path, f)), 0);
}

/** The run folders under `stateDir` (except `exclude`, the run in progress), with cluster and status from their journals. */
export function localRuns(stateDir: string, exclude?: string): LocalRun[] {
  if (!existsSync(stateDir)) return [];
  const out: LocalRun[] = [];
  for (const id of readdirSync(stateDir).sort()) {
    const dir = join(stateDir, id);
    if (id === exclude || !lstatSync(dir).isDirectory()) continue;
    let cluster: string | undefined;
    let status = 'running';
    try {
      for (const e of readJournal(join(dir, 'journal.jsonl'))) {
        if (e.kind === 'run-start') cluster = e.cluster;
        if (e.kind === 'run-end') status = e.status;
      }
    } catch {
      cluster = undefined; // no journal, or one that does not parse: nobody's run to judge
    }
    out.push({ id, dir, kb: Math.round(sizeKb(dir)), contents: readdirSync(dir).sort(), ...(cluster !== undefined ? { cluster } : {}), status });
  }
  return out;
}

/** A size for people: `812 KiB`, `3.4 MiB`, `1.2 GiB`. */
export function human(kb: number): string {
  if (kb < 1024) return `${Math.round(kb)} KiB`;
  if (kb < 1024 * 1024) return `${(kb / 1024).toFixed(1)} MiB`;
  return `${(kb / 1024 / 1024).toFixed(1)} GiB`;
}
