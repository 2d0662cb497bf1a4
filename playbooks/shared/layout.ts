/**
 * The layout recover repairs, chosen by step 0 (facts/shape) from the hosts' files: kubeadm's own
 * (stacked etcd static pods, certificatesDir /etc/kubernetes/pki) or kubespray's default
 * (kubernetes-sigs/kubespray at commit 46dbdd39, roles/kubespray_defaults/defaults/main/main.yml:
 * etcd_deployment_type `host`, a systemd service with its own CA in etcd_cert_dir
 * `/etc/ssl/etcd/ssl`, kube_cert_dir `/etc/kubernetes/ssl` with `/etc/kubernetes/pki` a link to it,
 * kubespray's kubelet unit reading `/etc/kubernetes/kubelet.env`, the workers' nginx-proxy on
 * localhost:6443). What differs per step is read here, so each phase asks one question.
 */
import type { HostContext, PhaseContext } from '../../lib/core/types.js';
import { sharedKey } from '../../lib/core/shared.js';
import type { Host, Role } from '../../lib/inventory/types.js';
import { inventoryEtcdMembers, isEtcdMember } from '../../lib/core/hosts.js';
import { CA_CRT, KUBESPRAY_MASTER_CA_FILES, MASTER_CA_FILES } from '../../lib/facts/paths.js';
import { ETCD_HEALTH_ARGV, type EtcdHealth, etcdctlRead, readEtcdHealth } from '../../lib/facts/etcd.js';
import { ETCD_ENV, KUBESPRAY_HEALTH_ARGV, KUBESPRAY_STATUS_ARGV, kubesprayEtcdHealth } from '../../lib/etcd-data/kubespray.js';

/** The two layouts recover repairs. */
export type RecoverLayout = 'kubeadm' | 'kubespray';

/** Where step 0 keeps the layout for the other phases. */
export const LAYOUT_KEY = sharedKey<RecoverLayout>('recover:layout');

/** kubespray's kube_cert_dir: the ClusterConfiguration's certificatesDir (roles/kubespray_defaults). */
export const KUBE_CERT_DIR = '/etc/kubernetes/ssl';
/** kubespray's etcd_cert_dir: its etcd CA and certificates, never touched by recover. */
export const ETCD_CERT_DIR = '/etc/ssl/etcd/ssl';
/**
 * kubespray's kubelet files, read by its unit (roles/kubernetes/node/templates/kubelet.service.j2
 * `EnvironmentFile=-/etc/kubernetes/kubelet.env`, which passes `--config=/etc/kubernetes/kubelet-config.yaml`
 * and `--kubeconfig=/etc/kubernetes/kubelet.conf`: kubelet.env.v1beta1.j2). A wiped /etc/kubernetes
 * takes both: the kubelet then runs with no config and no static pod path.
 */
export const KUBESPRAY_KUBELET_ENV = '/etc/kubernetes/kubelet.env';
export const KUBESPRAY_KUBELET_CONFIG = '/etc/kubernetes/kubelet-config.yaml';
/**
 * Where a kubespray node keeps the cluster CA: kubespray's JoinConfiguration sets
 * `caCertPath: {{ kube_cert_dir }}/ca.crt` (roles/kubernetes/kubeadm/templates/kubeadm-client.conf.j2)
 * and its kubelet-config.yaml names the same file as `authentication.x509.clientCAFile`.
 */
export const KUBESPRAY_CA = `${KUBE_CERT_DIR}/ca.crt`;
/** The local API proxies kubespray runs as static pods on the nodes that are not control planes (loadbalancer_apiserver_localhost). */
export const LOCAL_PROXY_MANIFESTS = ['/etc/kubernetes/manifests/nginx-proxy.yml', '/etc/kubernetes/manifests/haproxy.yml'] as const;

/** The layout step 0 chose (kubeadm's when it has not said otherwise). */
export function layoutOf(ctx: PhaseContext): RecoverLayout {
  return ctx.shared.get(LAYOUT_KEY) ?? 'kubeadm';
}

/** True on a kubespray-built cluster (etcd is kubespray's service: recover makes no etcd CA, no etcd certificate, no etcd pod). */
export const isKubespray = (ctx: PhaseContext): boolean => layoutOf(ctx) === 'kubespray';

/** The CA files a master must hold to count as having its PKI: kubeadm's, less `etcd/ca.*` on kubespray's layout (lib/facts/paths.ts). */
export function masterCaFiles(layout: RecoverLayout): readonly string[] {
  return layout === 'kubespray' ? KUBESPRAY_MASTER_CA_FILES : MASTER_CA_FILES;
}

/** The cluster CA file a host of `role` holds: /etc/kubernetes/pki/ca.crt, on a kubespray worker kube_cert_dir's (it has no pki link). */
export function caFileOf(layout: RecoverLayout, role: Role): string {
  return layout === 'kubespray' && role !== 'master' ? KUBESPRAY_CA : CA_CRT;
}

/** How recover asks etcd on a layout (read-only, on an etcd member): argvs whose stderr is merged and whose exit is 0, and the words for a log. */
export interface EtcdAsk {
  /** `etcdctl endpoint health --cluster` (parse with parseEtcdHealth). */
  health: string[];
  /** `etcdctl endpoint status --cluster -w json` (parse with join-gate.ts parseEndpointStatus). */
  status: string[];
  /** Where it is asked, for the `what` of a read. */
  where: string;
}

/**
 * kubeadm's layout: the etcd image's etcdctl in the etcd static pod's container (a kubeadm host has
 * no etcdctl of its own: lib/facts/etcd.ts ETCDCTL). kubespray's: there is no etcd container, and
 * kubespray's own etcdctl in /usr/local/bin with the settings /etc/etcd.env gives the host
 * (lib/etcd-data/kubespray.ts) answers the same questions.
 */
export function etcdAsk(layout: RecoverLayout): EtcdAsk {
  return layout === 'kubespray'
    ? { health: KUBESPRAY_HEALTH_ARGV, status: KUBESPRAY_STATUS_ARGV, where: `kubespray's etcdctl with ${ETCD_ENV}` }
    : { health: ETCD_HEALTH_ARGV, status: etcdctlRead('endpoint status --cluster -w json'), where: 'in the etcd container' };
}

/** etcd's health asked now on `h` the layout's way (etcdAsk), for the waits of steps 4b and 8. */
export function etcdHealthReader(layout: RecoverLayout): (h: HostContext) => Promise<EtcdHealth> {
  return layout === 'kubespray' ? kubesprayEtcdHealth : readEtcdHealth;
}

/**
 * The host etcd is asked on for `h` (read-only): `h` itself on kubeadm's layout (its etcd container)
 * and on kubespray's when `h` is an etcd member; otherwise the inventory's first etcd member still in
 * the run. kubespray writes /etc/etcd.env and runs etcd only on its etcd group (roles/etcd/tasks/main.yml:
 * install, configure and refresh_config `when: ('etcd' in group_names)`; a master outside that group
 * only gets ca.pem and its node pair: gen_nodes_certs_script.yml), so a master that is no etcd member
 * cannot ask.
 */
export function etcdAskHost(ctx: PhaseContext, h: Host): Host {
  if (!isKubespray(ctx) || isEtcdMember(ctx, h)) return h;
  const members = inventoryEtcdMembers(ctx);
  return members.find((m) => ctx.hosts.some((x) => x.name === m.name)) ?? members[0] ?? h;
}

/** How many etcd members the waits and the proof expect: the inventory's etcd group (the masters on kubeadm's stacked layout). */
export const etcdMemberCount = (ctx: PhaseContext): number => inventoryEtcdMembers(ctx).length;
