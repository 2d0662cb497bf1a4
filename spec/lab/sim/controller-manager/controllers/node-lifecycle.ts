/**
 * node-lifecycle-controller: a node whose Lease and Ready heartbeat have not changed for
 * `--node-monitor-grace-period` (judged by local observation time, like the real one) gets its
 * conditions set to Unknown, its pods marked not Ready, and the unreachable taints; its pods are
 * then evicted by the NoExecute taint (after `--lab-eviction-timeout` unless tolerated), except
 * DaemonSet and static pods. No new NoExecute taints in a partial disruption of a small cluster,
 * none at all in a full disruption (every node NotReady), as in real Kubernetes.
 */
import type { KObject } from '../../client/api.js';
import { isConflict } from '../../client/api.js';
import type { Context, Controller } from '../context.js';
import type { Taint } from '../taints.js';
import { readyStatus } from '../taints.js';
import { NOT_READY, UNREACHABLE, desiredTaints, evictionTime, metaTime, sameTaints, unknownStatus, zoneState } from './node-health.js';

const LARGE_CLUSTER = 50;

/** Make the node lifecycle controller. */
export function nodeLifecycle(ctx: Context): Controller {
  const log = ctx.log.child('node-lifecycle-controller');
  const probes = new Map<string, { key: string; at: number }>();
  const grace = ctx.opts.nodeMonitorGracePeriodMs;

  async function markUnknown(node: KObject, pods: KObject[]): Promise<KObject> {
    const name = node.metadata.name;
    const saved = await ctx.api.update(`status of node ${name}`, `/api/v1/nodes/${name}/status`, { ...node, status: unknownStatus(node) });
    log.info(`node ${name} hasn't been updated for more than ${grace / 1000}s: marking it NotReady (Ready=Unknown)`);
    for (const pod of pods) {
      const conds: any[] = pod.status?.conditions ?? [];
      if (!conds.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
      const next = conds.map((c) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: metaTime() } : c));
      const ns = pod.metadata.namespace;
      try {
        await ctx.api.update(`status of pod ${ns}/${pod.metadata.name}`, `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}/status`, {
          ...pod,
          status: { ...pod.status, conditions: next },
        });
      } catch (e) {
        if (!isConflict(e)) log.warn(`marking pod ${ns}/${pod.metadata.name} not ready: ${(e as Error).message}`);
      }
    }
    return saved;
  }

  return {
    name: 'node-lifecycle-controller',
    periodMs: ctx.opts.nodeMonitorPeriodMs,
    async sync() {
      const now = Date.now();
      let nodes = await ctx.api.list('nodes', '/api/v1/nodes');
      const leases = new Map(
        (await ctx.api.list('leases in kube-node-lease', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases')).map((l) => [l.metadata.name, l]),
      );
      const pods = await ctx.api.list('pods', '/api/v1/pods');
      const podsOn = (n: string) => pods.filter((p) => p.spec?.nodeName === n && !p.metadata.deletionTimestamp);
      for (const name of [...probes.keys()]) if (!nodes.some((n) => n.metadata.name === name)) probes.delete(name);

      nodes = await Promise.all(
        nodes.map(async (node) => {
          const name = node.metadata.name;
          const ready = (node.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
          const key = `${leases.get(name)?.spec?.renewTime ?? ''}|${ready?.lastHeartbeatTime ?? ''}|${ready?.status ?? ''}`;
          const probe = probes.get(name);
          if (!probe || probe.key !== key) {
            probes.set(name, { key, at: now });
            return node;
          }
          if (now - probe.at <= grace || ready?.status === 'Unknown') return node;
          try {
            return await markUnknown(node, podsOn(name));
          } catch (e) {
            if (!isConflict(e)) throw e;
            return node;
          }
        }),
      );

      const state = zoneState(nodes);
      const small = nodes.length <= LARGE_CLUSTER;
      for (const node of nodes) {
        const current: Taint[] = node.spec?.taints ?? [];
        const hadNoExecute = current.some((t) => (t.key === UNREACHABLE || t.key === NOT_READY) && t.effect === 'NoExecute');
        const noExecute = state === 'Normal' || (state === 'PartialDisruption' && (!small || hadNoExecute));
        const want = desiredTaints(node, noExecute);
        if (!sameTaints(current, want)) {
          try {
            const saved = await ctx.api.update(`taints of node ${node.metadata.name}`, `/api/v1/nodes/${node.metadata.name}`, {
              ...node,
              spec: { ...node.spec, taints: want },
            });
            node.spec = saved.spec ?? { ...node.spec, taints: want };
            node.metadata = saved.metadata ?? node.metadata;
          } catch (e) {
            if (!isConflict(e)) throw e;
            continue;
          }
          log.info(`node ${node.metadata.name}: taints now [${want.map((t) => `${t.key}:${t.effect}`).join(' ')}] (Ready=${readyStatus(node)}, zone ${state})`);
        }
        const noExec = (node.spec?.taints ?? []).filter((t: Taint) => t.effect === 'NoExecute');
        if (!noExec.length) continue;
        for (const pod of podsOn(node.metadata.name)) {
          const at = evictionTime(pod, noExec, ctx.opts.evictionTimeoutMs);
          if (at === undefined || at > Date.now()) continue;
          const ns = pod.metadata.namespace;
          log.info(`evicting pod ${ns}/${pod.metadata.name} from node ${node.metadata.name} (taint-based eviction)`);
          await ctx.api.delete(`pod ${ns}/${pod.metadata.name}`, `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}`);
        }
      }
    },
  };
}
