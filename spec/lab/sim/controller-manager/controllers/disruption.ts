/**
 * disruption-controller: the status of every policy/v1 PodDisruptionBudget (pkg/controller/
 * disruption): its pods (selector), how many must stay healthy (minAvailable of the pods, or of
 * their controllers' scale for percentages and maxUnavailable: ReplicaSets, the Deployments owning
 * them, StatefulSets), how many are Ready, the evictions still unconfirmed (`disruptedPods`), and
 * `disruptionsAllowed`, which the Eviction API spends.
 */
import type { KObject } from '../../client/api.js';
import { ApiError } from '../../client/api.js';
import type { Context, Controller } from '../context.js';
import { labelSelectorMatches } from '../../apiserver/selectors.js';
import { budgetStatus, controllerOf } from '../rollout.js';

/** getExpectedScale: the summed scale of the pods' controllers, or undefined when a pod has none that has a scale. */
export function expectedScale(pods: KObject[], sets: KObject[], deployments: KObject[], statefulSets: KObject[]): number | undefined {
  const seen = new Map<string, number>();
  for (const p of pods) {
    const ref = controllerOf(p);
    if (!ref) return undefined;
    if (ref.kind === 'ReplicaSet') {
      const rs = sets.find((r) => r.metadata.uid === ref.uid);
      if (!rs) return undefined;
      const dref = controllerOf(rs);
      const d = dref?.kind === 'Deployment' ? deployments.find((x) => x.metadata.uid === dref.uid) : undefined;
      if (d) seen.set(d.metadata.uid!, d.spec?.replicas ?? 1);
      else seen.set(rs.metadata.uid!, rs.spec?.replicas ?? 0);
    } else if (ref.kind === 'StatefulSet') {
      const ss = statefulSets.find((x) => x.metadata.uid === ref.uid);
      if (!ss) return undefined;
      seen.set(ss.metadata.uid!, ss.spec?.replicas ?? 1);
    } else return undefined;
  }
  return [...seen.values()].reduce((a, b) => a + b, 0);
}

/** Make the disruption controller. */
export function disruption(ctx: Context): Controller {
  const log = ctx.log.child('disruption');
  return {
    name: 'disruption-controller',
    watches: ['poddisruptionbudgets', 'pods'],
    periodMs: ctx.opts.syncPeriodMs,
    async sync() {
      const budgets = await ctx.api.list('poddisruptionbudgets', '/apis/policy/v1/poddisruptionbudgets');
      if (!budgets.length) return;
      const [pods, sets, deployments] = await Promise.all([
        ctx.api.list('pods', '/api/v1/pods'),
        ctx.api.list('replicasets', '/apis/apps/v1/replicasets'),
        ctx.api.list('deployments', '/apis/apps/v1/deployments'),
      ]);
      for (const pdb of budgets) {
        const ns = pdb.metadata.namespace!;
        const mine = pods.filter((p) => p.metadata.namespace === ns && labelSelectorMatches(pdb.spec?.selector, p.metadata.labels));
        const { status, error } = budgetStatus(pdb, mine, expectedScale(mine, sets, deployments, []));
        if (error) log.warn(`pdb ${ns}/${pdb.metadata.name}: ${error}`);
        const strip = (s: any) => JSON.stringify({ ...s, conditions: (s?.conditions ?? []).map((c: any) => [c.type, c.status, c.reason]) });
        if (strip(pdb.status ?? {}) === strip(status)) continue;
        try {
          await ctx.api.update(
            `status of poddisruptionbudget ${ns}/${pdb.metadata.name}`,
            `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/${pdb.metadata.name}/status`,
            { ...pdb, status },
          );
        } catch (e) {
          // 409: an eviction spent the budget meanwhile; the next sync reads it again
          if (!(e instanceof ApiError && (e.status === 409 || e.status === 404))) throw e;
        }
      }
    },
  };
}
