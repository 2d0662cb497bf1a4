/**
 * renew/facts (read-only, once): every selected master's certificates before the renewal, etcd
 * and API health, and from those the mode (rolling or all at once); workers are named and skipped.
 */
import { masters, workers } from '../../lib/core/hosts.js';
import type { ClusterPhase, HostContext, PhaseContext } from '../../lib/core/types.js';
import { readEtcdHealth } from '../../lib/facts/etcd.js';
import { KUBELET_CLIENT } from '../../lib/facts/paths.js';
import { nameList } from '../../lib/doctor/names.js';
import { kubectlArgv } from '../shared/commands.js';
import { type CertInfo, expiredLeaves, masterCerts } from './certs.js';
import { type RenewOptions, type RenewState, keepState } from './options.js';

/** A worker's kubelet client certificate expiry, for the skip message. */
async function kubeletExpiry(h: HostContext): Promise<string> {
  const r = await h.read(['sh', '-c', 'openssl x509 -noout -enddate -in "$1" 2>/dev/null | sed "s/^notAfter=//"; exit 0', 'sh', KUBELET_CLIENT], {
    what: 'read the kubelet client certificate',
  });
  const ms = Date.parse(r.stdout.trim());
  if (Number.isNaN(ms)) return 'no kubelet client certificate found: rejoin-workers gives it one';
  return ms <= Date.now()
    ? `its kubelet client certificate EXPIRED on ${new Date(ms).toISOString()}: run rejoin-workers --limit ${h.host.name}`
    : `its kubelet client certificate expires ${new Date(ms).toISOString()}`;
}

/** Why the cluster is not fit for a rolling renewal ('' when it is). */
function notRollable(expired: Map<string, CertInfo[]>, etcd: { healthy: string[]; unhealthy: string[] }, api: boolean): string {
  if (expired.size)
    return `certificates already expired on ${nameList([...expired.keys()])} (${[...expired.values()][0]!.map((c) => c.path.split('/').pop()).join(', ')})`;
  if (etcd.healthy.length === 0 || etcd.unhealthy.length)
    return `etcd is not healthy (${etcd.healthy.length} healthy, unhealthy: ${etcd.unhealthy.join(', ') || 'none listed'})`;
  if (!api) return 'the apiserver does not answer';
  return '';
}

/** The phase. */
export const renewFactsPhase: ClusterPhase<RenewOptions> = {
  id: 'renew/facts',
  title: "Read every selected master's certificates and CAs, etcd and API health; choose rolling or all at once",
  scope: 'cluster',
  rerunOnResume: true,
  async run(ctx: PhaseContext<RenewOptions>) {
    for (const w of workers(ctx))
      ctx.log(
        `${w.name}: skipped: a worker has nothing for kubeadm to renew (the kubelet rotates its own client certificate); ${await kubeletExpiry(ctx.on(w))}`,
      );
    const ms = masters(ctx);
    const before: Record<string, CertInfo[]> = {};
    await Promise.all(
      ms.map(async (m) => {
        before[m.name] = await ctx.on(m).fact(masterCerts('before'));
      }),
    );
    if (ms.length === 0) {
      keepState(ctx, { mode: 'rolling', reason: 'no master selected', etcdMembers: 0, before });
      ctx.log('no master selected: nothing to renew', 'warn');
      return;
    }
    const now = Date.now();
    const expired = new Map(ms.map((m) => [m.name, expiredLeaves(before[m.name]!, now)] as const).filter(([, e]) => e.length));
    const first = ctx.on(ms[0]!);
    // with expired certificates etcdctl and kubectl can only time out: not asked
    const etcd = expired.size ? { healthy: [], unhealthy: [] } : await readEtcdHealth(first);
    const api =
      !expired.size && (await first.read(kubectlArgv('get', '--raw', '/readyz'), { allowFail: true, what: 'kubectl get --raw /readyz' })).exitCode === 0;
    const why = notRollable(expired, etcd, api);
    if (why) {
      // nothing to keep available, and etcd gets no quorum until every master has valid certificates:
      // an unselected master with expired certificates would keep the cluster down
      const others = ctx.inventory.hosts.filter((h) => h.role === 'master' && !ms.includes(h));
      const stale: string[] = [];
      for (const o of others) if (expiredLeaves(await ctx.on(o).fact(masterCerts('before')), now).length) stale.push(o.name);
      if (stale.length)
        throw new Error(
          `certificates have expired on ${nameList(stale)} too, which --limit leaves out: etcd and the apiserver cannot come back until every master's certificates are valid; select ${nameList(stale)} as well`,
        );
    }
    const s: RenewState = {
      mode: why ? 'all' : 'rolling',
      reason: why || `etcd ${etcd.healthy.length}/${etcd.healthy.length} healthy, API answering`,
      etcdMembers: etcd.healthy.length,
      before,
    };
    keepState(ctx, s);
    ctx.log(
      s.mode === 'rolling'
        ? `rolling: one master at a time, each gated on etcd (${s.etcdMembers} members) and its apiserver healthy (${s.reason})`
        : `all at once: ${why}; every selected master renewed and restarted, then one wait for etcd, the apiservers and the Nodes`,
    );
  },
};
