/**
 * Step 18 (replace-ca only): the old, compromised PKI that this run kept, once the proof of health
 * has passed: each host's `/var/backups/kubemend/RUN/` (its archive of /etc/kubernetes with the
 * old CA keys, and on the masters the old /etc/kubernetes moved aside) and the copies pulled to
 * this machine. With --purge-old-pki they are removed; otherwise the run says where they are and
 * how to remove them (`kubemend prune --runs RUN`).
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterPhase } from '../../lib/core/types.js';
import { hostBackupDir } from '../../lib/backup/archive.js';
import { type RecoverOptions, onPath } from './common.js';
import { runDirOf, runIdOf } from '../shared/run-files.js';

/** Pulled files that hold the old PKI (archives, their sums, a snapshot); the saved ClusterConfiguration stays. */
const OLD_PKI_FILE = /\.tar\.gz(\.enc|\.sha256)?$|^etcd-snapshot\.db/;

/** Step 18 of recover. */
export const oldPkiPhase: ClusterPhase<RecoverOptions> = {
  id: 'cleanup/old-pki',
  title:
    '18. replace-ca: the old PKI kept by this run (host archives, the old /etc/kubernetes moved aside, the pulled copies): removed with --purge-old-pki, else where it is said',
  scope: 'cluster',
  destructive: true,
  shouldRun: onPath('replace-ca'),
  async run(ctx) {
    const run = runIdOf(ctx);
    const dir = hostBackupDir(run);
    const local = runDirOf(ctx);
    const pulled = local ? join(local, 'backups') : undefined;
    const masters = ctx.hosts.filter((h) => h.role === 'master').map((h) => h.name);
    const where = `${dir}/ on ${ctx.hosts.map((h) => h.name).join(', ')} (each host's archive; on ${masters.join(', ')} also etc-kubernetes/, the old /etc/kubernetes)${pulled ? ` and the archives in ${pulled} on this machine` : ''}`;
    if (!ctx.options.purgeOldPki) {
      ctx.log(
        `the old CA's private keys (compromised) are still kept: ${where}. Remove them once you will not go back: kubemend prune -i ${ctx.inventory.file} --runs ${run}`,
        'warn',
      );
      return;
    }
    await Promise.all(ctx.hosts.map((h) => ctx.on(h).run(['rm', '-rf', '--', dir], { what: `remove ${dir} (the old PKI)` })));
    if (pulled) {
      await ctx.wet(
        `remove the old PKI pulled to ${pulled} (archives, snapshot; the saved ClusterConfiguration stays)`,
        async () => {
          for (const f of existsSync(pulled) ? readdirSync(pulled) : []) if (OLD_PKI_FILE.test(f)) rmSync(join(pulled, f), { force: true });
        },
        undefined,
      );
    }
    ctx.log(`removed the old PKI: ${where}`);
  },
};
