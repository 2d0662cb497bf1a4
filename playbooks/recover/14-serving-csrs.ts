/**
 * Step 14: approve pending kubelet-serving CSRs that pass the policy (lib/kube/csr-policy.ts);
 * report every refusal. With serverTLSBootstrap on (the kubelet-config ConfigMap), wait until every
 * kubelet this run re-bootstrapped has asked for its serving cert and had it approved.
 */
import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import type { ClusterPhase } from '../../lib/core/types.js';
import { KUBELET_SERVING } from '../../lib/kube/signers.js';
import { kubeFor } from '../../lib/kube/session.js';
import { type RecoverOptions, decision, repairs } from './common.js';

/** CSRs older than this process by more than this margin are from before the repair (clock skew allowed). */
const SKEW_MS = 120_000;

/** True when the cluster's KubeletConfiguration has serverTLSBootstrap: true. */
export function servingBootstrapOn(kubeletConfig: string | undefined): boolean {
  return /^serverTLSBootstrap:\s*true\s*$/m.test(kubeletConfig ?? '');
}

/** Nodes of `want` without an approved kubelet-serving CSR created since `since`. */
export function withoutServingCert(csrs: V1CertificateSigningRequest[], want: string[], since: Date): string[] {
  const have = new Set(
    csrs
      .filter((c) => c.spec.signerName === KUBELET_SERVING && c.status?.conditions?.some((k) => k.type === 'Approved'))
      .filter((c) => c.metadata?.creationTimestamp && new Date(c.metadata.creationTimestamp).getTime() >= since.getTime())
      .map((c) => c.spec.username?.replace(/^system:node:/, '')),
  );
  return want.filter((n) => !have.has(n));
}

/** Step 14 of recover (cluster phase), on any path that repairs something. */
export const servingCsrs: ClusterPhase<RecoverOptions> = {
  id: 'api/serving-csrs',
  title: `Approve pending ${KUBELET_SERVING} CSRs of inventory nodes whose SANs are theirs in the inventory (name, address, servingSANs)`,
  scope: 'cluster',
  shouldRun: repairs,
  async run(ctx) {
    await ctx.wet(
      `approve pending ${KUBELET_SERVING} CSRs that pass the policy (others refused and reported)`,
      async () => {
        const kube = await kubeFor(ctx);
        const { csrPending, decideCsr, servingPolicy } = await import('../../lib/kube/csr-policy.js'); // an X.509 parser: loaded when used
        const policy = servingPolicy(ctx.inventory);
        const on = servingBootstrapOn((await kube.configMap('kube-system', 'kubelet-config'))?.kubelet);
        const d = decision(ctx);
        const live = new Set(ctx.hosts.map((h) => h.name));
        const want = [...new Set([...d.lost, ...d.staleWorkers])].filter((n) => live.has(n));
        const since = new Date(performance.timeOrigin - SKEW_MS);
        const deadline = Date.now() + Math.min(ctx.options.waitSeconds ?? 300, 120) * 1000;
        const decided = new Set<string>();
        let missing = want;
        /** One round: approve what passes the policy; returns the re-bootstrapped nodes still without a serving cert. */
        const approveRound = async (): Promise<string[]> => {
          const csrs = await kube.csrs();
          for (const csr of csrs.filter((c) => csrPending(c) && c.spec.signerName === KUBELET_SERVING && !decided.has(c.metadata?.name ?? ''))) {
            const r = decideCsr(csr, policy);
            if (r.approve) {
              await kube.approveCsr(csr, `kubemend: serving certificate of inventory node ${r.node}`);
              ctx.log(`approved CSR ${r.name} of node ${r.node}`);
            } else ctx.log(`refused CSR ${r.name}: ${r.reason}`, 'warn');
            decided.add(r.name); // after the approval: one that failed on a restarting apiserver is tried again
          }
          return on ? withoutServingCert(await kube.csrs(), want, since) : [];
        };
        for (; ; await new Promise((res) => setTimeout(res, 2000))) {
          // an apiserver restarting under us (a static pod re-synced) is retried until the deadline, as waitFor does
          try {
            missing = await approveRound();
          } catch (e) {
            if (Date.now() > deadline) throw e;
            continue;
          }
          if (!on || missing.length === 0 || Date.now() > deadline || ctx.signal.aborted) break;
        }
        if (on && missing.length)
          ctx.log(
            `serverTLSBootstrap is on but no approved serving CSR yet from ${missing.join(', ')}: check \`kubectl get csr\` and run again (this step approves only what passes the policy)`,
            'warn',
          );
      },
      undefined,
    );
  },
};
