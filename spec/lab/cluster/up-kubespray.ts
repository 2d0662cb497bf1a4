/**
 * `scripts/lab up --layout kubespray`: the cluster as kubespray (kubernetes-sigs/kubespray, commit
 * 46dbdd39, the layout of its v2.2x releases) makes it on the lab's hosts, over real ssh, in its
 * order (cluster.yml: etcd, then kubernetes/node, control-plane, kubeadm):
 * - etcd as a systemd service on the etcd group with kubespray's certs (kubespray-etcd.ts);
 * - on every node kubespray's kubelet unit (/etc/systemd/system/kubelet.service with
 *   /etc/kubernetes/kubelet.env and /etc/kubernetes/kubelet-config.yaml), and on the workers the
 *   nginx-proxy static pod with /etc/nginx/nginx.conf (roles/kubernetes/node);
 * - the first master: /etc/kubernetes/kubeadm-config.yaml (kubeadm-config.v1beta4.yaml.j2:
 *   certificatesDir /etc/kubernetes/ssl, etcd.external with the master's node-HOST.pem), the
 *   /etc/kubernetes/pki link to it, `kubeadm init --config=... --upload-certs` (kubeadm-setup.yml);
 *   the other masters `kubeadm join --config /etc/kubernetes/kubeadm-controlplane.yaml`
 *   (kubeadm-secondary.yml);
 * - the workers `kubeadm join --config /etc/kubernetes/kubeadm-client.conf` against the first
 *   master (kubeadm_discovery_address when the API endpoint is localhost), then kubelet.conf's
 *   server set to https://localhost:6443 and the kubelet restarted (roles/kubernetes/kubeadm);
 * - a kubespray inventory folder DIR/kubespray/ (inventory.ini, group_vars/all/all.yml, etcd.yml).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Secret } from '../../../lib/shell/secret.js';
import { POD_SUBNET, SERVICE_SUBNET } from './config.js';
import { refreshAdminConf } from './kube.js';
import { ETCD_CERT_DIR, makeEtcdCerts, memberName, startEtcd } from './kubespray-etcd.js';
import type { Host, LabDir } from './labdir.js';
import { sshOk, sshScript } from './ssh.js';

const KUBEADM_TIMEOUT = 5 * 60_000;
/** kube_cert_dir. */
export const KUBE_CERT_DIR = '/etc/kubernetes/ssl';

/** A kubeadm token (kubeadm_token: [a-z0-9]{6}.[a-z0-9]{16}). */
function newToken(): Secret {
  const alpha = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const pick = (n: number) => Array.from(randomBytes(n), (b) => alpha[b % alpha.length]).join('');
  return new Secret('join-token', `${pick(6)}.${pick(16)}`);
}

/**
 * kubeadm-config.v1beta4.yaml.j2 for the first master, as kubespray's defaults render it (no external
 * LB: the master's own address; encryptionAlgorithm is kube_asymmetric_encryption_algorithm, RSA-2048 by default).
 */
export function kubesprayKubeadmConfig(lab: LabDir, first: Host, token: Secret, certKey: Secret, encryptionAlgorithm = 'RSA-2048'): string {
  const endpoints = lab.etcdMembers.map((h) => `      - "https://${h.address}:2379"`).join('\n');
  return `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
bootstrapTokens:
- token: "${token.reveal()}"
  description: "kubespray kubeadm bootstrap token"
  ttl: "24h"
localAPIEndpoint:
  advertiseAddress: "${first.address}"
  bindPort: 6443
certificateKey: ${certKey.reveal()}
nodeRegistration:
  name: "${first.name}"
  taints:
  - effect: NoSchedule
    key: node-role.kubernetes.io/control-plane
  criSocket: unix:///var/run/containerd/containerd.sock
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
clusterName: cluster.local
encryptionAlgorithm: ${encryptionAlgorithm}
etcd:
  external:
      endpoints:
${endpoints}
      caFile: ${ETCD_CERT_DIR}/ca.pem
      certFile: ${ETCD_CERT_DIR}/node-${first.name}.pem
      keyFile: ${ETCD_CERT_DIR}/node-${first.name}-key.pem
networking:
  dnsDomain: cluster.local
  serviceSubnet: "${SERVICE_SUBNET}"
  podSubnet: "${POD_SUBNET}"
kubernetesVersion: v1.32.4
controlPlaneEndpoint: "${first.address}:6443"
certificatesDir: ${KUBE_CERT_DIR}
imageRepository: registry.k8s.io
apiServer:
  certSANs:
  - "kubernetes"
  - "kubernetes.default"
  - "kubernetes.default.svc"
  - "kubernetes.default.svc.cluster.local"
  - "10.96.0.1"
  - "localhost"
  - "127.0.0.1"
${lab.masters.flatMap((m) => [`  - "${m.name}"`, `  - "${m.address}"`]).join('\n')}
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
`;
}

/** kubeadm-controlplane.yaml.j2 / kubeadm-client.conf.j2: a JoinConfiguration (controlPlane for another master). */
function joinConfig(h: Host, discovery: string, token: Secret, certKey?: Secret): string {
  return `apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: "${discovery}"
    token: ${token.reveal()}
    unsafeSkipCAVerification: true
  tlsBootstrapToken: ${token.reveal()}
caCertPath: ${KUBE_CERT_DIR}/ca.crt
${
  certKey
    ? `controlPlane:
  localAPIEndpoint:
    advertiseAddress: "${h.address}"
    bindPort: 6443
  certificateKey: ${certKey.reveal()}
`
    : ''
}nodeRegistration:
  name: '${h.name}'
  criSocket: unix:///var/run/containerd/containerd.sock
${
  certKey
    ? `  taints:
  - effect: NoSchedule
    key: node-role.kubernetes.io/control-plane
`
    : ''
}`;
}

/** kubelet.env.v1beta1.j2 (kube_log_level 2, the node's ip and name). */
function kubeletEnv(h: Host): string {
  return `KUBE_LOG_LEVEL="--v=2"
KUBELET_ADDRESS="--node-ip=${h.address}"
KUBELET_HOSTNAME="--hostname-override=${h.name}"

KUBELET_ARGS="--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf \\
--config=/etc/kubernetes/kubelet-config.yaml \\
--kubeconfig=/etc/kubernetes/kubelet.conf \\
--runtime-cgroups=/system.slice/containerd.service \\
 "
KUBELET_CLOUDPROVIDER=""

PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
`;
}

/** kubelet.service.j2 (bin_dir /usr/local/bin, containerd). */
const KUBELET_UNIT = `[Unit]
Description=Kubernetes Kubelet Server
Documentation=https://github.com/GoogleCloudPlatform/kubernetes
After=containerd.service
Wants=containerd.service

[Service]
EnvironmentFile=-/etc/kubernetes/kubelet.env
ExecStart=/usr/local/bin/kubelet \\
		$KUBE_LOGTOSTDERR \\
		$KUBE_LOG_LEVEL \\
		$KUBELET_API_SERVER \\
		$KUBELET_ADDRESS \\
		$KUBELET_PORT \\
		$KUBELET_HOSTNAME \\
		$KUBELET_ARGS \\
		$DOCKER_SOCKET \\
		$KUBELET_NETWORK_PLUGIN \\
		$KUBELET_VOLUME_PLUGIN \\
		$KUBELET_CLOUDPROVIDER
Restart=always
RestartSec=10s

[Install]
WantedBy=multi-user.target
`;

/** kubelet-config.v1beta1.yaml.j2, the fields the lab's kubelet reads and kubespray's defaults. */
function kubeletConfig(h: Host): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
nodeStatusUpdateFrequency: "10s"
failSwapOn: true
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: ${KUBE_CERT_DIR}/ca.crt
authorization:
  mode: Webhook
cgroupDriver: systemd
clusterDomain: cluster.local
address: ${h.address}
readOnlyPort: 0
healthzPort: 10248
healthzBindAddress: 127.0.0.1
rotateCertificates: true
staticPodPath: /etc/kubernetes/manifests
clusterDNS:
- 169.254.25.10
resolvConf: "/etc/resolv.conf"
`;
}

/** nginx.conf.j2 (loadbalancer_apiserver_port 6443, healthcheck 8081). */
function nginxConf(lab: LabDir): string {
  return `error_log stderr notice;

worker_processes 2;
worker_rlimit_nofile 65535;
worker_shutdown_timeout 10s;

events {
  multi_accept on;
  use epoll;
  worker_connections 16384;
}

stream {
  upstream kube_apiserver {
    least_conn;
    ${lab.masters.map((m) => `server ${m.address}:6443;`).join('\n    ')}
    }

  server {
    listen        127.0.0.1:6443;
    proxy_pass    kube_apiserver;
    proxy_timeout 10m;
    proxy_connect_timeout 1s;
  }
}

http {
  keepalive_timeout 5m;
  keepalive_requests 100;
  server {
    listen 8081;
    location /healthz {
      access_log off;
      return 200;
    }
  }
}
`;
}

/** nginx-proxy.manifest.j2 (nginx_image_repo docker.io/library/nginx, tag 1.27.4-alpine; no command: the image's CMD). */
const NGINX_PROXY = `apiVersion: v1
kind: Pod
metadata:
  name: nginx-proxy
  namespace: kube-system
  labels:
    addonmanager.kubernetes.io/mode: Reconcile
    k8s-app: kube-nginx
spec:
  hostNetwork: true
  dnsPolicy: ClusterFirstWithHostNet
  nodeSelector:
    kubernetes.io/os: linux
  priorityClassName: system-node-critical
  containers:
  - name: nginx-proxy
    image: docker.io/library/nginx:1.27.4-alpine
    imagePullPolicy: IfNotPresent
    livenessProbe:
      httpGet:
        path: /healthz
        port: 8081
    readinessProbe:
      httpGet:
        path: /healthz
        port: 8081
    volumeMounts:
    - mountPath: /etc/nginx
      name: etc-nginx
      readOnly: true
  volumes:
  - name: etc-nginx
    hostPath:
      path: /etc/nginx
`;

/** roles/kubernetes/preinstall and node on one host: kube_cert_dir and its pki link, kubelet unit, env and config; on a worker the nginx-proxy. The kubelet starts with kubeadm. */
async function prepareNode(lab: LabDir, h: Host): Promise<void> {
  const worker = h.role === 'worker';
  await sshScript(
    lab,
    h,
    'kubespray node role',
    `mkdir -p /etc/kubernetes/manifests ${KUBE_CERT_DIR}
cat > /etc/systemd/system/kubelet.service <<'EOF'
${KUBELET_UNIT}EOF
cat > /etc/kubernetes/kubelet.env <<'EOF'
${kubeletEnv(h)}EOF
cat > /etc/kubernetes/kubelet-config.yaml <<'EOF'
${kubeletConfig(h)}EOF
systemctl daemon-reload
systemctl enable kubelet
${
  worker
    ? `mkdir -p -m 0700 /etc/nginx
cat > /etc/nginx/nginx.conf <<'EOF'
${nginxConf(lab)}EOF
cat > /etc/kubernetes/manifests/nginx-proxy.yml <<'EOF'
${NGINX_PROXY}EOF
chmod 0640 /etc/kubernetes/manifests/nginx-proxy.yml`
    : ''
}
# roles/kubernetes/preinstall/tasks/0050-create_directories.yml "Create kubernetes kubeadm compat cert dir
# (kubernetes/kubeadm issue 1498)": on every k8s_cluster node, workers too
ln -sfn ${KUBE_CERT_DIR} /etc/kubernetes/pki
`,
  );
}

/** A file written on a host from stdin with mode 0600 (it holds a token or a certificate key). */
async function writeSecretFile(lab: LabDir, h: Host, path: string, text: string): Promise<void> {
  await sshOk(lab, h, `write ${path}`, ['sh', '-c', 'umask 077; cat > "$1"', 'sh', path], { input: text });
}

/** The kubespray inventory folder of this lab: DIR/kubespray/inventory.ini with group_vars/all/{all,etcd}.yml. */
export function writeKubesprayInventory(lab: LabDir): string {
  const dir = join(lab.dir, 'kubespray');
  mkdirSync(join(dir, 'group_vars', 'all'), { recursive: true });
  const line = (h: Host) =>
    `${h.name} ansible_host=${h.address} ip=${h.address}${lab.layout.etcd.includes(h.name) ? ` etcd_member_name=${memberName(lab, h)}` : ''}`;
  writeFileSync(
    join(dir, 'inventory.ini'),
    `# kubespray's inventory (inventory/sample/inventory.ini), written by scripts/lab up --layout kubespray
[all]
${lab.hosts.map(line).join('\n')}

[kube_control_plane]
${lab.masters.map((h) => h.name).join('\n')}

[etcd]
${lab.etcdMembers.map((h) => h.name).join('\n')}

[kube_node]
${lab.workers.map((h) => h.name).join('\n')}

[k8s_cluster:children]
kube_control_plane
kube_node
`,
  );
  writeFileSync(
    join(dir, 'group_vars', 'all', 'all.yml'),
    `---
ansible_user: root
ansible_port: ${lab.sshPort}
ansible_ssh_private_key_file: ${lab.key}
kubemend_cluster_name: lab-kubespray
loadbalancer_apiserver_localhost: true
`,
  );
  writeFileSync(
    join(dir, 'group_vars', 'all', 'etcd.yml'),
    `---
etcd_data_dir: /var/lib/etcd
etcd_deployment_type: host
`,
  );
  return join(dir, 'inventory.ini');
}

/** Brings the kubespray-shaped cluster up; `step` reports progress. */
export async function upKubespray(lab: LabDir, step: (s: string) => void, encryptionAlgorithm?: string): Promise<void> {
  const [first, ...others] = lab.masters;
  if (!first) throw new Error(`lab up ${lab.dir}: no master host`);
  step(`etcd (kubespray, etcd_deployment_type host) on ${lab.etcdMembers.map((h) => h.name).join(', ')}`);
  await makeEtcdCerts(lab);
  await startEtcd(lab);
  step('kubespray node role: kubelet unit, kubelet.env, kubelet-config.yaml; nginx-proxy on the workers');
  await Promise.all(lab.nodes.map((h) => prepareNode(lab, h)));
  const token = newToken();
  const certKey = new Secret('certificate-key', randomBytes(32).toString('hex'));
  step(`kubeadm init --config=/etc/kubernetes/kubeadm-config.yaml on ${first.name}`);
  await writeSecretFile(lab, first, '/etc/kubernetes/kubeadm-config.yaml', kubesprayKubeadmConfig(lab, first, token, certKey, encryptionAlgorithm));
  await sshOk(
    lab,
    first,
    'kubeadm init',
    ['kubeadm', 'init', '--config=/etc/kubernetes/kubeadm-config.yaml', '--skip-phases=addon/coredns', '--upload-certs'],
    { timeoutMs: KUBEADM_TIMEOUT },
  );
  if (!(await refreshAdminConf(lab))) throw new Error('lab up: no admin.conf on the first master after kubeadm init');
  for (const m of others) {
    step(`kubeadm join --config /etc/kubernetes/kubeadm-controlplane.yaml on ${m.name}`);
    await writeSecretFile(lab, m, '/etc/kubernetes/kubeadm-controlplane.yaml', joinConfig(m, `${first.address}:6443`, token, certKey));
    await sshOk(lab, m, `join master ${m.name}`, ['kubeadm', 'join', '--config', '/etc/kubernetes/kubeadm-controlplane.yaml'], { timeoutMs: KUBEADM_TIMEOUT });
  }
  step(`kubeadm join --config /etc/kubernetes/kubeadm-client.conf on ${lab.workers.length} workers, kubelet.conf to https://localhost:6443`);
  await Promise.all(
    lab.workers.map(async (w) => {
      await writeSecretFile(lab, w, '/etc/kubernetes/kubeadm-client.conf', joinConfig(w, `${first.address}:6443`, token));
      await sshOk(
        lab,
        w,
        `join worker ${w.name}`,
        ['kubeadm', 'join', '--config', '/etc/kubernetes/kubeadm-client.conf', '--ignore-preflight-errors=DirAvailable--etc-kubernetes-manifests'],
        { timeoutMs: KUBEADM_TIMEOUT },
      );
      await sshScript(
        lab,
        w,
        'kubelet.conf server to localhost',
        "sed -i -E 's#^( *)server:.*#\\1server: https://localhost:6443#' /etc/kubernetes/kubelet.conf\nsystemctl restart kubelet\n",
      );
    }),
  );
}
