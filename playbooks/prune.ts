/**
 * `prune`: backup retention. Every run keeps, on each host, `/var/backups/kubemend/RUN_ID/` (the
 * archives of /etc/kubernetes with the CA private keys, an etcd snapshot, folders moved aside)
 * and, on this machine, its run folder with the pulled copies. prune removes the runs a rule
 * selects (--keep N newest, --older-than AGE, --runs IDS), on the hosts and on this machine, after
 * the usual plan and confirmation. Runs this machine knows as unfinished stay unless
 * --include-unfinished; runs of other clusters and folders not named like a run id are never touched.
 */
import { rmSync } from 'node:fs';
import type { ClusterPhase, HostPhase } from '../lib/core/types.js';
import { allHosts } from '../lib/core/hosts.js';
import { definePlaybook } from '../lib/core/types.js';
import { hostBackupDir } from '../lib/backup/archive.js';
import { runIdOf, stateDirOf } from './shared/run-files.js';
import { type PruneOptions, pruneOptions, ruleOf } from './prune/options.js';
import { type LocalRun, type RunFolder, HOST_BACKUPS, human, hostRunFolders, localRuns } from './prune/list.js';
import { type Verdict, retention } from './prune/retention.js';
import { sharedKey } from '../lib/core/shared.js';

/** Per host: its run folders' verdict, or why they could not be listed. */
const HOSTS = sharedKey<Map<string, Verdict<RunFolder> | Error>>('prune:hosts');
/** This machine's run folders' verdict. */
const LAPTOP = sharedKey<Verdict<LocalRun>>('prune:laptop');

/** One line per location: what goes (size, contents) and what stays (why). */
function describe<R extends RunFolder>(where: string, v: Verdict<R>): string {
  const gone = v.remove.map((r) => `${r.id} (${human(r.kb)}: ${r.contents.slice(0, 6).join(', ')}${r.contents.length > 6 ? ', ...' : ''})`);
  const kept = v.keep.map((r) => `${r.id} (${r.why})`);
  return `${where}: ${gone.length ? `remove ${gone.join('; ')}` : 'nothing to remove'}${kept.length ? `; keep ${kept.join('; ')}` : ''}`;
}

/** Read every location and decide (read-only; runs in plans too, so the plan shows what goes). */
const decidePhase: ClusterPhase<PruneOptions> = {
  id: 'prune/decide',
  title: 'List the runs kept on each host (/var/backups/kubemend) and on this machine; apply the retention rule',
  scope: 'cluster',
  rerunOnResume: true,
  async run(ctx) {
    const rule = ruleOf(ctx.options);
    const now = new Date();
    const { runs: ours, others } = localRuns(stateDirOf(ctx), ctx.inventory.cluster, runIdOf(ctx));
    const status = new Map(ours.map((r) => [r.id, r.status]));
    if (ctx.options.where !== 'laptop') {
      const verdicts = new Map<string, Verdict<RunFolder> | Error>();
      await Promise.all(
        ctx.hosts.map(async (h) => {
          try {
            const v = retention(await ctx.on(h).fact(hostRunFolders), rule, now, status);
            verdicts.set(h.name, v);
            ctx.log(describe(h.name, v));
          } catch (e) {
            verdicts.set(h.name, e as Error);
          }
        }),
      );
      ctx.shared.set(HOSTS, verdicts);
    }
    if (ctx.options.where !== 'hosts') {
      const v = retention(ours, rule, now, status);
      ctx.shared.set(LAPTOP, v);
      ctx.log(describe(`this machine (${stateDirOf(ctx)})`, v));
      if (others) ctx.log(`this machine: ${others} run folder${others === 1 ? '' : 's'} of other clusters (or without a journal) left alone`);
    }
  },
};

/** Remove each host's selected run folders. */
const hostsPhase: HostPhase<PruneOptions> = {
  id: 'prune/hosts',
  title: `Remove the selected runs' folders under ${HOST_BACKUPS} on each host`,
  hosts: allHosts,
  strategy: { kind: 'parallel' },
  destructive: true,
  shouldRun: (ctx) => ctx.options.where !== 'laptop',
  async run(h) {
    const v = h.shared.get(HOSTS)?.get(h.host.name);
    if (v instanceof Error) throw new Error(`cannot list ${HOST_BACKUPS}: ${v.message}`);
    if (!v || v.remove.length === 0) return;
    const dirs = v.remove.map((r) => hostBackupDir(r.id));
    await h.run(['rm', '-rf', '--', ...dirs], { what: `remove ${dirs.join(' ')}` });
    h.log(`removed ${v.remove.map((r) => r.id).join(', ')} (${human(v.remove.reduce((n, r) => n + r.kb, 0))})`);
  },
};

/** Remove this machine's selected run folders. */
const laptopPhase: ClusterPhase<PruneOptions> = {
  id: 'prune/laptop',
  title: "Remove the selected runs' folders on this machine (journal, logs, pulled backups)",
  scope: 'cluster',
  destructive: true,
  shouldRun: (ctx) => ctx.options.where !== 'hosts',
  async run(ctx) {
    const v = ctx.shared.get(LAPTOP);
    for (const r of v?.remove ?? []) {
      await ctx.wet(`remove ${r.dir} (${human(r.kb)})`, async () => rmSync(r.dir, { recursive: true, force: true }), undefined);
    }
  },
};

/** The prune playbook. */
export default definePlaybook<PruneOptions>({
  name: 'prune',
  description: 'Backup retention: remove old runs (--keep N, --older-than AGE, --runs IDS) from /var/backups/kubemend on the hosts and from this machine',
  destructive: true,
  options: pruneOptions,
  phases: [decidePhase, hostsPhase, laptopPhase],
});
