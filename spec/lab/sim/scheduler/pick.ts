/**
 * The lab scheduler's decision: the nodes a pod fits (Ready, schedulable, taints tolerated,
 * nodeSelector and required node affinity), chosen round robin.
 */
import type { KObject } from '../client/api.js';
import { type Toleration, podFitsNode, readyStatus, untolerated } from '../controller-manager/taints.js';

/** Why a node does not fit a pod, or undefined when it fits. */
export function misfit(pod: KObject, node: KObject): string | undefined {
  const tols: Toleration[] = pod.spec?.tolerations ?? [];
  if (readyStatus(node) !== 'True') return 'node(s) were not ready';
  if (
    node.spec?.unschedulable &&
    !tols.some((t) => (t.key === 'node.kubernetes.io/unschedulable' || (!t.key && t.operator === 'Exists')) && (!t.effect || t.effect === 'NoSchedule'))
  ) {
    return 'node(s) were unschedulable';
  }
  const bad = untolerated(node.spec?.taints ?? [], tols, ['NoSchedule', 'NoExecute']);
  if (bad.length) return `node(s) had untolerated taint {${bad[0].key}: ${bad[0].value ?? ''}}`;
  if (!podFitsNode(pod.spec, node)) return "node(s) didn't match Pod's node affinity/selector";
  return undefined;
}

/** A round-robin chooser over fitting nodes. */
export class RoundRobin {
  private next = 0;

  /** The node for a pod, or the real "0/N nodes are available" message when none fits. */
  choose(pod: KObject, nodes: readonly KObject[]): { node?: string; message?: string } {
    const sorted = [...nodes].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const fits = sorted.filter((n) => !misfit(pod, n));
    if (fits.length) {
      const node = fits[this.next % fits.length].metadata.name;
      this.next++;
      return { node };
    }
    const reasons = new Map<string, number>();
    for (const n of sorted) {
      const r = misfit(pod, n)!;
      reasons.set(r, (reasons.get(r) ?? 0) + 1);
    }
    const parts = [...reasons.entries()].map(([r, c]) => `${c} ${r}`).sort();
    const n = nodes.length;
    return {
      message: `0/${n} nodes are available: ${parts.join(', ')}. preemption: 0/${n} nodes are available: ${n} Preemption is not helpful for scheduling.`,
    };
  }
}
