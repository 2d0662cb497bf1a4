/**
 * renew/health (once, after every master): etcd healthy on every member, each renewed master's
 * apiserver answering, the masters' Nodes Ready; other NotReady Nodes are reported.
 */
import { masters } from '../../lib/core/hosts.js';
import type { ClusterPhase, PhaseContext } from '../../lib/core/types.js';
import { readEtcdHealth } from '../../lib/facts/etcd.js';
import { nameList } from '../../lib/doctor/names.js';
import { kubectlArgv, kubectlOn } from '../recover/common.js';
import { readyNodes } from '../recover/waits.js';
import { type RenewOptions, renewState } from './options.js';
import { waitRenew } from './restart.js';

/** The phase. */
export const renewHealthPhase: ClusterPhase<RenewOptions> = {
  id: 'renew/health',
  title: 'Wait for etcd healthy on every member, every renewed apiserver and the masters\' Nodes Ready',
  scope: 'cluster',
  shouldRun: (ctx) => masters(ctx).length > 0,
  async run(ctx: PhaseContext<RenewOptions>) {
    const ms = masters(ctx);
    const s = renewState(ctx);
    const first = ctx.on(ms[0]!);
    const members = Math.max(s.etcdMembers, ms.length);
    await waitRenew(ctx, `etcd healthy on at least ${members} members, none unhealthy (asked on ${ms[0]!.name})`, async () => {
      const e = await readEtcdHealth(first);
      return e.healthy.length >= members && e.unhealthy.length === 0 ? true : `${e.healthy.length} healthy, unhealthy: ${e.unhealthy.join(', ') || 'none listed'}`;
    });
    for (const m of ms) {
      const h = ctx.on(m);
      // m's OWN apiserver (kubectlOn), not admin.conf's server: that is the endpoint, which may be
      // a load balancer or another master and would answer for m while m's apiserver is down
      await waitRenew(ctx, `${m.name}'s apiserver answers /readyz with the renewed admin.conf`, async () => {
        const r = await h.read(kubectlOn(m, 'get', '--raw', '/readyz'), { allowFail: true, what: 'kubectl get --raw /readyz' });
        return r.exitCode === 0 ? true : (r.stderr.trim().split('\n').pop() ?? `exit ${r.exitCode}`);
      });
    }
    let notReady: string[] = [];
    await waitRenew(ctx, `Nodes Ready: ${nameList(ms.map((m) => m.name))}`, async () => {
      const r = await first.read(kubectlArgv('get', 'nodes', '-o', 'json'), { allowFail: true, what: 'kubectl get nodes' });
      if (r.exitCode !== 0) return r.stderr.trim() || `exit ${r.exitCode}`;
      const ready = readyNodes(r.stdout);
      const all = (JSON.parse(r.stdout).items ?? []) as Array<{ metadata: { name: string } }>;
      notReady = all.map((n) => n.metadata.name).filter((n) => !ready.has(n));
      const missing = ms.map((m) => m.name).filter((n) => !ready.has(n));
      return missing.length === 0 ? true : `not Ready: ${missing.join(', ')}`;
    });
    if (notReady.length) ctx.log(`Nodes not Ready (renew-certs does not touch their kubelets; see kubemend doctor): ${nameList(notReady.sort())}`, 'warn');
  },
};
