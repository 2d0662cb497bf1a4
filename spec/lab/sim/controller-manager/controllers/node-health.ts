/**
 * The pure rules of the node lifecycle controller: when a node's conditions go Unknown, which
 * taints follow from its Ready condition, the zone's disruption state, and when a pod on a
 * tainted node is evicted (taint-based eviction with tolerationSeconds).
 */
import type { KObject } from '../../client/api.js';
import { type Taint, type Toleration, readyStatus, tolerates } from '../taints.js';

/** Taint keys owned by the node lifecycle controller. */
export const UNREACHABLE = 'node.kubernetes.io/unreachable';
export const NOT_READY = 'node.kubernetes.io/not-ready';
const CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/** metav1.Time: RFC 3339 in whole seconds. */
export function metaTime(d = new Date()): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The node's status with its kubelet conditions set to Unknown ("Kubelet stopped posting node status."). */
export function unknownStatus(node: KObject, now = new Date()): any {
  const conds: any[] = [...(node.status?.conditions ?? [])];
  for (const type of CONDITIONS) {
    const i = conds.findIndex((c) => c.type === type);
    if (i < 0) {
      conds.push({
        type,
        status: 'Unknown',
        reason: 'NodeStatusNeverUpdated',
        message: 'Kubelet never posted node status.',
        lastHeartbeatTime: node.metadata.creationTimestamp ?? metaTime(now),
        lastTransitionTime: metaTime(now),
      });
    } else if (conds[i].status !== 'Unknown') {
      conds[i] = {
        ...conds[i],
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
        lastTransitionTime: metaTime(now),
      };
    }
  }
  return { ...node.status, conditions: conds };
}

/** The node's taints as they should be for its Ready condition (`noExecute` false during full disruption). */
export function desiredTaints(node: KObject, noExecute: boolean, now = new Date()): Taint[] {
  const current: Taint[] = node.spec?.taints ?? [];
  const keep = current.filter((t) => t.key !== UNREACHABLE && t.key !== NOT_READY);
  const status = readyStatus(node);
  const key = status === 'True' ? undefined : status === 'False' ? NOT_READY : UNREACHABLE;
  if (!key) return keep;
  const effects: Taint['effect'][] = noExecute ? ['NoSchedule', 'NoExecute'] : ['NoSchedule'];
  const added = effects.map((effect) => {
    const old = current.find((t) => t.key === key && t.effect === effect);
    return old ?? (effect === 'NoExecute' ? { key, effect, timeAdded: metaTime(now) } : { key, effect });
  });
  return [...keep, ...added];
}

/** Whether two taint lists are the same (order ignored). */
export function sameTaints(a: readonly Taint[], b: readonly Taint[]): boolean {
  const k = (t: Taint) => `${t.key}=${t.value ?? ''}:${t.effect}`;
  const sa = new Set(a.map(k));
  return a.length === b.length && b.every((t) => sa.has(k(t)));
}

/** A zone's disruption state, as the real ComputeZoneState (unhealthy threshold 0.55). */
export type ZoneState = 'Normal' | 'PartialDisruption' | 'FullDisruption';

/** The zone state from the nodes' Ready conditions (nodes labelled exclude-disruption do not count). */
export function zoneState(nodes: readonly KObject[]): ZoneState {
  let ready = 0;
  let notReady = 0;
  for (const n of nodes) {
    if (n.metadata.labels?.['node.kubernetes.io/exclude-disruption'] !== undefined) continue;
    if (readyStatus(n) === 'True') ready++;
    else notReady++;
  }
  if (ready === 0 && notReady > 0) return 'FullDisruption';
  if (notReady > 2 && notReady / (ready + notReady) >= 0.55) return 'PartialDisruption';
  return 'Normal';
}

/** Whether a pod is never evicted by taints: DaemonSet pods and static (mirror) pods. */
export function exemptFromEviction(pod: KObject): boolean {
  if (pod.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.controller)) return true;
  return pod.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined;
}

/**
 * When a pod on a node with these NoExecute taints is evicted (ms since epoch), or undefined for
 * never. A pod with no toleration for a taint gets `defaultMs` (the lab's stand-in for the
 * DefaultTolerationSeconds admission plugin's 300 s); a toleration without seconds means forever.
 */
export function evictionTime(pod: KObject, taints: readonly Taint[], defaultMs: number): number | undefined {
  if (exemptFromEviction(pod)) return undefined;
  const tols: Toleration[] = pod.spec?.tolerations ?? [];
  let at: number | undefined;
  for (const taint of taints.filter((t) => t.effect === 'NoExecute')) {
    const added = Date.parse(taint.timeAdded ?? '') || Date.now();
    const matching = tols.filter((t) => tolerates(t, taint));
    let ms: number | undefined;
    if (!matching.length) ms = defaultMs;
    else if (matching.some((t) => t.tolerationSeconds === undefined || t.tolerationSeconds === null)) ms = undefined;
    else ms = Math.max(0, Math.min(...matching.map((t) => t.tolerationSeconds!))) * 1000;
    if (ms !== undefined) at = Math.min(at ?? Infinity, added + ms);
  }
  return at;
}
