/**
 * The ClusterConfiguration of a kubeadm config text, found among its other documents
 * (lib/kubeadm/cluster-configuration.ts), and what recover reads from it (playbooks/recover/config.ts).
 */
import test from 'ava';
import { findClusterConfiguration } from '../../lib/kubeadm/cluster-configuration.js';
import { configDifferences, endpointOf, etcdDataDir } from '../../playbooks/recover/config.js';

const INIT = 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nlocalAPIEndpoint:\n  advertiseAddress: 10.0.0.1\n';
const KUBELET = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\n';
const cc = (body: string, api = 'v1beta4') => `apiVersion: kubeadm.k8s.io/${api}\nkind: ClusterConfiguration\n${body}`;

test('the ClusterConfiguration is found after other documents; none gives undefined', (t) => {
  const text = [INIT, cc('controlPlaneEndpoint: lb.example:6443\n'), KUBELET].join('---\n');
  t.is(findClusterConfiguration(text)?.controlPlaneEndpoint, 'lb.example:6443');
  t.is(findClusterConfiguration([INIT, KUBELET].join('---\n')), undefined);
});

test("etcd's data folder: etcd.local.dataDir, else kubeadm's /var/lib/etcd", (t) => {
  t.is(etcdDataDir([INIT, cc('etcd:\n  local:\n    dataDir: /data/etcd\n')].join('---\n')), '/data/etcd');
  t.is(etcdDataDir(cc('etcd:\n  local:\n    imageTag: 3.5.16-0\n')), '/var/lib/etcd');
  t.is(etcdDataDir(INIT), '/var/lib/etcd');
});

test('the controlPlaneEndpoint, or undefined when the ClusterConfiguration has none', (t) => {
  t.is(endpointOf([KUBELET, cc('controlPlaneEndpoint: 10.0.0.10:6443\n')].join('---\n')), '10.0.0.10:6443');
  t.is(endpointOf(cc('clusterName: kubernetes\n')), undefined);
});

test('configDifferences compares the ClusterConfigurations only, extraArgs alike in v1beta3 and v1beta4', (t) => {
  const v3 = cc('apiServer:\n  extraArgs:\n    audit-log-maxage: "30"\ncontrolPlaneEndpoint: lb:6443\n', 'v1beta3');
  const v4 = cc('apiServer:\n  extraArgs:\n  - name: audit-log-maxage\n    value: "30"\ncontrolPlaneEndpoint: lb:6443\n');
  t.deepEqual(configDifferences(v3, [INIT, v4].join('---\n')), []);
  const moved = cc('apiServer:\n  extraArgs:\n  - name: audit-log-maxage\n    value: "7"\ncontrolPlaneEndpoint: lb2:6443\n');
  t.deepEqual(configDifferences(v4, [moved, KUBELET].join('---\n')), [
    'apiServer.extraArgs.audit-log-maxage: 30 -> 7',
    'controlPlaneEndpoint: "lb:6443" -> "lb2:6443"',
  ]);
});
