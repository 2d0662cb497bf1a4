/**
 * replicaset-controller: each apps/v1 ReplicaSet keeps `spec.replicas` active pods made from its
 * template (generateName `<rs>-`, owned by the ReplicaSet); extra pods are deleted in the real
 * ranking (unscheduled, pending, not ready, newest first). Status: replicas, fullyLabeledReplicas,
 * readyReplicas, availableReplicas (Ready for minReadySeconds), observedGeneration.
 */
import type { KObject } from '../../client/api.js';
import { ApiError } from '../../client/api.js';
import type { Context, Controller } from '../context.js';
import { labelSelectorMatches } from '../../apiserver/selectors.js';
import { activePod, controlledBy, deletionOrder, podAvailable, podReady } from '../rollout.js';

/** The pod a ReplicaSet makes from its template. */
export function podFromTemplate(rs: KObject): KObject {
  const t = rs.spec?.template ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${rs.metadata.name}-`,
      namespace: rs.metadata.namespace,
      labels: { ...(t.metadata?.labels ?? {}) },
      ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid!, controller: true, blockOwnerDeletion: true } as any,
      ],
    } as any,
    spec: structuredClone(t.spec ?? {}),
  };
}

/** Make the replicaset controller. */
export function replicaSet(ctx: Context): Controller {
  const log = ctx.log.child('replicaset');
  return {
    name: 'replicaset-controller',
    watches: ['replicasets', 'pods'],
    periodMs: ctx.opts.syncPeriodMs,
    async sync() {
      const sets = await ctx.api.list('replicasets', '/apis/apps/v1/replicasets');
      if (!sets.length) return;
      const pods = await ctx.api.list('pods', '/api/v1/pods');
      for (const rs of sets) {
        if (rs.metadata.deletionTimestamp) continue;
        const ns = rs.metadata.namespace!;
        const mine = pods.filter((p) => p.metadata.namespace === ns && controlledBy(p, rs) && activePod(p));
        const want = rs.spec?.replicas ?? 0;
        if (mine.length < want) {
          for (let i = mine.length; i < want; i++) {
            try {
              const made = await ctx.api.create(`pod of replicaset ${ns}/${rs.metadata.name}`, `/api/v1/namespaces/${ns}/pods`, podFromTemplate(rs));
              log.info(`created pod ${ns}/${made.metadata.name} of replicaset ${rs.metadata.name}`);
            } catch (e) {
              // e.g. the service account does not exist yet: the real controller records FailedCreate and retries
              log.warn(`Error creating: ${(e as Error).message}`);
              break;
            }
          }
        } else if (mine.length > want) {
          for (const p of [...mine].sort(deletionOrder).slice(0, mine.length - want)) {
            log.info(`deleting pod ${ns}/${p.metadata.name} of replicaset ${rs.metadata.name} (${mine.length} > ${want} replicas)`);
            await ctx.api.delete(`pod ${ns}/${p.metadata.name}`, `/api/v1/namespaces/${ns}/pods/${p.metadata.name}`);
          }
        }
        const minReady = rs.spec?.minReadySeconds ?? 0;
        const labelled = mine.filter((p) =>
          labelSelectorMatches(rs.spec?.template?.metadata ? { matchLabels: rs.spec.template.metadata.labels ?? {} } : {}, p.metadata.labels),
        );
        const status = {
          replicas: mine.length,
          fullyLabeledReplicas: labelled.length,
          readyReplicas: mine.filter(podReady).length,
          availableReplicas: mine.filter((p) => podAvailable(p, minReady)).length,
          observedGeneration: rs.metadata.generation ?? 1,
        };
        if (Object.entries(status).every(([k, v]) => rs.status?.[k] === v)) continue;
        try {
          await ctx.api.update(`status of replicaset ${ns}/${rs.metadata.name}`, `/apis/apps/v1/namespaces/${ns}/replicasets/${rs.metadata.name}/status`, {
            ...rs,
            status: { ...(rs.status ?? {}), ...status },
          });
        } catch (e) {
          if (!(e instanceof ApiError && (e.status === 409 || e.status === 404))) throw e;
        }
      }
    },
  };
}
