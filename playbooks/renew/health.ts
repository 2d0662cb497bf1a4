/**
 * renew/health (once, after every master): etcd healthy on every member, each renewed master's
 * apiserver answering, the masters' Nodes Ready; other NotReady Nodes are reported.
 */
import { masters } from '../../lib/core/hosts.js';
import type { ClusterPhase, PhaseContext } from '../../lib/core/types.js';
import { nameList } from '../../lib/doctor/names.js';
import { waitApiserver, waitEtcdHealthy, waitNodesReady } from '../shared/waits.js';
import { type RenewOptions, renewState } from './options.js';

/** The phase. */
export const renewHealthPhase: ClusterPhase<RenewOptions> = {
  id: 'renew/health',
  title: "Wait for etcd healthy on every member, every renewed apiserver and the masters' Nodes Ready",
  scope: 'cluster',
  shouldRun: (ctx) => masters(ctx).length > 0,
  async run(ctx: PhaseContext<RenewOptions>) {
    const ms = masters(ctx);
    const s = renewState(ctx);
    const first = ctx.on(ms[0]!);
    await waitEtcdHealthy(ctx, first, Math.max(s.etcdMembers, ms.length));
    // each master's OWN apiserver, not admin.conf's server: that is the endpoint, which may be a
    // load balancer or another master and would answer for m while m's apiserver is down
    for (const m of ms) await waitApiserver(ctx, ctx.on(m));
    const notReady = await waitNodesReady(
      ctx,
      first,
      ms.map((m) => m.name),
    );
    if (notReady.length) ctx.log(`Nodes not Ready (renew-certs does not touch their kubelets; see kubemend doctor): ${nameList(notReady.sort())}`, 'warn');
  },
};
