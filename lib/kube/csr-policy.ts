/**
 * Which kubelet-serving CSRs kubemend approves (recover step 14): signer
 * `kubernetes.io/kubelet-serving`, requester `system:node:NAME` for an inventory node, CN the
 * same, and SANs exactly within that node's names and addresses (inventory name and address, the
 * Node's reported addresses). Anything else is refused with the reason.
 */
import 'reflect-metadata';
import { Pkcs10CertificateRequest, SubjectAlternativeNameExtension } from '@peculiar/x509';
import type { V1CertificateSigningRequest, V1Node } from '@kubernetes/client-node';
import { KUBELET_SERVING } from './signers.js';

/** One node kubemend knows: its inventory name and address. */
export interface KnownNode {
  name: string;
  address: string;
}

/** The decision on one CSR. */
export type CsrDecision = { approve: true; name: string; node: string } | { approve: false; name: string; reason: string };

/** True when the CSR is still pending (neither approved, denied nor failed). */
export function csrPending(csr: V1CertificateSigningRequest): boolean {
  return !(csr.status?.conditions ?? []).some((c) => ['Approved', 'Denied', 'Failed'].includes(c.type));
}

/** The names and addresses a node may have in its serving cert. */
export function allowedSans(node: KnownNode, apiNode?: V1Node): Set<string> {
  const out = new Set([node.name.toLowerCase(), node.address.toLowerCase()]);
  for (const a of apiNode?.status?.addresses ?? []) out.add(a.address.toLowerCase());
  return out;
}

/** Decide on one CSR against the inventory nodes (and their Node objects, for reported addresses). */
export function decideCsr(csr: V1CertificateSigningRequest, known: readonly KnownNode[], apiNodes: readonly V1Node[] = []): CsrDecision {
  const name = csr.metadata?.name ?? '(unnamed)';
  const refuse = (reason: string): CsrDecision => ({ approve: false, name, reason });
  if (csr.spec.signerName !== KUBELET_SERVING) return refuse(`signer ${csr.spec.signerName} is not ${KUBELET_SERVING}`);
  const user = csr.spec.username ?? '';
  const m = /^system:node:(.+)$/.exec(user);
  if (!m) return refuse(`requester ${user || '(none)'} is not a node`);
  const nodeName = m[1];
  const node = known.find((k) => k.name === nodeName);
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
  const sans = (sanExt?.names.items ?? []).map((n) => ({ type: String(n.type), value: String(n.value).toLowerCase() }));
  if (sans.length === 0) return refuse('no subject alternative names');
  const ok = allowedSans(node, apiNodes.find((n) => n.metadata?.name === nodeName));
  const bad = sans.filter((s) => !(s.type === 'dns' || s.type === 'ip') || !ok.has(s.value));
  if (bad.length) return refuse(`SANs not of node ${nodeName}: ${bad.map((s) => `${s.type}:${s.value}`).join(', ')}`);
  const usages = csr.spec.usages ?? [];
  const extra = usages.filter((u) => !['digital signature', 'key encipherment', 'server auth'].includes(u));
  if (!usages.includes('server auth') || extra.length) return refuse(`usages ${usages.join(', ')} are not a serving certificate's`);
  return { approve: true, name, node: nodeName };
}
