/** Step 14: approve pending kubelet-serving CSRs that pass the policy (lib/kube/csr-policy.ts); report every refusal. */
import type { ClusterPhase } from '../../lib/core/types.js';
import { csrPending, decideCsr, KUBELET_SERVING } from '../../lib/kube/csr-policy.js';
import { kubeFor } from '../../lib/kube/session.js';

/** Step 14 of recover (cluster phase). */
export const servingCsrs: ClusterPhase = {
  id: 'api/serving-csrs',
  title: `Approve pending ${KUBELET_SERVING} CSRs of inventory nodes whose SANs are exactly theirs`,
  scope: 'cluster',
  async run(ctx) {
    await ctx.wet(`approve pending ${KUBELET_SERVING} CSRs that pass the policy (others refused and reported)`, async () => {
      const kube = await kubeFor(ctx);
      const [csrs, nodes] = await Promise.all([kube.csrs(), kube.nodes()]);
      const known = ctx.inventory.hosts.map((h) => ({ name: h.name, address: h.address }));
      for (const csr of csrs.filter((c) => csrPending(c) && c.spec.signerName === KUBELET_SERVING)) {
        const d = decideCsr(csr, known, nodes);
        if (d.approve) {
          await kube.approveCsr(csr, `kubemend: serving certificate of inventory node ${d.node}`);
          ctx.log(`approved CSR ${d.name} of node ${d.node}`);
        } else ctx.log(`refused CSR ${d.name}: ${d.reason}`, 'warn');
      }
    }, undefined);
  },
};
