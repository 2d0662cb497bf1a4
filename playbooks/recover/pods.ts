/**
 * Workload pods across the repair: a snapshot of every pod that is not a static pod's mirror (uid,
 * container start times) taken before the workers are touched, kept in the run folder so that a
 * resumed run compares with the same one, and the comparison the proof of health makes; which
 * pods hold in-cluster credentials, and the controller that restarts them.
 */
import type { V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import type { RestartableKind } from '../../lib/kube/api.js';
import type { PhaseContext } from '../../lib/core/types.js';
import { readRunFile, writeRunFile } from '../shared/run-files.js';
import { sharedKey } from '../../lib/core/shared.js';

/** What identifies one run of a pod's containers. */
export interface PodMark {
  /** `namespace/name`. */
  id: string;
  uid: string;
  /** Start time of each container now running (empty while none runs). */
  started: string[];
}

/** Pods the repair must keep (not mirror pods of static manifests), not finished. */
export function isWorkload(p: V1Pod): boolean {
  if (p.metadata?.annotations?.['kubernetes.io/config.mirror']) return false;
  return p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
}

/** Where a pod's service-account credentials are mounted (DefaultAPITokenMountPath). */
const SA_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * True when one of the pod's containers mounts in-cluster credentials: a projected volume with a
 * serviceAccountToken source (what the ServiceAccount admission plugin injects since 1.24, with
 * `kube-root-ca.crt`), a Secret of type kubernetes.io/service-account-token (`tokenSecrets` holds
 * `namespace/name` of those), or anything mounted at /var/run/secrets/kubernetes.io/serviceaccount.
 */
export function usesInClusterCredentials(p: V1Pod, tokenSecrets: ReadonlySet<string>): boolean {
  const ns = p.metadata?.namespace ?? 'default';
  const mounts = [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].flatMap((c) => c.volumeMounts ?? []);
  const mounted = new Set(mounts.map((m) => m.name));
  if (mounts.some((m) => m.mountPath === SA_MOUNT_PATH)) return true;
  return (p.spec?.volumes ?? []).some(
    (v) =>
      mounted.has(v.name) &&
      (!!v.projected?.sources?.some((s) => !!s.serviceAccountToken) || (!!v.secret?.secretName && tokenSecrets.has(`${ns}/${v.secret.secretName}`))),
  );
}

/** The controller `kubectl rollout restart` would restart for this pod: its Deployment (through its ReplicaSet), DaemonSet or StatefulSet. */
export function restartableOwner(
  p: V1Pod,
  replicaSets: ReadonlyMap<string, V1ReplicaSet>,
): { kind: RestartableKind; namespace: string; name: string } | undefined {
  const ref = p.metadata?.ownerReferences?.find((o) => o.controller);
  const namespace = p.metadata?.namespace ?? 'default';
  if (!ref) return undefined;
  if (ref.kind === 'DaemonSet' || ref.kind === 'StatefulSet') return { kind: ref.kind, namespace, name: ref.name };
  if (ref.kind !== 'ReplicaSet') return undefined;
  const d = replicaSets.get(ref.uid)?.metadata?.ownerReferences?.find((o) => o.controller && o.kind === 'Deployment');
  return d ? { kind: 'Deployment', namespace, name: d.name } : undefined;
}

/** The mark of a pod. */
export function markOf(p: V1Pod): PodMark {
  const started = (p.status?.containerStatuses ?? []).map((c) => c.state?.running?.startedAt).filter((s): s is Date => !!s);
  return { id: `${p.metadata?.namespace}/${p.metadata?.name}`, uid: p.metadata?.uid ?? '', started: started.map((d) => new Date(d).toISOString()) };
}

/** True when the pod reports Ready. */
export function podReady(p: V1Pod): boolean {
  return !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The record of the pods before the repair: its shared key and its file in the run's folder. */
const BEFORE = sharedKey<PodMark[]>('pods-before.json');
/** The uids of the pods this run restarted on purpose: its shared key and its file. */
const RESTARTED = sharedKey<string[]>('pods-restarted.json');

/** Record the workload pods as they are before the repair touches them; a resumed run keeps the first record. */
export function recordPodsBefore(ctx: PhaseContext, pods: V1Pod[]): PodMark[] {
  const have = podsBefore(ctx);
  if (have) return have;
  const marks = pods.filter(isWorkload).map(markOf);
  ctx.shared.set(BEFORE, marks);
  writeRunFile(ctx, BEFORE, marks);
  return marks;
}

/** The record made before the repair (undefined when none was made). */
export function podsBefore(ctx: PhaseContext): PodMark[] | undefined {
  return ctx.shared.get(BEFORE) ?? readRunFile<PodMark[]>(ctx, BEFORE);
}

/** Add pods this run restarted on purpose (their uids), kept across a resume. */
export function recordRestarted(ctx: PhaseContext, uids: string[]): void {
  const all = [...new Set([...restartedUids(ctx), ...uids])];
  ctx.shared.set(RESTARTED, all);
  writeRunFile(ctx, RESTARTED, all);
}

/** Uids of the pods this run restarted on purpose. */
export function restartedUids(ctx: PhaseContext): string[] {
  return ctx.shared.get(RESTARTED) ?? readRunFile<string[]>(ctx, RESTARTED) ?? [];
}

/** Pods of `before` that are gone or restarted without this run meaning to: `id (why)` each. */
export function unexpectedRestarts(before: PodMark[], now: V1Pod[], restarted: string[]): string[] {
  const byUid = new Map(now.map((p) => [p.metadata?.uid ?? '', markOf(p)]));
  const meant = new Set(restarted);
  const out: string[] = [];
  for (const b of before) {
    if (meant.has(b.uid)) continue;
    const n = byUid.get(b.uid);
    if (!n) out.push(`${b.id} (gone)`);
    else if (b.started.length && n.started.join() !== b.started.join())
      out.push(`${b.id} (restarted: started ${n.started.join(',') || 'not running'}, was ${b.started.join(',')})`);
  }
  return out;
}
