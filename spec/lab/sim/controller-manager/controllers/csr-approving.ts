/**
 * csrapproving: auto-approves kubelet client CSRs (signer kube-apiserver-client-kubelet) made
 * by a bootstrap token (group system:bootstrappers: kubeadm's node-autoapprove-bootstrap binding)
 * or by a node for its own name (system:nodes: node-autoapprove-certificate-rotation). Never
 * approves kubelet-serving CSRs, exactly like the real approver.
 */
import type { KObject } from '../../client/api.js';
import type { Context, Controller } from '../context.js';
import { KUBELET_CLIENT, hasCondition, kubeletClientProblem, requestOf } from '../csr-rules.js';

const PATH = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

/** Why the approver would approve this CSR (its message), or undefined when it leaves it alone. */
export function approvalFor(csr: KObject): { reason: string; message: string } | undefined {
  if (csr.spec?.signerName !== KUBELET_CLIENT) return undefined;
  if (hasCondition(csr, 'Approved') || hasCondition(csr, 'Denied') || csr.status?.certificate) return undefined;
  let x;
  try {
    x = requestOf(csr);
  } catch {
    return undefined;
  }
  if (kubeletClientProblem(x, csr.spec?.usages ?? [])) return undefined;
  const user: string = csr.spec?.username ?? '';
  const groups: string[] = csr.spec?.groups ?? [];
  if (x.cn === user && groups.includes('system:nodes')) {
    return { reason: 'AutoApproved', message: 'Auto approving self kubelet client certificate after SubjectAccessReview.' };
  }
  if (groups.includes('system:bootstrappers') && user.startsWith('system:bootstrap:')) {
    return { reason: 'AutoApproved', message: 'Auto approving kubelet client certificate after SubjectAccessReview.' };
  }
  return undefined;
}

/** Make the csrapproving controller. */
export function csrApproving(ctx: Context): Controller {
  const log = ctx.log.child('csrapproving');
  return {
    name: 'certificatesigningrequest-approving-controller',
    watches: ['certificatesigningrequests'],
    periodMs: ctx.opts.syncPeriodMs,
    async sync() {
      for (const csr of await ctx.api.list('certificatesigningrequests', PATH)) {
        const ok = approvalFor(csr);
        if (!ok) continue;
        const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        const conditions = [...(csr.status?.conditions ?? []), { type: 'Approved', status: 'True', ...ok, lastUpdateTime: now, lastTransitionTime: now }];
        await ctx.api.update(`approval of csr ${csr.metadata.name}`, `${PATH}/${csr.metadata.name}/approval`, {
          ...csr,
          status: { ...csr.status, conditions },
        });
        log.info(`approved csr ${csr.metadata.name} of ${csr.spec?.username}: ${ok.message}`);
      }
    },
  };
}
