/**
 * The kubelet-serving CSR policy on CSR objects made as kubelets make them (real PKCS#10, ECDSA
 * P-256): a node gets a serving certificate only for the names and addresses the INVENTORY gives
 * it (its name, its address, the servingSANs an operator listed), never for what the node says
 * about itself, another host's, the control-plane endpoint's, the apiserver's service names, a
 * wildcard or a loopback name. Every refusal says why.
 */
import test from 'ava';
import { webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import { csrPending, decideCsr, servingPolicy } from '../../lib/kube/csr-policy.js';
import { KUBELET_SERVING } from '../../lib/kube/signers.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const INV = {
  controlPlaneEndpoint: '10.88.1.100:6443',
  hosts: [
    { name: 'm1', address: '10.88.1.1' },
    { name: 'w1', address: '10.88.1.11', servingSANs: ['fd00::11', 'w1.example.com', '192.168.7.11'] },
    { name: 'w2', address: '10.88.1.12' },
    { name: 'w3', address: 'w3.example.com' },
  ],
};
const POLICY = servingPolicy(INV);

async function csr(
  name: string,
  o: { user?: string; cn?: string; org?: string; dns?: string[]; ips?: string[]; signer?: string; usages?: string[] },
): Promise<V1CertificateSigningRequest> {
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

test('approved: the inventory name and address, and the servingSANs listed for that host (an IPv6 address in any spelling)', async (t) => {
  const a = await csr('csr-a', { user: 'system:node:w1', dns: ['w1', 'W1.example.com'], ips: ['10.88.1.11', 'fd00:0:0:0:0:0:0:11', '192.168.7.11'] });
  const b = await csr('csr-b', { user: 'system:node:w2', dns: ['w2'], ips: ['10.88.1.12'] });
  const c = await csr('csr-c', { user: 'system:node:w3', dns: ['w3', 'w3.example.com'] });
  t.deepEqual(decideCsr(a, POLICY), { approve: true, name: 'csr-a', node: 'w1' });
  t.deepEqual(decideCsr(b, POLICY), { approve: true, name: 'csr-b', node: 'w2' });
  t.deepEqual(decideCsr(c, POLICY), { approve: true, name: 'csr-c', node: 'w3' });
  t.true(csrPending(a));
});

test('the master that IS the control-plane endpoint (no load balancer) gets its own address', async (t) => {
  const p = servingPolicy({ ...INV, controlPlaneEndpoint: '10.88.1.1:6443' });
  t.true(decideCsr(await csr('m1', { user: 'system:node:m1', dns: ['m1'], ips: ['10.88.1.1'] }), p).approve);
  const d = decideCsr(await csr('w2-ep', { user: 'system:node:w2', dns: ['w2'], ips: ['10.88.1.12', '10.88.1.1'] }), p);
  t.false(d.approve);
  if (!d.approve) t.regex(d.reason, /ip:10\.88\.1\.1 is the control-plane endpoint/);
});

test('refused, each with its reason: what a compromised node could ask for', async (t) => {
  const w1 = (name: string, dns: string[], ips: string[] = []) => csr(name, { user: 'system:node:w1', dns: ['w1', ...dns], ips: ['10.88.1.11', ...ips] });
  const cases: Array<[Promise<V1CertificateSigningRequest>, RegExp]> = [
    // an address the node reports in its own status.addresses is no longer enough
    [w1('self-reported', [], ['10.0.0.99']), /ip:10\.0\.0\.99 is not in the inventory for node w1 \(list it under the host's servingSANs/],
    [w1('other-ip', [], ['10.88.1.12']), /ip:10\.88\.1\.12 belongs to host w2/],
    [w1('other-name', ['w2']), /dns:w2 belongs to host w2/],
    [w1('other-dns-address', ['w3.example.com']), /dns:w3\.example\.com belongs to host w3/],
    [w1('endpoint', [], ['10.88.1.100']), /ip:10\.88\.1\.100 is the control-plane endpoint/],
    [w1('kubernetes', ['kubernetes']), /dns:kubernetes is the apiserver's service name/],
    [w1('kubernetes-default', ['kubernetes.default']), /dns:kubernetes\.default is the apiserver's service name/],
    [w1('kubernetes-svc', ['kubernetes.default.svc']), /dns:kubernetes\.default\.svc is the apiserver's service name/],
    [w1('kubernetes-svc-local', ['kubernetes.default.svc.cluster.local']), /dns:kubernetes\.default\.svc\.cluster\.local is the apiserver's service name/],
    [w1('wildcard', ['*.example.com']), /dns:\*\.example\.com is a wildcard/],
    [w1('loopback', ['localhost'], ['127.0.0.1', '::1']), /dns:localhost is a loopback name.*ip:127\.0\.0\.1 is a loopback.*ip:::1 is a loopback/],
    [csr('unknown', { user: 'system:node:w9', dns: ['w9'], ips: ['10.88.1.19'] }), /system:node:w9 is not a node of the inventory/],
    [
      csr('signer', { user: 'system:node:w1', dns: ['w1'], ips: ['10.88.1.11'], signer: 'kubernetes.io/kube-apiserver-client-kubelet' }),
      /signer kubernetes\.io\/kube-apiserver-client-kubelet/,
    ],
    [csr('cn', { user: 'system:node:w1', cn: 'system:node:w2', dns: ['w1'] }), /CN system:node:w2 is not system:node:w1/],
    [csr('user', { user: 'alice', cn: 'system:node:w1', dns: ['w1'] }), /requester alice is not a node/],
    [csr('client', { user: 'system:node:w1', dns: ['w1'], usages: ['digital signature', 'client auth'] }), /usages/],
    [csr('nosan', { user: 'system:node:w1' }), /no subject alternative names/],
  ];
  for (const [p, why] of cases) {
    const d = decideCsr(await p, POLICY);
    t.false(d.approve, d.name);
    if (!d.approve) t.regex(d.reason, why, d.name);
  }
});

test("another host's servingSANs are refused too, and a SAN listed for w1 is not w2's", async (t) => {
  const d = decideCsr(await csr('w2-takes-w1s', { user: 'system:node:w2', dns: ['w2', 'w1.example.com'], ips: ['10.88.1.12', '192.168.7.11'] }), POLICY);
  t.false(d.approve);
  if (!d.approve) t.regex(d.reason, /dns:w1\.example\.com belongs to host w1.*ip:192\.168\.7\.11 belongs to host w1/);
});

test('an approved or denied CSR is not pending', async (t) => {
  const a = await csr('done', { user: 'system:node:w1', dns: ['w1'] });
  a.status = { conditions: [{ type: 'Approved', status: 'True' }] };
  t.false(csrPending(a));
});
