/**
 * Whether a controller finished rolling out, judged as `kubectl rollout status` judges it
 * (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go: DeploymentStatusViewer,
 * DaemonSetStatusViewer, StatefulSetStatusViewer): `done`, or what it is still waiting for, or an
 * error it will not recover from (a Deployment past its progress deadline, an OnDelete strategy).
 */
import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { RestartableKind } from './api.js';

/**
 * The pod-template annotation `kubectl rollout restart` sets (its value: the restart time, RFC 3339).
 * Here, not in api.ts, so that a phase reading it does not load the Kubernetes client at start.
 */
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** The rollout's state: finished, still going (with kubectl's message), or failed. */
export type RolloutState = { done: true } | { done: false; waiting: string } | { done: false; error: string };

const generation = (o: { metadata?: { generation?: number } }) => o.metadata?.generation ?? 0;

/** DeploymentStatusViewer.Status. */
export function deploymentRollout(d: V1Deployment): RolloutState {
  const name = d.metadata?.name;
  const s = d.status ?? {};
  if (generation(d) > (s.observedGeneration ?? 0)) return { done: false, waiting: 'Waiting for deployment spec update to be observed...' };
  const progressing = (s.conditions ?? []).find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return { done: false, error: `deployment "${name}" exceeded its progress deadline` };
  const want = d.spec?.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  if (updated < want)
    return { done: false, waiting: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${want} new replicas have been updated...` };
  if ((s.replicas ?? 0) > updated)
    return {
      done: false,
      waiting: `Waiting for deployment "${name}" rollout to finish: ${(s.replicas ?? 0) - updated} old replicas are pending termination...`,
    };
  if ((s.availableReplicas ?? 0) < updated)
    return {
      done: false,
      waiting: `Waiting for deployment "${name}" rollout to finish: ${s.availableReplicas ?? 0} of ${updated} updated replicas are available...`,
    };
  return { done: true };
}

/** DaemonSetStatusViewer.Status. */
export function daemonSetRollout(ds: V1DaemonSet): RolloutState {
  const name = ds.metadata?.name;
  if (ds.spec?.updateStrategy?.type !== 'RollingUpdate') return { done: false, error: 'rollout status is only available for RollingUpdate strategy type' };
  const s = ds.status;
  if (!s || generation(ds) > (s.observedGeneration ?? 0)) return { done: false, waiting: 'Waiting for daemon set spec update to be observed...' };
  if ((s.updatedNumberScheduled ?? 0) < s.desiredNumberScheduled)
    return {
      done: false,
      waiting: `Waiting for daemon set "${name}" rollout to finish: ${s.updatedNumberScheduled ?? 0} out of ${s.desiredNumberScheduled} new pods have been updated...`,
    };
  if ((s.numberAvailable ?? 0) < s.desiredNumberScheduled)
    return {
      done: false,
      waiting: `Waiting for daemon set "${name}" rollout to finish: ${s.numberAvailable ?? 0} of ${s.desiredNumberScheduled} updated pods are available...`,
    };
  return { done: true };
}

/** StatefulSetStatusViewer.Status. */
export function statefulSetRollout(ss: V1StatefulSet): RolloutState {
  if (ss.spec?.updateStrategy?.type !== 'RollingUpdate') return { done: false, error: 'rollout status is only available for RollingUpdate strategy type' };
  const s = ss.status;
  if (!s?.observedGeneration || generation(ss) > s.observedGeneration) return { done: false, waiting: 'Waiting for statefulset spec update to be observed...' };
  const want = ss.spec?.replicas ?? 1;
  if ((s.readyReplicas ?? 0) < want) return { done: false, waiting: `Waiting for ${want - (s.readyReplicas ?? 0)} pods to be ready...` };
  const partition = ss.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  if (partition > 0 && (s.updatedReplicas ?? 0) < want - partition) {
    return {
      done: false,
      waiting: `Waiting for partitioned roll out to finish: ${s.updatedReplicas ?? 0} out of ${want - partition} new pods have been updated...`,
    };
  }
  if (partition === 0 && s.updateRevision !== s.currentRevision)
    return { done: false, waiting: `waiting for statefulset rolling update to complete ${s.updatedReplicas ?? 0} pods at revision ${s.updateRevision}...` };
  return { done: true };
}

/** The rollout state of a controller of `kind`. */
export function rolloutState(kind: RestartableKind, obj: V1Deployment | V1DaemonSet | V1StatefulSet): RolloutState {
  if (kind === 'Deployment') return deploymentRollout(obj as V1Deployment);
  if (kind === 'DaemonSet') return daemonSetRollout(obj as V1DaemonSet);
  return statefulSetRollout(obj as V1StatefulSet);
}

/** Whether `kubectl rollout restart` replaces this controller's pods by itself (not an OnDelete strategy, not a paused Deployment). */
export function rollsByItself(kind: RestartableKind, obj: V1Deployment | V1DaemonSet | V1StatefulSet): boolean {
  if (kind === 'Deployment') return !(obj as V1Deployment).spec?.paused;
  return ((obj as V1DaemonSet | V1StatefulSet).spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}
