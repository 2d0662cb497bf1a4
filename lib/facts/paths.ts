/** Where kubeadm keeps the files kubemend reads and rebuilds on a host. */

/** The kubeadm folder (wiped in a pki-wipe). */
export const K8S = '/etc/kubernetes';
/** The PKI folder. */
export const PKI = '/etc/kubernetes/pki';
/** The kubelet's certificates. */
export const KUBELET_PKI = '/var/lib/kubelet/pki';
/** The cluster CA certificate. */
export const CA_CRT = `${PKI}/ca.crt`;
/** The admin kubeconfig kubeadm writes on masters. */
export const ADMIN_CONF = `${K8S}/admin.conf`;
/** Where kubemend puts the kubeadm --config file on masters (outside /etc/kubernetes, which is rebuilt). */
export const KUBEADM_CONFIG = '/var/lib/kubemend/kubeadm.yaml';
/**
 * The control-plane containers, the only ones kubemend ever stops. crictl matches `--name` as an
 * unanchored regular expression over every container's name in every namespace (cri-tools
 * cmd/crictl/container.go), so `etcd` alone would match a workload's `etcd-backup`: always asked
 * anchored, with KUBE_SYSTEM_LABEL (lib/facts/containers.ts kubeSystemContainersArgv).
 */
export const CONTROL_PLANE_CONTAINERS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
/** The label kubelet puts on every container with its pod's namespace; `crictl --label` filters on it. */
export const KUBE_SYSTEM_LABEL = 'io.kubernetes.pod.namespace=kube-system';
/** The static pod manifests kubeadm writes (`kubeadm init phase control-plane all`, `etcd local`): the only ones kubemend moves aside. */
export const KUBEADM_MANIFESTS = ['etcd.yaml', 'kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml'] as const;
/** The files a master must hold to count as having its PKI (CA, front-proxy CA, sa keys, etcd CA). */
export const MASTER_CA_FILES = ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'sa.key', 'sa.pub', 'etcd/ca.crt', 'etcd/ca.key'] as const;
/**
 * The same where etcd is kubespray's service (its CA in /etc/ssl/etcd/ssl): no etcd/ca.*, which
 * kubeadm never makes with etcd.external (cmd/kubeadm/app/cmd/phases/init/certs.go runCAPhase:
 * "External etcd mode: Skipping etcd/ca certificate authority generation").
 */
export const KUBESPRAY_MASTER_CA_FILES: readonly string[] = MASTER_CA_FILES.filter((f) => !f.startsWith('etcd/'));
/** Certificates (signed by the cluster CA) checked on masters. */
export const MASTER_LEAF_CERTS = [`${PKI}/apiserver.crt`, `${PKI}/apiserver-kubelet-client.crt`] as const;
/** Kubeconfigs whose client certificate must chain to the cluster CA on masters. */
export const MASTER_KUBECONFIGS = ['admin.conf', 'controller-manager.conf', 'scheduler.conf', 'kubelet.conf'].map((f) => `${K8S}/${f}`);
/** The kubelet's client certificate (every node). */
export const KUBELET_CLIENT = `${KUBELET_PKI}/kubelet-client-current.pem`;
