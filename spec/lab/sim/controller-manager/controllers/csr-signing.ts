/**
 * csrsigning: signs approved CSRs for the kubelet-client, kubelet-serving and apiserver-client
 * signers with the cluster CA read at start (a controller-manager started before the CA changed
 * keeps signing with the old one), honouring spec.expirationSeconds (at least 10 minutes) and
 * `--cluster-signing-duration`; invalid requests get the real Failed/SignerValidationFailure condition.
 */
import { X509Certificate } from 'node:crypto';
import type { KObject } from '../../client/api.js';
import type { Context, Controller } from '../context.js';
import { signCSR, type Usage } from '../../pki.js';
import {
  APISERVER_CLIENT,
  KUBELET_CLIENT,
  KUBELET_SERVING,
  apiserverClientProblem,
  hasCondition,
  kubeletClientProblem,
  kubeletServingProblem,
  requestOf,
  requestPem,
} from '../csr-rules.js';

const PATH = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const RULES: Record<string, typeof kubeletClientProblem> = {
  [KUBELET_CLIENT]: kubeletClientProblem,
  [KUBELET_SERVING]: kubeletServingProblem,
  [APISERVER_CLIENT]: apiserverClientProblem,
};

/** The lifetime of a signed cert in seconds: expirationSeconds (min 600) capped by the signing duration. */
export function lifetimeSeconds(csr: KObject, signingDurationMs: number): number {
  const max = Math.floor(signingDurationMs / 1000);
  const asked = csr.spec?.expirationSeconds;
  if (typeof asked !== 'number') return max;
  return Math.min(Math.max(asked, 600), max);
}

/** Make the csrsigning controller (does nothing without a signing CA, like the real one without files). */
export function csrSigning(ctx: Context): Controller {
  const log = ctx.log.child('csrsigning');
  return {
    name: 'certificatesigningrequest-signing-controller',
    watches: ['certificatesigningrequests'],
    periodMs: ctx.opts.syncPeriodMs,
    async sync() {
      if (!ctx.signingCA) return;
      const caNotAfter = new Date(new X509Certificate(ctx.signingCA.certPem).validTo);
      for (const csr of await ctx.api.list('certificatesigningrequests', PATH)) {
        const rule = RULES[csr.spec?.signerName];
        if (!rule || csr.status?.certificate) continue;
        if (!hasCondition(csr, 'Approved') || hasCondition(csr, 'Denied') || hasCondition(csr, 'Failed')) continue;
        const name = csr.metadata.name;
        const usages: string[] = csr.spec?.usages ?? [];
        let problem: string | undefined;
        try {
          problem = rule(requestOf(csr), usages);
        } catch (e) {
          problem = `unable to parse csr "${name}": ${(e as Error).message}`;
        }
        let status: any;
        if (problem) {
          const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
          const failed = { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: problem, lastUpdateTime: now, lastTransitionTime: now };
          status = { ...csr.status, conditions: [...(csr.status?.conditions ?? []), failed] };
          log.warn(`csr ${name}: not signing: ${problem}`);
        } else {
          const certUsages: Usage[] = [];
          if (usages.includes('client auth')) certUsages.push('client');
          if (usages.includes('server auth')) certUsages.push('server');
          // the real authority refuses once its CA has expired, and never issues past the CA's NotAfter
          const left = Math.floor((caNotAfter.getTime() - Date.now()) / 1000);
          if (left <= 0) throw new Error(`sign csr ${name}: the signer has expired: NotAfter=${caNotAfter.toISOString()}`);
          const durationSeconds = Math.min(lifetimeSeconds(csr, ctx.opts.clusterSigningDurationMs), left);
          // the key usages are the CSR's own (the real signer's keyUsagesFromStrings): no "key encipherment" for an ECDSA kubelet key
          const keyEncipherment = usages.includes('key encipherment');
          const pem = await signCSR(requestPem(csr), ctx.signingCA, { usages: certUsages, keyEncipherment, durationSeconds });
          status = { ...csr.status, certificate: Buffer.from(pem).toString('base64') };
        }
        await ctx.api.update(`status of csr ${name}`, `${PATH}/${name}/status`, { ...csr, status });
        if (!problem) log.info(`signed csr ${name} (${csr.spec?.signerName}) for ${csr.spec?.username}`);
      }
    },
  };
}
