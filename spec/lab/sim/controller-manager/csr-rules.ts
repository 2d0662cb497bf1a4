/**
 * Rules about CertificateSigningRequests shared by the approver and the signer: reading the
 * request, its conditions, and the real validation of kubelet client and serving CSRs
 * (k8s.io/api/certificates/v1 ValidateKubeletClientCSR / ValidateKubeletServingCSR).
 */
import { type CSRInfo, parseCSR } from '../pki.js';
import type { KObject } from '../client/api.js';

/** The signers the controller-manager's csrsigning controller signs for. */
export const KUBELET_CLIENT = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KUBELET_SERVING = 'kubernetes.io/kubelet-serving';
export const APISERVER_CLIENT = 'kubernetes.io/kube-apiserver-client';

/** The x509 request inside a CSR object, parsed. */
export function requestOf(csr: KObject): CSRInfo {
  const pem = Buffer.from(csr.spec?.request ?? '', 'base64').toString('utf8');
  return parseCSR(pem);
}

/** The PEM request text of a CSR object. */
export function requestPem(csr: KObject): string {
  return Buffer.from(csr.spec?.request ?? '', 'base64').toString('utf8');
}

/** Whether a CSR carries a condition of this type with status True. */
export function hasCondition(csr: KObject, type: string): boolean {
  return (csr.status?.conditions ?? []).some((c: any) => c.type === type && c.status !== 'False');
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const s = new Set(a);
  return s.size === new Set(b).size && b.every((x) => s.has(x));
}

function nodeSubject(x: CSRInfo): string | undefined {
  if (x.orgs.length !== 1 || x.orgs[0] !== 'system:nodes') return 'subject organization is not system:nodes';
  if (!x.cn.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  return undefined;
}

/** Why a kubelet client CSR is invalid, or undefined when it is valid. */
export function kubeletClientProblem(x: CSRInfo, usages: readonly string[]): string | undefined {
  const bad = nodeSubject(x);
  if (bad) return bad;
  if (x.dnsNames.length) return 'dnsNames are not allowed';
  if (x.ips.length) return 'ipAddresses are not allowed';
  if (!sameSet(usages, ['digital signature', 'key encipherment', 'client auth']) && !sameSet(usages, ['digital signature', 'client auth'])) {
    return `usages did not match [digital signature key encipherment client auth]`;
  }
  return undefined;
}

/** Why a kubelet serving CSR is invalid, or undefined when it is valid. */
export function kubeletServingProblem(x: CSRInfo, usages: readonly string[]): string | undefined {
  const bad = nodeSubject(x);
  if (bad) return bad;
  if (!x.dnsNames.length && !x.ips.length) return 'DNS or IP subjectAltName is required';
  if (!sameSet(usages, ['digital signature', 'key encipherment', 'server auth']) && !sameSet(usages, ['digital signature', 'server auth'])) {
    return `usages did not match [digital signature key encipherment server auth]`;
  }
  return undefined;
}

/** Why a kube-apiserver-client CSR is invalid, or undefined when it is valid. */
export function apiserverClientProblem(_x: CSRInfo, usages: readonly string[]): string | undefined {
  const allowed = new Set(['digital signature', 'key encipherment', 'client auth']);
  const bad = usages.filter((u) => !allowed.has(u));
  if (bad.length) return `invalid usages for kubernetes.io/kube-apiserver-client: ${bad.join(', ')}`;
  if (!usages.includes('client auth')) return 'missing required usage client auth';
  return undefined;
}
