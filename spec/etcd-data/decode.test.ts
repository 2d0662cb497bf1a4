/**
 * Decoding the ConfigMaps as the apiserver stores them: JSON, the `k8s\0` protobuf envelope, and
 * an encrypted value refused with the provider named (never guessed); v1beta3 and v1beta4.
 */
import test from 'ava';
import { EncryptedValueError, decodeConfigMap, valueKind } from '../../lib/etcd-data/decode.js';
import { KUBEADM_CONFIG_KEY, KUBELET_CONFIG_KEY, configFromValues } from '../../lib/etcd-data/configmaps.js';
import { clusterDocs } from '../../playbooks/recover/config.js';
import { KUBELET_CONFIGURATION, clusterConfigurationText, jsonConfigMap, protoConfigMap } from './proto-fixture.js';

const v = (b: Buffer, modRevision = 7) => ({ value: b, modRevision });

test('JSON and protobuf values decode to the same ConfigMap', (t) => {
  const data = { ClusterConfiguration: clusterConfigurationText('v1beta4') };
  const j = decodeConfigMap(KUBEADM_CONFIG_KEY, jsonConfigMap('kube-system', 'kubeadm-config', data));
  const p = decodeConfigMap(KUBEADM_CONFIG_KEY, protoConfigMap('kube-system', 'kubeadm-config', data));
  t.is(j.encoding, 'json');
  t.is(p.encoding, 'protobuf');
  t.deepEqual({ ...j, encoding: '' }, { ...p, encoding: '' });
  t.deepEqual(p, { name: 'kubeadm-config', namespace: 'kube-system', data, encoding: 'protobuf' });
});

test('an encrypted value is refused, naming the provider and key, never decoded', (t) => {
  const enc = Buffer.concat([Buffer.from('k8s:enc:aescbc:v1:key1:'), Buffer.from([0x9f, 0x00, 0x12, 0xff, 0x33])]);
  t.is(valueKind(enc), 'encrypted');
  const e = t.throws(() => decodeConfigMap(KUBEADM_CONFIG_KEY, enc), { instanceOf: EncryptedValueError });
  t.regex(e!.message, /kube-system\/kubeadm-config is encrypted at rest \(provider aescbc:v1, key "key1"\)/);
  t.regex(e!.message, /does not guess keys/);
  t.regex(e!.message, /kubeadmConfig:/);
  const kms = Buffer.from('k8s:enc:kms:v2:vault-kms:\x0a\x05junk');
  t.regex(t.throws(() => configFromValues(v(kms)))!.message, /provider kms:v2, key "vault-kms"/);
});

test('a value that is neither, another object, or another ConfigMap is refused with the key named', (t) => {
  t.regex(t.throws(() => decodeConfigMap(KUBEADM_CONFIG_KEY, Buffer.from('\x01\x02garbage')))!.message, /kubeadm-config: the stored value is neither JSON, protobuf/);
  t.regex(t.throws(() => decodeConfigMap(KUBEADM_CONFIG_KEY, protoConfigMap('kube-system', 'kubeadm-config', {}, 'v1', 'Secret')))!.message, /v1\/Secret, not v1\/ConfigMap/);
  t.regex(t.throws(() => configFromValues(v(jsonConfigMap('default', 'kubeadm-config', { ClusterConfiguration: clusterConfigurationText('v1beta4') }))))!.message, /holds default\/kubeadm-config, not kube-system\/kubeadm-config/);
  t.regex(t.throws(() => configFromValues(v(jsonConfigMap('kube-system', 'kubeadm-config', { other: 'x' }))))!.message, /has no ClusterConfiguration key \(keys: other\)/);
  t.regex(t.throws(() => configFromValues(v(jsonConfigMap('kube-system', 'kubeadm-config', { ClusterConfiguration: 'kind: InitConfiguration\n' }))))!.message, /not kind ClusterConfiguration/);
});

for (const ver of ['v1beta3', 'v1beta4'] as const) {
  test(`${ver}: the ConfigMaps make a --config kubemend accepts, with the kubelet's configuration`, (t) => {
    const cfg = configFromValues(
      v(protoConfigMap('kube-system', 'kubeadm-config', { ClusterConfiguration: clusterConfigurationText(ver) }), 11),
      v(jsonConfigMap('kube-system', 'kubelet-config', { kubelet: KUBELET_CONFIGURATION }), 12),
    );
    t.deepEqual(cfg.revisions, { kubeadmConfig: 11, kubeletConfig: 12 });
    const docs = clusterDocs(cfg.text, 'etcd data');
    t.is(docs.apiVersion, `kubeadm.k8s.io/${ver}`);
    t.regex(docs.yaml, /kind: KubeletConfiguration/);
    t.regex(docs.yaml, /serverTLSBootstrap: true/);
    t.regex(docs.yaml, ver === 'v1beta3' ? /authorization-mode: Node,RBAC/ : /- name: authorization-mode\n\s+value: Node,RBAC/);
    t.true(KUBELET_CONFIG_KEY.endsWith('kube-system/kubelet-config'));
  });
}
