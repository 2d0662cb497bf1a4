/**
 * Which kubelet-serving CSRs kubemend approves (recover step 14): signer
 * `kubernetes.io/kubelet-serving`, requester `system:node:NAME` for an inventory node, CN the
 * same, and SANs only among what the INVENTORY gives that node (its name, its address, its
 * servingSANs), never what the node reports about itself (a compromised node sets its own
 * status.addresses). Wildcards, the apiserver's service names, loopback names, the control-plane
 * endpoint and other hosts' names and addresses are refused whatever a list says
 * (lib/inventory/serving-sans.ts). Anything else is refused with the reason.
 */
import 'reflect-metadata';
import { Pkcs10CertificateRequest, SubjectAlternativeNameExtension } from '@peculiar/x509';
import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import { type SanInventory, allowedSans, canonicalSan, forbiddenSan } from '../inventory/serving-sans.js';
import { KUBELET_SERVING } from './signers.js';

/** What the policy decides from: the inventory's hosts (name, address, servingSANs) and its control-plane endpoint. */
export type ServingPolicy = SanInventory;

/** The policy of an inventory. */
export function servingPolicy(inv: SanInventory): ServingPolicy {
  return {
    controlPlaneEndpoint: inv.controlPlaneEndpoint,
    hosts: inv.hosts.map((h) => ({ name: h.name, address: h.address, ...(h.servingSANs ? { servingSANs: h.servingSANs } : {}) })),
  };
}

/** The decision on one CSR. */
export type CsrDecision = { approve: true; name: string; node: string } | { approve: false; name: string; reason: string };

/** True when the CSR is still pending (neither approved, denied nor failed). */
export function csrPending(csr: V1CertificateSigningRequest): boolean {
  return !(csr.status?.conditions ?? []).some((c) => ['Approved', 'Denied', 'Failed'].includes(c.type));
}

/** Decide on one CSR against the inventory's policy. */
export function decideCsr(csr: V1CertificateSigningRequest, policy: ServingPolicy): CsrDecision {
  const name = csr.metadata?.name ?? '(unnamed)';
  const refuse = (reason: string): CsrDecision => ({ approve: false, name, reason });
  if (csr.spec.signerName !== KUBELET_SERVING) return refuse(`signer ${csr.spec.signerName} is not ${KUBELET_SERVING}`);
  const user = csr.spec.username ?? '';
  const m = /^system:node:(.+)$/.exec(user);
  if (!m) return refuse(`requester ${user || '(none)'} is not a node`);
  const nodeName = m[1];
  const node = policy.hosts.find((k) => k.name === nodeName);
  if (!node) return refuse(`requester ${user} is not a node of the inventory`);
  if (!(csr.spec.groups ?? []).includes('system:nodes')) return refuse(`requester ${user} is not in group system:nodes`);
  let req: Pkcs10CertificateRequest;
  try {
    req = new Pkcs10CertificateRequest(Buffer.from(csr.spec.request, 'base64').toString('utf8'));
  } catch (err) {
    return refuse(`request does not parse: ${err instanceof Error ? err.message : String(err)}`);
  }
  const cn = req.subjectName.getField('CN');
  if (cn.length !== 1 || cn[0] !== user) return refuse(`CN ${cn.join(',') || '(none)'} is not ${user}`);
  const org = req.subjectName.getField('O');
  if (org.length !== 1 || org[0] !== 'system:nodes') return refuse(`O ${org.join(',') || '(none)'} is not system:nodes`);
  const raw = req.extensions.find((e) => e.type === '2.5.29.17');
  const sanExt = raw ? (raw instanceof SubjectAlternativeNameExtension ? raw : new SubjectAlternativeNameExtension(raw.rawData)) : undefined;
  const sans = (sanExt?.names.items ?? []).map((n) => ({ type: String(n.type), value: canonicalSan(String(n.value)) }));
  if (sans.length === 0) return refuse('no subject alternative names');
  const ok = allowedSans(node);
  const bad = sans.flatMap((s) => {
    if (s.type !== 'dns' && s.type !== 'ip') return [`${s.type}:${s.value} is not a DNS name or IP address`];
    const why =
      forbiddenSan(s.value, nodeName, policy) ??
      (ok.has(s.value) ? undefined : `is not in the inventory for node ${nodeName} (list it under the host's servingSANs if it is the node's own)`);
    return why ? [`${s.type}:${s.value} ${why}`] : [];
  });
  if (bad.length) return refuse(`SANs refused for node ${nodeName}: ${bad.join('; ')}`);
  const usages = csr.spec.usages ?? [];
  const extra = usages.filter((u) => !['digital signature', 'key encipherment', 'server auth'].includes(u));
  if (!usages.includes('server auth') || extra.length) return refuse(`usages ${usages.join(', ')} are not a serving certificate's`);
  return { approve: true, name, node: nodeName };
}
