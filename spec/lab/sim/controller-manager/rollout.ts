/**
 * The pure rules of the workload controllers, as kube-controller-manager 1.32 computes them:
 * intstr scaling, pod readiness and availability, the template hash, the Deployment rolling
 * update's scale-up and scale-down amounts (pkg/controller/deployment/rolling.go,
 * util/deployment_util.go), the ReplicaSet's choice of pods to delete (controller.ActivePods
 * ranking), the DaemonSet rolling update's pods to replace (daemon/update.go rollingUpdate) and a
 * PodDisruptionBudget's status (pkg/controller/disruption).
 */
import { createHash } from 'node:crypto';
import type { KObject } from '../client/api.js';

/** An int or a percentage string (`"25%"`), as intstr.IntOrString. */
export type IntOrPercent = number | string | undefined;

/** intstr.GetScaledValueFromIntOrPercent: `25%` of `total`, rounded up or down; an int as it is. */
export function scaled(v: IntOrPercent, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    if (/^\d+$/.test(v)) return Number(v);
    throw new Error(`invalid value for IntOrString: invalid value "${v}": must be an int or a percentage`);
  }
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** podutil.IsPodReady. */
export function podReady(pod: KObject): boolean {
  return (pod.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
}

/** podutil.IsPodAvailable: Ready for at least minReadySeconds. */
export function podAvailable(pod: KObject, minReadySeconds = 0, now = Date.now()): boolean {
  const c = (pod.status?.conditions ?? []).find((x: any) => x.type === 'Ready');
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  return Date.parse(c.lastTransitionTime ?? '') + minReadySeconds * 1000 <= now;
}

/** Whether `obj` is controlled by `owner` (its controller ownerReference carries the owner's uid). */
export function controlledBy(obj: KObject, owner: KObject): boolean {
  return !!obj.metadata.ownerReferences?.some((o) => o.controller && o.uid === owner.metadata.uid);
}

/** The controller ownerReference of an object, if any. */
export function controllerOf(obj: KObject): { apiVersion: string; kind: string; name: string; uid: string } | undefined {
  return obj.metadata.ownerReferences?.find((o) => o.controller);
}

/** Whether a pod counts for its controller: not being deleted, not finished. */
export function activePod(pod: KObject): boolean {
  return !pod.metadata.deletionTimestamp && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as any)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString of a hash: the alphabet the real controllers use for pod-template-hash. */
export function safeHash(v: unknown, length = 10): string {
  const d = createHash('sha256').update(canonical(v)).digest();
  return Array.from(d.subarray(0, length), (b) => SAFE[b % SAFE.length]).join('');
}

/** The pod-template-hash of a Deployment's template (the template without that label). */
export function templateHash(template: any): string {
  const t = structuredClone(template ?? {});
  if (t.metadata?.labels) delete t.metadata.labels['pod-template-hash'];
  return safeHash(t);
}

/** Whether two pod templates are the same, ignoring pod-template-hash (EqualIgnoreHash). */
export function sameTemplate(a: any, b: any): boolean {
  return templateHash(a) === templateHash(b);
}

/** resolveFenceposts: maxSurge rounded up, maxUnavailable rounded down, never both 0. */
export function fenceposts(maxSurge: IntOrPercent, maxUnavailable: IntOrPercent, desired: number): { surge: number; unavailable: number } {
  const surge = scaled(maxSurge, desired, true);
  let unavailable = scaled(maxUnavailable, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** Replicas of a ReplicaSet (spec). */
export const specReplicas = (rs: KObject): number => rs.spec?.replicas ?? 0;

/** NewRSNewReplicas for RollingUpdate: how many replicas the new ReplicaSet may have now. */
export function newRSReplicas(desired: number, surge: number, allReplicas: number, newReplicas: number): number {
  if (newReplicas >= desired) return desired;
  const maxTotal = desired + surge;
  if (allReplicas >= maxTotal) return newReplicas;
  return newReplicas + Math.min(maxTotal - allReplicas, desired - newReplicas);
}

/** What the rolling update needs to know of one ReplicaSet. */
export interface RSCounts {
  name: string;
  /** spec.replicas. */
  replicas: number;
  /** status.availableReplicas. */
  available: number;
}

/**
 * reconcileOldReplicaSets: the old ReplicaSets' new sizes (oldest first in `old`). First their
 * unavailable replicas go (cleanupUnhealthyReplicas, up to maxScaledDown), then available ones
 * while more than `desired - maxUnavailable` stay available (scaleDownOldReplicaSetsForRollingUpdate).
 */
export function oldRSSizes(o: { desired: number; unavailable: number; old: RSCounts[]; newRS: RSCounts }): Map<string, number> {
  const out = new Map(o.old.map((r) => [r.name, r.replicas]));
  const all = [...o.old, o.newRS];
  const allReplicas = all.reduce((n, r) => n + r.replicas, 0);
  const minAvailable = o.desired - o.unavailable;
  const maxScaledDown = allReplicas - minAvailable - (o.newRS.replicas - o.newRS.available);
  if (maxScaledDown <= 0) return out;
  let cleaned = 0;
  for (const r of o.old) {
    if (cleaned >= maxScaledDown) break;
    const unhealthy = Math.max(0, r.replicas - r.available);
    const n = Math.min(maxScaledDown - cleaned, unhealthy);
    if (n > 0) {
      out.set(r.name, r.replicas - n);
      cleaned += n;
    }
  }
  const available = all.reduce((n, r) => n + Math.min(r.available, out.get(r.name) ?? r.replicas), 0);
  if (available <= minAvailable) return out;
  let total = available - minAvailable;
  for (const r of o.old) {
    if (total <= 0) break;
    const cur = out.get(r.name)!;
    if (cur === 0) continue;
    const n = Math.min(cur, total);
    out.set(r.name, cur - n);
    total -= n;
  }
  return out;
}

/** Rank pods for deletion (controller.ActivePods' order): unscheduled, pending, not ready, ready for less time, more restarts, newer first. */
export function deletionOrder(a: KObject, b: KObject): number {
  const key = (p: KObject) => [
    p.spec?.nodeName ? 1 : 0,
    ({ Pending: 0, Unknown: 1, Running: 2 } as Record<string, number>)[p.status?.phase ?? 'Pending'] ?? 0,
    podReady(p) ? 1 : 0,
  ];
  const ka = key(a);
  const kb = key(b);
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] - kb[i];
  const restarts = (p: KObject) => (p.status?.containerStatuses ?? []).reduce((n: number, c: any) => n + (c.restartCount ?? 0), 0);
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  return Date.parse(b.metadata.creationTimestamp ?? '') - Date.parse(a.metadata.creationTimestamp ?? '');
}

/** One node's daemon pods for the rolling update: the pod of the current template (new) and an older one (old). */
export interface NodePods {
  node: string;
  newPod?: KObject;
  oldPod?: KObject;
}

/**
 * daemon/update.go rollingUpdate with maxSurge 0: old pods that are not available are replaced at
 * once; available old pods are replaced while the unavailable count stays within maxUnavailable.
 * Returns the names of the old pods to delete now.
 */
export function daemonPodsToReplace(nodes: NodePods[], maxUnavailable: number, minReadySeconds = 0, now = Date.now()): string[] {
  let numUnavailable = 0;
  const allowed: string[] = [];
  const candidates: string[] = [];
  for (const n of nodes) {
    if ((!n.oldPod && !n.newPod) || (n.oldPod && n.newPod)) {
      numUnavailable++;
      continue;
    }
    if (n.newPod) {
      if (!podAvailable(n.newPod, minReadySeconds, now)) numUnavailable++;
      continue;
    }
    if (!podAvailable(n.oldPod!, minReadySeconds, now)) {
      allowed.push(n.oldPod!.metadata.name);
      numUnavailable++;
    } else if (numUnavailable < maxUnavailable) candidates.push(n.oldPod!.metadata.name);
  }
  const remaining = Math.min(Math.max(0, maxUnavailable - numUnavailable), candidates.length);
  return [...allowed, ...candidates.slice(0, remaining)];
}

/** pkg/controller/disruption DeletionTimeout: an eviction not seen deleted by then no longer counts. */
export const DISRUPTION_TIMEOUT_MS = 2 * 60_000;

/** A PodDisruptionBudget's status from its pods and their controllers' expected scale (undefined: cannot be computed). */
export function budgetStatus(pdb: KObject, pods: KObject[], expectedScale: number | undefined, now = Date.now()): { status: any; error?: string } {
  const spec = pdb.spec ?? {};
  let expected = 0;
  let desiredHealthy = 0;
  let error: string | undefined;
  if (spec.maxUnavailable !== undefined) {
    if (expectedScale === undefined) error = 'found no controllers for the pods of this budget';
    else {
      expected = expectedScale;
      desiredHealthy = Math.max(0, expected - scaled(spec.maxUnavailable, expected, true));
    }
  } else if (spec.minAvailable !== undefined) {
    if (typeof spec.minAvailable === 'number' || /^\d+$/.test(String(spec.minAvailable))) {
      expected = pods.length;
      desiredHealthy = Number(spec.minAvailable);
    } else if (expectedScale === undefined) error = 'found no controllers for the pods of this budget';
    else {
      expected = expectedScale;
      desiredHealthy = scaled(spec.minAvailable, expected, true);
    }
  }
  const live = new Map(pods.filter((p) => !p.metadata.deletionTimestamp).map((p) => [p.metadata.name, p]));
  const disrupted: Record<string, string> = {};
  for (const [name, at] of Object.entries((pdb.status?.disruptedPods ?? {}) as Record<string, string>)) {
    if (live.has(name) && Date.parse(at) + DISRUPTION_TIMEOUT_MS > now) disrupted[name] = at;
  }
  const currentHealthy = [...live.values()].filter((p) => !(p.metadata.name in disrupted) && podReady(p)).length;
  const allowed = error ? 0 : Math.max(0, currentHealthy - desiredHealthy);
  const generation = pdb.metadata.generation ?? 1;
  const old = (pdb.status?.conditions ?? []).find((c: any) => c.type === 'DisruptionAllowed');
  const cond = error
    ? { status: 'False', reason: 'SyncFailed', message: error }
    : allowed > 0
      ? { status: 'True', reason: 'SufficientPods', message: '' }
      : { status: 'False', reason: 'InsufficientPods', message: '' };
  const condition = {
    type: 'DisruptionAllowed',
    ...cond,
    observedGeneration: generation,
    lastTransitionTime: old?.status === cond.status ? old.lastTransitionTime : new Date(now).toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  return {
    status: {
      observedGeneration: generation,
      ...(Object.keys(disrupted).length ? { disruptedPods: disrupted } : {}),
      disruptionsAllowed: allowed,
      currentHealthy,
      desiredHealthy,
      expectedPods: expected,
      conditions: [condition],
    },
    ...(error ? { error } : {}),
  };
}
