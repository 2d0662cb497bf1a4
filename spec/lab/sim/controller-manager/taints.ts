/**
 * Taints, tolerations and node selection as the real scheduler and controllers read them
 * (k8s.io/api/core/v1 Toleration.ToleratesTaint, nodeSelector, required node affinity by
 * `metadata.name` as DaemonSet pods use).
 */

/** A node taint. */
export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  timeAdded?: string;
}

/** A pod toleration. */
export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/** Whether a toleration tolerates a taint (the real ToleratesTaint). */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  if (!t.key) return false;
  return (t.value ?? '') === (taint.value ?? '');
}

/** The taints with the given effects that no toleration tolerates. */
export function untolerated(taints: readonly Taint[], tols: readonly Toleration[], effects: readonly string[]): Taint[] {
  return taints.filter((x) => effects.includes(x.effect) && !tols.some((t) => tolerates(t, x)));
}

/** Whether a pod spec's nodeSelector and required node affinity by metadata.name admit a node. */
export function podFitsNode(spec: any, node: any): boolean {
  const labels: Record<string, string> = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms: any[] = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (!terms.length) return true;
  return terms.some((term) => {
    const fields: any[] = term.matchFields ?? [];
    const exprs: any[] = term.matchExpressions ?? [];
    const fieldOk = fields.every(
      (f) => f.key !== 'metadata.name' || (f.operator === 'In' ? f.values?.includes(node.metadata.name) : !f.values?.includes(node.metadata.name)),
    );
    const exprOk = exprs.every((e) => {
      const has = e.key in labels;
      switch (e.operator) {
        case 'In':
          return has && e.values?.includes(labels[e.key]);
        case 'NotIn':
          return !has || !e.values?.includes(labels[e.key]);
        case 'Exists':
          return has;
        case 'DoesNotExist':
          return !has;
        default:
          return true;
      }
    });
    return (fields.length || exprs.length) > 0 && fieldOk && exprOk;
  });
}

/** The status of a node's Ready condition: "True", "False", "Unknown" (absent counts as Unknown). */
export function readyStatus(node: any): string {
  return (node.status?.conditions ?? []).find((c: any) => c.type === 'Ready')?.status ?? 'Unknown';
}
