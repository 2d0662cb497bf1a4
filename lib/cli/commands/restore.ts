/**
 * `kubemend restore -i INVENTORY --run RUN_ID --limit HOST[,HOST]`: put back the `/etc/kubernetes`
 * and `/var/lib/kubelet/pki` that run RUN_ID (backup or recover) archived and pulled. Every archive
 * is checked before any host is contacted; the current folders are moved aside on each host, never
 * deleted. The restore is a run of its own: journaled under the state folder with a new run id.
 */
import { UsageError, formatFailures } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import { ensureRunDir, openJournal, runDir } from '../../core/journal.js';
import { jsonRenderer, openFileLog, textRenderer } from '../../core/log.js';
import { runPlaybook } from '../../core/runner.js';
import { newRunId } from '../../core/runid.js';
import { type CheckedArchive, checkRunDir, pulledArchive, restorePlaybook } from '../../backup/restore.js';
import { hostBackupDir } from '../../backup/archive.js';
import { type BackupCipher, readPassphraseFile } from '../../backup/encrypt.js';
import type { Deps } from '../deps.js';
import { confirmCluster, requirePrompt } from '../confirm.js';
import { onInterrupt } from '../interrupt.js';
import { err, out } from '../io.js';
import { checkLimit } from '../checks.js';

/** Options of `restore`. */
export interface RestoreArgs {
  inventory?: string;
  /** The passphrase file the run's backups were pulled (encrypted) with. */
  backupPassphraseFile?: string;
  run?: string;
  limit?: string;
  stateDir: string;
  yes?: boolean;
  logFormat: 'text' | 'json';
  verbose?: boolean;
  acceptNewHostKeys?: boolean;
}

/** Restore the selected hosts from run `a.run`'s pulled archives; returns the exit code. */
export async function restoreCommand(deps: Deps, a: RestoreArgs): Promise<number> {
  if (!a.run) throw new UsageError('missing --run RUN_ID: the run (backup or recover) whose pulled archives to put back');
  if (a.limit !== undefined) checkLimit(a.limit);
  if (!a.limit?.trim())
    throw new UsageError(
      'missing --limit HOST[,HOST]: restore replaces the live /etc/kubernetes and /var/lib/kubelet/pki of every host it selects, so it never picks all hosts by default; name the hosts to restore',
    );
  if (!a.inventory) throw new UsageError('missing -i/--inventory FILE');
  let from: string;
  try {
    from = runDir(a.stateDir, a.run);
  } catch (e) {
    throw new UsageError(`--run ${a.run}: ${e instanceof Error ? e.message : String(e)}`);
  }
  checkRunDir(from, a.run);
  const inv = await deps.loadInventory(a.inventory);
  const hosts = deps.selectHosts(inv, a.limit);
  if (hosts.length === 0) throw new UsageError(`--limit ${a.limit}: no host selected`);
  let cipher: BackupCipher | undefined;
  if (a.backupPassphraseFile !== undefined) {
    try {
      cipher = readPassphraseFile(a.backupPassphraseFile);
    } catch (e) {
      throw new UsageError(`--backup-passphrase-file: ${(e as Error).message}`);
    }
  }
  const archives = new Map<string, CheckedArchive>(hosts.map((h) => [h.name, pulledArchive(from, h.name, cipher)]));

  const runId = newRunId();
  const aside = `${hostBackupDir(runId)}/replaced`;
  const what = `restore ${hosts.map((h) => h.name).join(', ')} on ${inv.cluster} from run ${a.run}`;
  const show = a.logFormat === 'json' ? err : out;
  show(`${what}: /etc/kubernetes and /var/lib/kubelet/pki of each host replaced from:`);
  for (const x of archives.values()) show(`  ${x.host} <- ${x.file} (sha256 ${x.sha256})`);
  show(`the current folders are moved aside on each host into ${aside} (kept, not deleted); /var/lib/etcd is not touched`);
  if (!a.yes) {
    requirePrompt(what);
    await confirmCluster(inv.cluster, what);
  }

  const transport = deps.createTransport(inv, { acceptNewHostKeys: a.acceptNewHostKeys });
  const intr = onInterrupt(err);
  try {
    const dir = ensureRunDir(runDir(a.stateDir, runId));
    const journal = openJournal(dir);
    const log = await openFileLog(dir);
    const render: EventSink = a.logFormat === 'json' ? jsonRenderer(out) : textRenderer(out, a.verbose);
    let result;
    try {
      result = await runPlaybook({
        playbook: restorePlaybook(a.run, archives),
        inventory: inv,
        transport,
        hosts,
        options: { fromRun: a.run },
        selection: { limit: a.limit },
        concurrency: 1,
        dryRun: false,
        runId,
        runDir: dir,
        stop: intr.stop,
        abort: intr.abort,
        sinks: [journal.sink, log.sink, render],
      });
    } finally {
      journal.close();
      await log.close();
    }
    if (result.failures.length) err(formatFailures(result.failures));
    if (result.status === 'done')
      err(
        `restored ${hosts.map((h) => h.name).join(', ')} from run ${a.run}; the replaced folders are on each host in ${aside}; restart the kubelet there if its certificates changed (systemctl restart kubelet); journal ${journal.file}`,
      );
    else err(`restore ${result.status}; hosts restored before the failure keep their replaced folders in ${aside}; journal ${journal.file}`);
    return result.exitCode;
  } finally {
    intr.dispose();
    await transport.close();
  }
}
