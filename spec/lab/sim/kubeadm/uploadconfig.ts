/** The `upload-config` phase: ConfigMaps `kube-system/kubeadm-config` and `kube-system/kubelet-config`. */
import YAML from 'yaml';
import type { Api } from './api.js';
import type { ClusterConfiguration, Config } from './config.js';
import { kubeletConfiguration } from './kubelet.js';
import { say } from './out.js';

/** The ClusterConfiguration text kubeadm stores (v1beta4, empty extraArgs dropped). */
export function clusterConfigurationYAML(c: ClusterConfiguration): string {
  return YAML.stringify(c);
}

/** Read the ClusterConfiguration from the kubeadm-config ConfigMap (undefined when absent). */
export async function fetchClusterConfiguration(api: Api): Promise<any | undefined> {
  const cm = await api.get('/api/v1/namespaces/kube-system/configmaps/kubeadm-config');
  const text = cm?.data?.ClusterConfiguration;
  return text ? YAML.parse(text) : undefined;
}

/** Run `upload-config kubeadm`. */
export async function uploadKubeadmConfig(api: Api, c: Config): Promise<void> {
  say(`[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace`);
  await api
    .createOrUpdate('/api/v1/namespaces/kube-system/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kubeadm-config', namespace: 'kube-system' },
      data: { ClusterConfiguration: clusterConfigurationYAML(c.cluster) },
    })
    .catch((e) => {
      throw new Error(`error uploading the kubeadm ClusterConfiguration: ${e.message}`);
    });
  await api.createIfMissing('/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/roles', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'kubeadm:nodes-kubeadm-config', namespace: 'kube-system' },
    rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['kubeadm-config'], verbs: ['get'] }],
  });
  await api.createIfMissing('/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'kubeadm:nodes-kubeadm-config', namespace: 'kube-system' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kubeadm:nodes-kubeadm-config' },
    subjects: [
      { kind: 'Group', name: 'system:bootstrappers:kubeadm:default-node-token' },
      { kind: 'Group', name: 'system:nodes' },
    ],
  });
}

/** Run `upload-config kubelet`. */
export async function uploadKubeletConfig(api: Api, c: Config): Promise<void> {
  say(`[kubelet] Creating a ConfigMap "kubelet-config" in namespace kube-system with the configuration for the kubelets in the cluster`);
  await api
    .createOrUpdate('/api/v1/namespaces/kube-system/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kubelet-config', namespace: 'kube-system' },
      data: { kubelet: YAML.stringify(kubeletConfiguration(c)) },
    })
    .catch((e) => {
      throw new Error(`error creating kubelet configuration ConfigMap: ${e.message}`);
    });
}
