/**
 * Static pod manifests as kubeadm writes them: etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler, with kubeadm's real flags, file paths and host-path volumes.
 */
import { join } from 'node:path';
import YAML from 'yaml';
import { paths } from '../paths.js';
import * as pki from '../pki.js';
import type { Config } from './config.js';
import { say } from './out.js';

/** An etcd member for --initial-cluster. */
export interface EtcdMember {
  name: string;
  peerURL: string;
}

/** Merge kubeadm's default flags with extraArgs (extraArgs win), sorted by name like kubeadm. */
export function buildCommand(bin: string, defaults: Record<string, string>, extra: { name: string; value: string }[] = []): string[] {
  const m = new Map(Object.entries(defaults));
  for (const e of extra) m.set(e.name, e.value);
  return [bin, ...[...m.keys()].sort().map((k) => `--${k}=${m.get(k)}`)];
}

function hostPath(name: string, path: string, type: string) {
  return { hostPath: { path, type }, name };
}

function pod(
  component: string,
  command: string[],
  image: string,
  volumes: { name: string; path: string; type: string; ro: boolean }[],
  port: number,
  extra: { annotations?: Record<string, string>; probeHost?: string; probeScheme?: string; probePath?: string } = {},
) {
  const probe = (path: string, failureThreshold: number) => ({
    failureThreshold,
    httpGet: { host: extra.probeHost ?? '127.0.0.1', path, port, scheme: extra.probeScheme ?? 'HTTPS' },
    initialDelaySeconds: 10,
    periodSeconds: 10,
    timeoutSeconds: 15,
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
      labels: { component, tier: 'control-plane' },
      name: component,
      namespace: 'kube-system',
    },
    spec: {
      containers: [
        {
          command,
          image,
          imagePullPolicy: 'IfNotPresent',
          livenessProbe: probe(extra.probePath ?? '/livez', 8),
          name: component,
          resources: {
            requests: {
              cpu: component === 'etcd' ? '100m' : component === 'kube-apiserver' ? '250m' : component === 'kube-controller-manager' ? '200m' : '100m',
              ...(component === 'etcd' ? { memory: '100Mi' } : {}),
            },
          },
          startupProbe: probe(extra.probePath ?? '/livez', 24),
          volumeMounts: volumes.map((v) => ({ mountPath: v.path, name: v.name, ...(v.ro ? { readOnly: true } : {}) })),
        },
      ],
      hostNetwork: true,
      priority: 2000001000,
      priorityClassName: 'system-node-critical',
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      volumes: volumes.map((v) => hostPath(v.name, v.path, v.type)),
    },
    status: {},
  };
}

/**
 * The etcd flags of kube-apiserver (cmd/kubeadm/app/phases/controlplane/manifests.go getAPIServerCommand):
 * an external etcd's endpoints and the files its config names; else the local member on 127.0.0.1
 * with apiserver-etcd-client signed by certificatesDir/etcd/ca.crt.
 */
function etcdFlags(c: Config, dir: string): Record<string, string> {
  const ext = c.cluster.etcd.external;
  if (!ext)
    return {
      'etcd-cafile': `${dir}/etcd/ca.crt`,
      'etcd-certfile': `${dir}/apiserver-etcd-client.crt`,
      'etcd-keyfile': `${dir}/apiserver-etcd-client.key`,
      'etcd-servers': 'https://127.0.0.1:2379',
    };
  return {
    'etcd-servers': ext.endpoints.join(','),
    ...(ext.caFile ? { 'etcd-cafile': ext.caFile } : {}),
    ...(ext.certFile && ext.keyFile ? { 'etcd-certfile': ext.certFile, 'etcd-keyfile': ext.keyFile } : {}),
  };
}

/**
 * hostPath volumes for an external etcd's cert folders (manifests.go getEtcdCertVolumes): each
 * folder once, `etcd-certs-N`, unless it is already mounted (certificatesDir, /etc/ssl/certs).
 */
function etcdCertVolumes(c: Config, dir: string): { name: string; path: string; type: string; ro: boolean }[] {
  const ext = c.cluster.etcd.external;
  if (!ext) return [];
  const dirs = [...new Set([ext.caFile, ext.certFile, ext.keyFile].filter((f): f is string => !!f).map((f) => f.slice(0, f.lastIndexOf('/')) || '/'))];
  return dirs
    .filter((d) => d !== dir && !d.startsWith(`${dir}/`) && d !== '/etc/ssl/certs')
    .map((d, i) => ({ name: `etcd-certs-${i}`, path: d, type: 'DirectoryOrCreate', ro: true }));
}

/** The kube-apiserver static pod. */
export function apiServerPod(c: Config): object {
  const svc = c.cluster.networking.serviceSubnet;
  const PKI = c.cluster.certificatesDir;
  const cmd = buildCommand(
    'kube-apiserver',
    {
      'advertise-address': c.advertiseAddress,
      'allow-privileged': 'true',
      'authorization-mode': 'Node,RBAC',
      'client-ca-file': `${PKI}/ca.crt`,
      'enable-admission-plugins': 'NodeRestriction',
      'enable-bootstrap-token-auth': 'true',
      ...etcdFlags(c, PKI),
      'kubelet-client-certificate': `${PKI}/apiserver-kubelet-client.crt`,
      'kubelet-client-key': `${PKI}/apiserver-kubelet-client.key`,
      'kubelet-preferred-address-types': 'InternalIP,ExternalIP,Hostname',
      'proxy-client-cert-file': `${PKI}/front-proxy-client.crt`,
      'proxy-client-key-file': `${PKI}/front-proxy-client.key`,
      'requestheader-allowed-names': 'front-proxy-client',
      'requestheader-client-ca-file': `${PKI}/front-proxy-ca.crt`,
      'requestheader-extra-headers-prefix': 'X-Remote-Extra-',
      'requestheader-group-headers': 'X-Remote-Group',
      'requestheader-username-headers': 'X-Remote-User',
      'secure-port': String(c.bindPort),
      'service-account-issuer': `https://kubernetes.default.svc.${c.cluster.networking.dnsDomain}`,
      'service-account-key-file': `${PKI}/sa.pub`,
      'service-account-signing-key-file': `${PKI}/sa.key`,
      'service-cluster-ip-range': svc,
      'tls-cert-file': `${PKI}/apiserver.crt`,
      'tls-private-key-file': `${PKI}/apiserver.key`,
    },
    c.cluster.apiServer.extraArgs,
  );
  return pod(
    'kube-apiserver',
    cmd,
    `${c.cluster.imageRepository}/kube-apiserver:${c.cluster.kubernetesVersion}`,
    [
      { name: 'ca-certs', path: '/etc/ssl/certs', type: 'DirectoryOrCreate', ro: true },
      { name: 'etc-ca-certificates', path: '/etc/ca-certificates', type: 'DirectoryOrCreate', ro: true },
      ...etcdCertVolumes(c, PKI),
      { name: 'k8s-certs', path: PKI, type: 'DirectoryOrCreate', ro: true },
      { name: 'usr-local-share-ca-certificates', path: '/usr/local/share/ca-certificates', type: 'DirectoryOrCreate', ro: true },
      { name: 'usr-share-ca-certificates', path: '/usr/share/ca-certificates', type: 'DirectoryOrCreate', ro: true },
    ],
    c.bindPort,
    {
      annotations: { 'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': `${c.advertiseAddress}:${c.bindPort}` },
      probeHost: c.advertiseAddress,
    },
  );
}

/** The kube-controller-manager static pod. */
export function controllerManagerPod(c: Config): object {
  const PKI = c.cluster.certificatesDir;
  const defaults: Record<string, string> = {
    'authentication-kubeconfig': '/etc/kubernetes/controller-manager.conf',
    'authorization-kubeconfig': '/etc/kubernetes/controller-manager.conf',
    'bind-address': '127.0.0.1',
    'client-ca-file': `${PKI}/ca.crt`,
    'cluster-name': c.cluster.clusterName,
    'cluster-signing-cert-file': `${PKI}/ca.crt`,
    'cluster-signing-key-file': `${PKI}/ca.key`,
    controllers: '*,bootstrapsigner,tokencleaner',
    kubeconfig: '/etc/kubernetes/controller-manager.conf',
    'leader-elect': 'true',
    'requestheader-client-ca-file': `${PKI}/front-proxy-ca.crt`,
    'root-ca-file': `${PKI}/ca.crt`,
    'service-account-private-key-file': `${PKI}/sa.key`,
    'service-cluster-ip-range': c.cluster.networking.serviceSubnet,
    'use-service-account-credentials': 'true',
  };
  if (c.cluster.networking.podSubnet) {
    defaults['allocate-node-cidrs'] = 'true';
    defaults['cluster-cidr'] = c.cluster.networking.podSubnet;
  }
  const cmd = buildCommand('kube-controller-manager', defaults, c.cluster.controllerManager.extraArgs);
  return pod(
    'kube-controller-manager',
    cmd,
    `${c.cluster.imageRepository}/kube-controller-manager:${c.cluster.kubernetesVersion}`,
    [
      { name: 'ca-certs', path: '/etc/ssl/certs', type: 'DirectoryOrCreate', ro: true },
      { name: 'etc-ca-certificates', path: '/etc/ca-certificates', type: 'DirectoryOrCreate', ro: true },
      { name: 'flexvolume-dir', path: '/usr/libexec/kubernetes/kubelet-plugins/volume/exec', type: 'DirectoryOrCreate', ro: false },
      { name: 'k8s-certs', path: PKI, type: 'DirectoryOrCreate', ro: true },
      { name: 'kubeconfig', path: '/etc/kubernetes/controller-manager.conf', type: 'FileOrCreate', ro: true },
      { name: 'usr-local-share-ca-certificates', path: '/usr/local/share/ca-certificates', type: 'DirectoryOrCreate', ro: true },
      { name: 'usr-share-ca-certificates', path: '/usr/share/ca-certificates', type: 'DirectoryOrCreate', ro: true },
    ],
    10257,
    { probePath: '/healthz' },
  );
}

/** The kube-scheduler static pod. */
export function schedulerPod(c: Config): object {
  const cmd = buildCommand(
    'kube-scheduler',
    {
      'authentication-kubeconfig': '/etc/kubernetes/scheduler.conf',
      'authorization-kubeconfig': '/etc/kubernetes/scheduler.conf',
      'bind-address': '127.0.0.1',
      kubeconfig: '/etc/kubernetes/scheduler.conf',
      'leader-elect': 'true',
    },
    c.cluster.scheduler.extraArgs,
  );
  return pod(
    'kube-scheduler',
    cmd,
    `${c.cluster.imageRepository}/kube-scheduler:${c.cluster.kubernetesVersion}`,
    [{ name: 'kubeconfig', path: '/etc/kubernetes/scheduler.conf', type: 'FileOrCreate', ro: true }],
    10259,
    { probePath: '/livez' },
  );
}

/** The local etcd static pod; `members` are the other members (join) plus this node. */
export function etcdPod(c: Config, members: EtcdMember[], state: 'new' | 'existing'): object {
  const PKI = c.cluster.certificatesDir;
  const local = c.cluster.etcd.local ?? { dataDir: '/var/lib/etcd' };
  const a = c.advertiseAddress.includes(':') ? `[${c.advertiseAddress}]` : c.advertiseAddress;
  const self = { name: c.nodeName, peerURL: `https://${a}:2380` };
  const all = [...members.filter((m) => m.name !== self.name && m.peerURL !== self.peerURL), self];
  const defaults: Record<string, string> = {
    'advertise-client-urls': `https://${a}:2379`,
    'cert-file': `${PKI}/etcd/server.crt`,
    'client-cert-auth': 'true',
    'data-dir': local.dataDir,
    'experimental-initial-corrupt-check': 'true',
    'experimental-watch-progress-notify-interval': '5s',
    'initial-advertise-peer-urls': self.peerURL,
    'initial-cluster': all.map((m) => `${m.name}=${m.peerURL}`).join(','),
    'key-file': `${PKI}/etcd/server.key`,
    'listen-client-urls': `https://127.0.0.1:2379,https://${a}:2379`,
    'listen-metrics-urls': 'http://127.0.0.1:2381',
    'listen-peer-urls': `https://${a}:2380`,
    name: c.nodeName,
    'peer-cert-file': `${PKI}/etcd/peer.crt`,
    'peer-client-cert-auth': 'true',
    'peer-key-file': `${PKI}/etcd/peer.key`,
    'peer-trusted-ca-file': `${PKI}/etcd/ca.crt`,
    'snapshot-count': '10000',
    'trusted-ca-file': `${PKI}/etcd/ca.crt`,
  };
  if (state === 'existing') defaults['initial-cluster-state'] = 'existing';
  const cmd = buildCommand('etcd', defaults, local.extraArgs);
  return pod(
    'etcd',
    cmd,
    `${c.cluster.imageRepository}/etcd:3.5.16-0`,
    [
      { name: 'etcd-certs', path: `${PKI}/etcd`, type: 'DirectoryOrCreate', ro: false },
      { name: 'etcd-data', path: local.dataDir, type: 'DirectoryOrCreate', ro: false },
    ],
    2381,
    {
      annotations: { 'kubeadm.kubernetes.io/etcd.advertise-client-urls': `https://${a}:2379` },
      probeScheme: 'HTTP',
      probePath: '/livez',
    },
  );
}

/** Write a static pod manifest (overwritten each time, as kubeadm does). */
export function writeManifest(name: string, podObj: object): void {
  pki.writePublicFile(join(paths.manifests, `${name}.yaml`), YAML.stringify(podObj));
}

/** The control-plane components of `control-plane all`. */
export const CONTROL_PLANE = ['apiserver', 'controller-manager', 'scheduler'] as const;

/** Run `control-plane <component>`. */
export function runControlPlanePhase(c: Config, which: string): void {
  const map: Record<string, [string, (c: Config) => object]> = {
    apiserver: ['kube-apiserver', apiServerPod],
    'controller-manager': ['kube-controller-manager', controllerManagerPod],
    scheduler: ['kube-scheduler', schedulerPod],
  };
  const m = map[which];
  if (!m) throw new Error(`unknown control-plane component ${which}`);
  say(`[control-plane] Creating static Pod manifest for "${m[0]}"`);
  writeManifest(m[0], m[1](c));
}

/** Run `control-plane all`. */
export function runControlPlaneAll(c: Config, skip: (p: string) => boolean = () => false): void {
  say(`[control-plane] Using manifest folder "/etc/kubernetes/manifests"`);
  for (const w of CONTROL_PLANE) if (!skip(`control-plane/${w}`)) runControlPlanePhase(c, w);
}

/** Run `etcd local` for the first member (a new single-member cluster, or an existing data dir). */
export function runEtcdLocal(c: Config): void {
  // init/etcd.go runEtcdPhaseLocal: with etcd.external nothing is written (its only word is at klog V(1))
  if (c.cluster.etcd.external) return;
  writeManifest('etcd', etcdPod(c, [], 'new'));
  say(`[etcd] Creating static Pod manifest for local etcd in "/etc/kubernetes/manifests"`);
}
