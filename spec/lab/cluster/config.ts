/** The kubeadm configuration the lab cluster is made with (and that a repair must reuse). */
import type { Host } from './labdir.js';

/** Pod and service CIDRs of every lab cluster. */
export const POD_SUBNET = '10.244.0.0/16';
export const SERVICE_SUBNET = '10.96.0.0/12';

/**
 * The ClusterConfiguration document (kubeadm v1beta4) of a lab cluster whose first master is `first`,
 * its endpoint `endpoint` (host:port; default first's address), its keys of `encryptionAlgorithm`
 * (kubeadm v1.31+; none written: kubeadm's default, RSA-2048).
 */
export function clusterConfiguration(first: Host, endpoint = `${first.address}:6443`, encryptionAlgorithm?: string): string {
  return `apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
clusterName: kubernetes
${encryptionAlgorithm ? `encryptionAlgorithm: ${encryptionAlgorithm}\n` : ''}kubernetesVersion: v1.32.4
controlPlaneEndpoint: ${endpoint}
apiServer:
  certSANs:
  - ${first.address}
  - kubernetes.lab.test
networking:
  dnsDomain: cluster.local
  podSubnet: ${POD_SUBNET}
  serviceSubnet: ${SERVICE_SUBNET}
`;
}

/** The full `kubeadm init --config` file: InitConfiguration, ClusterConfiguration, KubeletConfiguration. */
export function initConfig(first: Host, servingCerts: boolean, endpoint?: string, encryptionAlgorithm?: string): string {
  return `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: ${first.address}
  bindPort: 6443
nodeRegistration:
  name: ${first.name}
---
${clusterConfiguration(first, endpoint, encryptionAlgorithm)}---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
serverTLSBootstrap: ${servingCerts}
`;
}
