/**
 * deployment-controller: each apps/v1 Deployment owns ReplicaSets named `<deployment>-<hash>`
 * (label `pod-template-hash`); the one whose template equals the Deployment's is the new one.
 * A template change (e.g. `kubectl rollout restart`'s `kubectl.kubernetes.io/restartedAt`
 * annotation) makes a new ReplicaSet and rolls to it: RollingUpdate within maxSurge (rounded up)
 * and maxUnavailable (rounded down), Recreate by scaling the old ones to 0 first. Revisions in
 * `deployment.kubernetes.io/revision`, old ReplicaSets beyond revisionHistoryLimit removed, status
 * and the Available / Progressing conditions as kubectl rollout status reads them
 * (pkg/controller/deployment: rolling.go, recreate.go, sync.go, progress.go).
 */
import type { KObject } from '../../client/api.js';
import { ApiError, isConflict } from '../../client/api.js';
import type { Context, Controller } from '../context.js';
import { controlledBy, fenceposts, newRSReplicas, oldRSSizes, sameTemplate, templateHash } from '../rollout.js';
import { metaTime } from './node-health.js';

const REVISION = 'deployment.kubernetes.io/revision';
const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX = 'deployment.kubernetes.io/max-replicas';

const revisionOf = (o: KObject) => Number(o.metadata.annotations?.[REVISION] ?? 0);
const byAge = (a: KObject, b: KObject) =>
  Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name);

/** The new ReplicaSet for a Deployment (not yet created): template + pod-template-hash, owned by it. */
export function newReplicaSet(d: KObject, replicas: number, revision: number, maxReplicas: number): KObject {
  const hash = templateHash(d.spec.template);
  const template = structuredClone(d.spec.template ?? {});
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash } };
  const sel = structuredClone(d.spec.selector ?? {});
  sel.matchLabels = { ...(sel.matchLabels ?? {}), 'pod-template-hash': hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      labels: template.metadata.labels,
      annotations: { [DESIRED]: String(d.spec.replicas ?? 1), [MAX]: String(maxReplicas), [REVISION]: String(revision) },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid: d.metadata.uid!, controller: true, blockOwnerDeletion: true } as any,
      ],
    },
    spec: { replicas, minReadySeconds: d.spec.minReadySeconds ?? 0, selector: sel, template },
  };
}

/** Make the deployment controller. */
export function deployment(ctx: Context): Controller {
  const log = ctx.log.child('deployment');
  const progress = new Map<string, number>();

  async function scale(rs: KObject, replicas: number, d: KObject, why: string): Promise<void> {
    const ns = rs.metadata.namespace!;
    const annotations = { ...(rs.metadata.annotations ?? {}), [DESIRED]: String(d.spec.replicas ?? 1) };
    await ctx.api.update(`replicaset ${ns}/${rs.metadata.name}`, `/apis/apps/v1/namespaces/${ns}/replicasets/${rs.metadata.name}`, {
      ...rs,
      metadata: { ...rs.metadata, annotations },
      spec: { ...rs.spec, replicas },
    });
    log.info(`Scaled ${why} replica set ${rs.metadata.name} from ${rs.spec?.replicas ?? 0} to ${replicas} (deployment ${ns}/${d.metadata.name})`);
  }

  async function syncOne(d: KObject, all: KObject[]): Promise<void> {
    const ns = d.metadata.namespace!;
    const owned = all.filter((rs) => rs.metadata.namespace === ns && controlledBy(rs, d)).sort(byAge);
    let newRS = owned.find((rs) => sameTemplate(rs.spec?.template, d.spec?.template));
    const old = owned.filter((rs) => rs !== newRS);
    const desired = d.spec?.replicas ?? 1;
    const recreate = d.spec?.strategy?.type === 'Recreate';
    const { surge, unavailable } = recreate
      ? { surge: 0, unavailable: desired }
      : fenceposts(d.spec?.strategy?.rollingUpdate?.maxSurge, d.spec?.strategy?.rollingUpdate?.maxUnavailable, desired);
    const sum = (rss: KObject[], f: (r: KObject) => number) => rss.reduce((n, r) => n + f(r), 0);
    let changed = false;
    if (!d.spec?.paused) {
      if (!newRS) {
        const revision = Math.max(0, ...owned.map(revisionOf)) + 1;
        const start = recreate
          ? 0
          : newRSReplicas(
              desired,
              surge,
              sum(old, (r) => r.spec?.replicas ?? 0),
              0,
            );
        try {
          newRS = await ctx.api.create(
            `replicaset of deployment ${ns}/${d.metadata.name}`,
            `/apis/apps/v1/namespaces/${ns}/replicasets`,
            newReplicaSet(d, start, revision, desired + surge),
          );
        } catch (e) {
          if (e instanceof ApiError && e.status === 409) return; // a leftover of the same name: next sync
          throw e;
        }
        log.info(`Scaled up replica set ${newRS.metadata.name} to ${start} (new replica set of deployment ${ns}/${d.metadata.name}, revision ${revision})`);
        progress.set(d.metadata.uid!, Date.now());
        changed = true;
      } else if (recreate) {
        if (old.some((rs) => (rs.spec?.replicas ?? 0) > 0)) {
          for (const rs of old) if ((rs.spec?.replicas ?? 0) > 0) await scale(rs, 0, d, 'down');
          changed = true;
        } else if (sum(old, (r) => r.status?.replicas ?? 0) === 0 && (newRS.spec?.replicas ?? 0) !== desired) {
          await scale(newRS, desired, d, 'up');
          changed = true;
        }
      } else {
        const cur = newRS.spec?.replicas ?? 0;
        const next =
          cur > desired
            ? desired
            : newRSReplicas(
                desired,
                surge,
                sum(owned, (r) => r.spec?.replicas ?? 0),
                cur,
              );
        if (next !== cur) {
          await scale(newRS, next, d, next > cur ? 'up' : 'down');
          progress.set(d.metadata.uid!, Date.now());
          changed = true;
        } else {
          const counts = (r: KObject) => ({ name: r.metadata.name, replicas: r.spec?.replicas ?? 0, available: r.status?.availableReplicas ?? 0 });
          const sizes = oldRSSizes({ desired, unavailable, old: old.map(counts), newRS: counts(newRS) });
          for (const rs of old) {
            const n = sizes.get(rs.metadata.name)!;
            if (n !== (rs.spec?.replicas ?? 0)) {
              await scale(rs, n, d, 'down');
              progress.set(d.metadata.uid!, Date.now());
              changed = true;
            }
          }
        }
      }
    }
    if (!newRS) return;
    if (revisionOf(d) !== revisionOf(newRS)) {
      try {
        await ctx.api.update(`deployment ${ns}/${d.metadata.name}`, `/apis/apps/v1/namespaces/${ns}/deployments/${d.metadata.name}`, {
          ...d,
          metadata: { ...d.metadata, annotations: { ...(d.metadata.annotations ?? {}), [REVISION]: String(revisionOf(newRS)) } },
        });
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
      return; // the status is written from the next read
    }
    if (changed) return;
    // old ReplicaSets at 0 beyond the history limit go once the rollout is done
    const limit = d.spec?.revisionHistoryLimit ?? 10;
    const idle = old.filter((rs) => (rs.spec?.replicas ?? 0) === 0 && (rs.status?.replicas ?? 0) === 0);
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
      await ctx.api.delete(`replicaset ${ns}/${rs.metadata.name}`, `/apis/apps/v1/namespaces/${ns}/replicasets/${rs.metadata.name}`);
    }
    await writeStatus(d, owned, newRS, desired, unavailable);
  }

  async function writeStatus(d: KObject, owned: KObject[], newRS: KObject, desired: number, unavailable: number): Promise<void> {
    const ns = d.metadata.namespace!;
    const sum = (f: (r: KObject) => number) => owned.reduce((n, r) => n + f(r), 0);
    const replicas = sum((r) => r.status?.replicas ?? 0);
    const available = sum((r) => r.status?.availableReplicas ?? 0);
    const updated = newRS.status?.replicas ?? 0;
    const now = metaTime();
    const old = (t: string) => (d.status?.conditions ?? []).find((c: any) => c.type === t);
    const cond = (type: string, status: string, reason: string, message: string) => {
      const o = old(type);
      return {
        type,
        status,
        lastUpdateTime: o?.reason === reason && o?.status === status ? o.lastUpdateTime : now,
        lastTransitionTime: o?.status === status ? o.lastTransitionTime : now,
        reason,
        message,
      };
    };
    const complete = updated === desired && replicas === desired && available >= desired && (newRS.status?.availableReplicas ?? 0) >= desired;
    const deadline = d.spec?.progressDeadlineSeconds ?? 600;
    const seen = Date.parse(old('Progressing')?.lastUpdateTime ?? '');
    const last = progress.get(d.metadata.uid!) ?? (Number.isNaN(seen) ? Date.now() : seen);
    const rsName = newRS.metadata.name;
    const progressing = complete
      ? cond('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`)
      : Date.now() - last > deadline * 1000
        ? cond('Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${rsName}" has timed out progressing.`)
        : cond('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`);
    const availableCond =
      available >= desired - unavailable
        ? cond('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
        : cond('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.');
    const status = {
      observedGeneration: d.metadata.generation ?? 1,
      replicas,
      updatedReplicas: updated,
      readyReplicas: sum((r) => r.status?.readyReplicas ?? 0),
      availableReplicas: available,
      ...(replicas - available > 0 ? { unavailableReplicas: replicas - available } : {}),
      conditions: [availableCond, progressing],
    };
    const same = (a: any, b: any) =>
      JSON.stringify({ ...a, conditions: (a?.conditions ?? []).map((c: any) => [c.type, c.status, c.reason]) }) ===
      JSON.stringify({ ...b, conditions: (b?.conditions ?? []).map((c: any) => [c.type, c.status, c.reason]) });
    if (same(d.status ?? {}, status)) return;
    try {
      await ctx.api.update(`status of deployment ${ns}/${d.metadata.name}`, `/apis/apps/v1/namespaces/${ns}/deployments/${d.metadata.name}/status`, {
        ...d,
        status,
      });
    } catch (e) {
      if (!(e instanceof ApiError && (e.status === 409 || e.status === 404))) throw e;
    }
  }

  return {
    name: 'deployment-controller',
    watches: ['deployments', 'replicasets'],
    periodMs: ctx.opts.syncPeriodMs,
    async sync() {
      const deployments = await ctx.api.list('deployments', '/apis/apps/v1/deployments');
      if (!deployments.length) return;
      const sets = await ctx.api.list('replicasets', '/apis/apps/v1/replicasets');
      for (const d of deployments) {
        if (d.metadata.deletionTimestamp) continue;
        try {
          await syncOne(d, sets);
        } catch (e) {
          if (!isConflict(e)) log.error(`sync deployment ${d.metadata.namespace}/${d.metadata.name}: ${(e as Error).message}`);
        }
      }
    },
  };
}
