/** The `mark-control-plane` phase: the control-plane labels and taint on this node's Node object. */
import { type Api, sleep } from './api.js';
import type { Config } from './config.js';
import { say } from './out.js';

/** The labels kubeadm puts on a control-plane node. */
export const CP_LABELS = ['node-role.kubernetes.io/control-plane', 'node.kubernetes.io/exclude-from-external-load-balancers'];
/** The taint kubeadm puts on a control-plane node. */
export const CP_TAINT = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };

/** Run `mark-control-plane`: wait for the Node, then patch labels and taints. */
export async function runMarkControlPlane(api: Api, c: Config, timeoutMs = 4 * 60_000): Promise<void> {
  const taints = (c.taints as any[] | undefined) ?? [CP_TAINT];
  say(`[mark-control-plane] Marking the node ${c.nodeName} as control-plane by adding the labels: [${CP_LABELS.join(' ')}]`);
  say(`[mark-control-plane] Marking the node ${c.nodeName} as control-plane by adding the taints [${taints.map((t) => `${t.key}:${t.effect}`).join(' ')}]`);
  const path = `/api/v1/nodes/${c.nodeName}`;
  const start = Date.now();
  let last = '';
  for (;;) {
    const node = await api.get(path).catch((e) => {
      last = e.message;
      return undefined;
    });
    if (node) {
      const have = (node.spec?.taints ?? []) as any[];
      const merged = [...have.filter((h) => !taints.some((t) => t.key === h.key && t.effect === h.effect)), ...taints];
      const r = await api.req(
        'PATCH',
        path,
        { metadata: { labels: Object.fromEntries(CP_LABELS.map((l) => [l, ''])) }, spec: { taints: merged } },
        'application/merge-patch+json',
      );
      if (r.status < 300) return;
      last = r.body?.message ?? `HTTP ${r.status}`;
    } else if (!last) last = `nodes "${c.nodeName}" not found`;
    if (Date.now() - start > timeoutMs) throw new Error(`error patching node "${c.nodeName}" through apiserver: ${last}: timed out waiting for the condition`);
    await sleep(1000);
  }
}
