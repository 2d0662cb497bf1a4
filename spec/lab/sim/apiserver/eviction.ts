/**
 * `POST .../pods/NAME/eviction` (policy/v1 Eviction) as kube-apiserver 1.32 serves it
 * (pkg/registry/core/pod/storage/eviction.go): a pod that is Pending, finished or being deleted is
 * deleted at once; otherwise the one PodDisruptionBudget selecting it (more than one: 500) must
 * allow a disruption: its status must be observed (else 429 "still being processed"), and
 * `disruptionsAllowed` > 0 (else 429 "needs N healthy pods and has M currently"); the budget is
 * decremented and the pod recorded in `disruptedPods` before the pod is deleted. An unready pod
 * is deleted without spending the budget when the budget is met (default IfHealthyBudget policy).
 */
import { findResource } from './resources.js';
import { labelSelectorMatches } from './selectors.js';
import { ApiError, badRequest } from './status.js';
import type { Obj, Store } from './store.js';

const pods = findResource('', 'v1', 'pods')!;
const pdbs = findResource('policy', 'v1', 'poddisruptionbudgets')!;
const MESSAGE = "Cannot evict pod as it would violate the pod's disruption budget.";
/** MaxDisruptedPodSize: evictions not yet confirmed by the disruption controller. */
const MAX_DISRUPTED_PODS = 2000;

/** A 429 with the DisruptionBudget cause (errors.NewTooManyRequests). */
function tooManyRequests(cause: string, retryAfterSeconds: number): ApiError {
  return new ApiError(429, 'TooManyRequests', MESSAGE, {
    causes: [{ reason: 'DisruptionBudget', message: cause }],
    ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
  });
}

function forbidden(name: string, why: string): ApiError {
  return new ApiError(403, 'Forbidden', `poddisruptionbudgets.policy "${name}" is forbidden: ${why}`, { name, group: 'policy', kind: 'poddisruptionbudgets' });
}

/** IsPodReady. */
function podReady(pod: Obj): boolean {
  return (pod.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
}

/** checkAndDecrement: throws the real error when the budget allows no disruption; else records the eviction in its status. */
async function checkAndDecrement(store: Store, ns: string, podName: string, pdbName: string, dryRun: boolean): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const pdb = await store.get(pdbs, ns, pdbName);
    const st = (pdb.status = pdb.status ?? {});
    if ((st.observedGeneration ?? 0) < (pdb.metadata.generation ?? 1))
      throw tooManyRequests(`The disruption budget ${pdbName} is still being processed by the server.`, 10);
    if ((st.disruptionsAllowed ?? 0) < 0) throw forbidden(pdbName, 'pdb disruptions allowed is negative');
    if (Object.keys(st.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS)
      throw forbidden(pdbName, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
    if ((st.disruptionsAllowed ?? 0) === 0)
      throw tooManyRequests(`The disruption budget ${pdbName} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently`, 0);
    st.disruptionsAllowed--;
    if (st.disruptionsAllowed === 0) {
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const cond = {
        type: 'DisruptionAllowed',
        status: 'False',
        reason: 'InsufficientPods',
        message: '',
        observedGeneration: pdb.metadata.generation ?? 1,
        lastTransitionTime: now,
      };
      st.conditions = [...(st.conditions ?? []).filter((c: Obj) => c.type !== 'DisruptionAllowed'), cond];
    }
    if (dryRun) return;
    st.disruptedPods = { ...(st.disruptedPods ?? {}), [podName]: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
    try {
      await store.update(pdbs, pdb, Number(pdb.metadata.resourceVersion));
      return;
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'Conflict' && attempt < 5) continue; // retry.RetryOnConflict with a fresh budget
      throw e;
    }
  }
}

/** Serve one eviction of pod `name` in `ns`; resolves when the pod was deleted. */
export async function evict(store: Store, ns: string, name: string, body: Obj | undefined): Promise<void> {
  if (body?.metadata?.name !== undefined && body.metadata.name !== name) throw badRequest('name in URL does not match name in Eviction object');
  const dryRun = (body?.deleteOptions?.dryRun ?? []).includes('All');
  const pod = await store.get(pods, ns, name);
  const phase = pod.status?.phase;
  const canIgnorePdb = phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata.deletionTimestamp;
  // a resourceVersion precondition where the real handler sets one: so a pod that turned Ready meanwhile is not deleted
  let precondition = canIgnorePdb && phase === 'Pending' && !pod.metadata.deletionTimestamp;
  let pdbName = '';
  if (!canIgnorePdb) {
    const matching = (await store.list(pdbs, ns)).items.filter((b) => labelSelectorMatches(b.spec?.selector, pod.metadata.labels));
    if (matching.length > 1)
      throw new ApiError(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    const pdb = matching[0];
    if (pdb) {
      pdbName = pdb.metadata.name;
      const st = pdb.status ?? {};
      const unreadyWithinBudget =
        !podReady(pod) &&
        (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow' || ((st.currentHealthy ?? 0) >= (st.desiredHealthy ?? 0) && (st.desiredHealthy ?? 0) > 0));
      if (unreadyWithinBudget) precondition = true;
      else await checkAndDecrement(store, ns, name, pdbName, dryRun);
    }
  }
  if (dryRun) return;
  await store.delete(pods, ns, name, precondition ? Number(pod.metadata.resourceVersion) : undefined).catch((e) => {
    if (precondition && pdbName && e instanceof ApiError && e.reason === 'Conflict')
      throw tooManyRequests(`The disruption budget ${pdbName} is still being processed by the server.`, 10);
    throw e;
  });
}
