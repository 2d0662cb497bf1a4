/** The kubelet-serving CSR policy on CSR objects made as kubelets make them (real PKCS#10, ECDSA P-256). */
import test from 'ava';
import { webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import type { V1CertificateSigningRequest, V1Node } from '@kubernetes/client-node';
import { csrPending, decideCsr } from '../../lib/kube/csr-policy.js';
import { KUBELET_SERVING } from '../../lib/kube/signers.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const KNOWN = [
  { name: 'w1', address: '10.88.1.11' },
  { name: 'w2', address: '10.88.1.12' },
];
const NODES: V1Node[] = [{ metadata: { name: 'w1' }, status: { addresses: [{ type: 'InternalIP', address: '10.88.1.11' }, { type: 'Hostname', address: 'w1' }, { type: 'InternalIP', address: 'fd00::11' }] } }];

async function csr(name: string, o: { user?: string; cn?: string; org?: string; dns?: string[]; ips?: string[]; signer?: string; usages?: string[] }): Promise<V1CertificateSigningRequest> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const names = [...(o.dns ?? []).map((v) => ({ type: 'dns' as const, value: v })), ...(o.ips ?? []).map((v) => ({ type: 'ip' as const, value: v }))];
  const req = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `O=${o.org ?? 'system:nodes'}, CN=${o.cn ?? o.user}`,
    keys: keys as CryptoKeyPair,
    signingAlgorithm: alg,
    extensions: names.length ? [new x509.SubjectAlternativeNameExtension(names)] : [],
  });
  return {
    metadata: { name },
    spec: {
      request: Buffer.from(req.toString('pem')).toString('base64'),
      signerName: o.signer ?? KUBELET_SERVING,
      username: o.user,
      groups: ['system:nodes', 'system:authenticated'],
      usages: o.usages ?? ['digital signature', 'server auth'],
    },
  };
}

test('the legitimate serving CSRs are approved (inventory name and address, reported addresses)', async (t) => {
  const a = await csr('csr-a', { user: 'system:node:w1', dns: ['w1'], ips: ['10.88.1.11', 'fd00::11'] });
  const b = await csr('csr-b', { user: 'system:node:w2', dns: ['w2'], ips: ['10.88.1.12'] });
  t.deepEqual(decideCsr(a, KNOWN, NODES), { approve: true, name: 'csr-a', node: 'w1' });
  t.deepEqual(decideCsr(b, KNOWN, NODES), { approve: true, name: 'csr-b', node: 'w2' });
  t.true(csrPending(a));
});

test('refused: a node not in the inventory, extra SANs, another signer, CN not the requester, a non-node requester', async (t) => {
  const cases: Array<[Promise<V1CertificateSigningRequest>, RegExp]> = [
    [csr('unknown', { user: 'system:node:w9', dns: ['w9'], ips: ['10.88.1.19'] }), /system:node:w9 is not a node of the inventory/],
    [csr('extra-ip', { user: 'system:node:w1', dns: ['w1'], ips: ['10.88.1.11', '10.88.1.12'] }), /SANs not of node w1: ip:10\.88\.1\.12/],
    [csr('extra-dns', { user: 'system:node:w1', dns: ['w1', 'kubernetes.default'], ips: ['10.88.1.11'] }), /SANs not of node w1: dns:kubernetes\.default/],
    [csr('signer', { user: 'system:node:w1', dns: ['w1'], ips: ['10.88.1.11'], signer: 'kubernetes.io/kube-apiserver-client-kubelet' }), /signer kubernetes\.io\/kube-apiserver-client-kubelet/],
    [csr('cn', { user: 'system:node:w1', cn: 'system:node:w2', dns: ['w1'] }), /CN system:node:w2 is not system:node:w1/],
    [csr('user', { user: 'alice', cn: 'system:node:w1', dns: ['w1'] }), /requester alice is not a node/],
    [csr('client', { user: 'system:node:w1', dns: ['w1'], usages: ['digital signature', 'client auth'] }), /usages/],
    [csr('nosan', { user: 'system:node:w1' }), /no subject alternative names/],
  ];
  for (const [p, why] of cases) {
    const d = decideCsr(await p, KNOWN, NODES);
    t.false(d.approve, d.name);
    if (!d.approve) t.regex(d.reason, why, d.name);
  }
});

test('an approved or denied CSR is not pending', async (t) => {
  const a = await csr('done', { user: 'system:node:w1', dns: ['w1'] });
  a.status = { conditions: [{ type: 'Approved', status: 'True' }] };
  t.false(csrPending(a));
});
