/**
 * Node-lifecycle eviction paused from the first start of the new controller-manager (step 5)
 * until the last worker is Ready (after step 13). The zone rule (recovery-procedure.md) makes
 * this necessary: the masters come back before the workers, so the zone is Normal while workers
 * are still NotReady (3 masters + 2 workers: 40% unhealthy) and their pods would be evicted.
 * The first master's controller-manager is paused as soon as kubeadm wrote its manifest, the
 * others' right after their join (before step 10 makes any node Ready); step 11 keeps a paused
 * master paused when kubeadm rewrites its manifest; step 13 keeps it so and does not undo it;
 * `eviction/restore` puts kubeadm's manifests back once every worker is Ready, and waits for a
 * restored controller-manager to lead, so that restart comes before the pods are restarted and
 * before the proof of health.
 */
import { firstMaster, otherMasters } from '../../lib/core/hosts.js';
import type { ClusterPhase, HostContext, HostPhase, PhaseContext } from '../../lib/core/types.js';
import { allMasters, pauseOn, restoreOn } from '../../lib/kube/eviction.js';
import { kubeFor } from '../../lib/kube/session.js';
import { type RecoverOptions, rebuildsAll, repairs } from './common.js';
import { waitFor } from '../shared/wait-for.js';

const UNTIL = 'node-lifecycle eviction paused until every worker is Ready (phase eviction/restore puts it back)';

async function pause(h: HostContext<RecoverOptions>): Promise<void> {
  const done = await pauseOn(h);
  h.log(`${h.host.name}: ${done === 'already' ? 'already paused' : UNTIL}`);
}

/** After step 5: the first master's new controller-manager, paused before it can lead. */
export const evictionPauseFirst: HostPhase<RecoverOptions> = {
  id: 'eviction/pause-first',
  title: '5. First master: pause node-lifecycle eviction in the new kube-controller-manager (until every worker is Ready)',
  hosts: firstMaster,
  strategy: { kind: 'serial' },
  destructive: true,
  shouldRun: rebuildsAll,
  run: pause,
};

/** After step 8: the joined masters' controller-managers, paused before step 10 makes nodes Ready. */
export const evictionPauseJoined: HostPhase<RecoverOptions> = {
  id: 'eviction/pause-joined',
  title: '8. Other masters: pause node-lifecycle eviction in their new kube-controller-manager',
  hosts: otherMasters,
  strategy: { kind: 'serial' },
  destructive: true,
  shouldRun: rebuildsAll,
  run: pause,
};

/** The holder and renew time of the kube-controller-manager Lease (undefined when there is none). */
async function leader(ctx: PhaseContext): Promise<{ holder: string; renewed: number } | undefined> {
  const kube = await kubeFor(ctx);
  const l = await kube.coordination.readNamespacedLease({ name: 'kube-controller-manager', namespace: 'kube-system' }).catch(() => undefined);
  const holder = l?.spec?.holderIdentity;
  return holder ? { holder, renewed: new Date(l!.spec!.renewTime as unknown as string).getTime() } : undefined;
}

/** After step 13: every master's kubeadm manifest put back; then a restored controller-manager leads. */
export const evictionRestore: ClusterPhase<RecoverOptions> = {
  id: 'eviction/restore',
  title:
    '13. Masters: node-lifecycle eviction restored (kubeadm manifests put back) now that every worker is Ready; wait for a restored kube-controller-manager to lead',
  scope: 'cluster',
  destructive: true,
  shouldRun: repairs,
  async run(ctx) {
    const before = await ctx.wet('read the kube-controller-manager Lease', () => leader(ctx), undefined);
    const since = Date.now();
    let restored = 0;
    for (const m of allMasters(ctx)) if ((await restoreOn(ctx.on(m))) === 'restored') restored++;
    if (!restored) return;
    await waitFor(
      ctx,
      'a restored kube-controller-manager holding its Lease',
      async () => {
        const now = await leader(ctx);
        if (!now) return 'no Lease holder yet';
        return now.holder !== before?.holder && now.renewed >= since - 1000 ? true : `Lease still held by ${now.holder}`;
      },
      { seconds: 120 },
    );
  },
};
