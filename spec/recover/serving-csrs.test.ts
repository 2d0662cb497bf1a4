/** recover step 14's wait: which re-bootstrapped nodes still lack an approved serving CSR from this repair. */
import test from 'ava';
import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import { servingBootstrapOn, withoutServingCert } from '../../playbooks/recover/14-serving-csrs.js';

const csr = (node: string, created: string, approved: boolean, signer = 'kubernetes.io/kubelet-serving'): V1CertificateSigningRequest => ({
  metadata: { name: `csr-${node}-${created}`, creationTimestamp: new Date(created) },
  spec: { signerName: signer, username: `system:node:${node}`, request: '' },
  status: approved ? { conditions: [{ type: 'Approved', status: 'True' }] } : {},
});

test('serverTLSBootstrap is read from the KubeletConfiguration text', (t) => {
  t.true(servingBootstrapOn('apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nserverTLSBootstrap: true\n'));
  t.false(servingBootstrapOn('kind: KubeletConfiguration\nserverTLSBootstrap: false\n'));
  t.false(servingBootstrapOn('kind: KubeletConfiguration\n'));
  t.false(servingBootstrapOn(undefined));
});

test('a node counts only with an APPROVED kubelet-serving CSR made since the repair began', (t) => {
  const since = new Date('2026-11-29T10:00:00Z');
  const csrs = [
    csr('w1', '2026-11-29T10:05:00Z', true), // good
    csr('w2', '2026-11-29T09:00:00Z', true), // before the repair: its cert is signed by the old CA
    csr('w3', '2026-11-29T10:05:00Z', false), // still pending
    csr('m2', '2026-11-29T10:05:00Z', true, 'kubernetes.io/kube-apiserver-client-kubelet'), // another signer
  ];
  t.deepEqual(withoutServingCert(csrs, ['w1', 'w2', 'w3', 'm2'], since), ['w2', 'w3', 'm2']);
  t.deepEqual(withoutServingCert(csrs, ['w1'], since), []);
});
