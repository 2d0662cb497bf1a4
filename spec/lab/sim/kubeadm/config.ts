/**
 * kubeadm's configuration: the YAML stream of `--config` (kubeadm.k8s.io/v1beta3 or v1beta4
 * InitConfiguration, ClusterConfiguration, JoinConfiguration, KubeletConfiguration), the flags
 * that override it, and kubeadm's defaults, folded into one normalized object.
 */
import { readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import YAML from 'yaml';
import { type Args, boolFlag, flag, listFlag } from './args.js';
import { paths, p } from '../paths.js';
import { DEFAULT_KEY_ALGORITHM, KEY_ALGORITHMS, type KeyAlgorithm } from '../pki.js';

/** The kubeadm version the lab simulates. */
export const KUBEADM_VERSION = 'v1.32.4';

/** A bootstrap token as InitConfiguration.bootstrapTokens lists it. */
export interface BootstrapTokenSpec {
  token: string;
  ttl: string;
  usages: string[];
  groups: string[];
  description?: string;
}

/** The ClusterConfiguration as kubeadm uploads it (v1beta4 shape). */
export interface ClusterConfiguration {
  apiVersion: string;
  kind: 'ClusterConfiguration';
  apiServer: { certSANs?: string[]; extraArgs?: { name: string; value: string }[] };
  caCertificateValidityPeriod: string;
  certificateValidityPeriod: string;
  certificatesDir: string;
  clusterName: string;
  controlPlaneEndpoint?: string;
  controllerManager: { extraArgs?: { name: string; value: string }[] };
  dns: Record<string, unknown>;
  /** The type of every key kubeadm makes (v1beta4; kubeadm v1.31+). */
  encryptionAlgorithm: KeyAlgorithm;
  /** Exactly one of local (kubeadm's stacked etcd static pod) and external (an etcd kubeadm does not run, e.g. kubespray's host etcd). */
  etcd: { local?: LocalEtcd; external?: ExternalEtcd };
  imageRepository: string;
  kubernetesVersion: string;
  networking: { dnsDomain: string; podSubnet?: string; serviceSubnet: string };
  proxy: Record<string, unknown>;
  scheduler: { extraArgs?: { name: string; value: string }[] };
}

/** etcd.local: the static pod kubeadm writes on every control-plane node. */
export interface LocalEtcd {
  dataDir: string;
  extraArgs?: { name: string; value: string }[];
  serverCertSANs?: string[];
  peerCertSANs?: string[];
}

/** etcd.external: endpoints and the client certificate files the apiserver uses (kubeadm makes no etcd cert then). */
export interface ExternalEtcd {
  endpoints: string[];
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** Join discovery settings. */
export interface Discovery {
  apiServerEndpoint?: string;
  token?: string;
  caCertHashes: string[];
  unsafeSkipCAVerification: boolean;
  tlsBootstrapToken?: string;
  timeoutMs: number;
}

/** Everything a kubeadm command needs to know, after flags, config file and defaults. */
export interface Config {
  cluster: ClusterConfiguration;
  /** Whether ClusterConfiguration came from a file or the cluster (false: kubeadm's defaults). */
  clusterFromFile: boolean;
  nodeName: string;
  advertiseAddress: string;
  bindPort: number;
  certDir: string;
  /** JoinConfiguration.caCertPath: where join's kubelet-start writes the cluster CA (kubeadm's default /etc/kubernetes/pki/ca.crt, whatever certificatesDir is). */
  caCertPath: string;
  bootstrapTokens: BootstrapTokenSpec[];
  /** The KubeletConfiguration document, if any. */
  kubelet?: Record<string, any>;
  taints?: unknown[];
  kubeletExtraArgs: { name: string; value: string }[];
  /** Join only. */
  discovery: Discovery;
  controlPlane: boolean;
  certificateKey?: string;
  uploadCerts: boolean;
  skipPhases: string[];
  ignorePreflightErrors: string[];
}

/** Normalize extraArgs from v1beta3 (map) or v1beta4 (list of {name, value}). */
export function extraArgs(v: unknown): { name: string; value: string }[] {
  if (!v) return [];
  if (Array.isArray(v)) return v.map((e: any) => ({ name: String(e.name), value: String(e.value) }));
  return Object.entries(v as Record<string, unknown>).map(([name, value]) => ({ name, value: String(value) }));
}

/** The host's address on eth0 (the lab's only interface), else the first non-loopback IPv4. */
export function defaultAddress(): string {
  const ifs = networkInterfaces();
  const v4 = (list?: ReturnType<typeof networkInterfaces>[string]) => list?.find((a) => a.family === 'IPv4' && !a.internal)?.address;
  const a =
    v4(ifs.eth0) ??
    Object.values(ifs)
      .map((l) => v4(l))
      .find(Boolean);
  if (!a) throw new Error('unable to select an IP from default routes.');
  return a;
}

/** Parse a Go duration ("24h", "1h30m", "2h0m0s", "0s") into milliseconds. */
export function parseDuration(s: string): number {
  if (s === '0' || s === '0s') return 0;
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s)/g;
  let total = 0;
  let matched = '';
  for (const m of s.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
    matched += m[0];
  }
  if (matched !== s) throw new Error(`time: invalid duration "${s}"`);
  return total;
}

/** Format milliseconds as Go prints a duration ("24h0m0s"). */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h) return `${h}h${m}m${sec}s`;
  if (m) return `${m}m${sec}s`;
  return `${sec}s`;
}

/** kubeadm's default ClusterConfiguration (what `init phase` uses without --config). */
export function defaultCluster(): ClusterConfiguration {
  return {
    apiVersion: 'kubeadm.k8s.io/v1beta4',
    kind: 'ClusterConfiguration',
    apiServer: {},
    caCertificateValidityPeriod: '87600h0m0s',
    certificateValidityPeriod: '8760h0m0s',
    certificatesDir: '/etc/kubernetes/pki',
    clusterName: 'kubernetes',
    controllerManager: {},
    dns: {},
    encryptionAlgorithm: DEFAULT_KEY_ALGORITHM,
    etcd: { local: { dataDir: '/var/lib/etcd' } },
    imageRepository: 'registry.k8s.io',
    kubernetesVersion: KUBEADM_VERSION,
    networking: { dnsDomain: 'cluster.local', serviceSubnet: '10.96.0.0/12' },
    proxy: {},
    scheduler: {},
  };
}

/** Merge a ClusterConfiguration document (v1beta3 or v1beta4) over the defaults. */
export function clusterFromDoc(doc: any): ClusterConfiguration {
  const c = defaultCluster();
  if (!doc) return c;
  c.apiServer = { certSANs: doc.apiServer?.certSANs, extraArgs: extraArgs(doc.apiServer?.extraArgs) };
  if (!c.apiServer.certSANs) delete c.apiServer.certSANs;
  if (!c.apiServer.extraArgs?.length) delete c.apiServer.extraArgs;
  const cm = extraArgs(doc.controllerManager?.extraArgs);
  c.controllerManager = cm.length ? { extraArgs: cm } : {};
  const sc = extraArgs(doc.scheduler?.extraArgs);
  c.scheduler = sc.length ? { extraArgs: sc } : {};
  if (doc.certificatesDir) c.certificatesDir = doc.certificatesDir;
  if (doc.clusterName) c.clusterName = doc.clusterName;
  if (doc.controlPlaneEndpoint) c.controlPlaneEndpoint = String(doc.controlPlaneEndpoint);
  if (doc.imageRepository) c.imageRepository = doc.imageRepository;
  if (doc.kubernetesVersion) c.kubernetesVersion = doc.kubernetesVersion;
  if (doc.caCertificateValidityPeriod) c.caCertificateValidityPeriod = doc.caCertificateValidityPeriod;
  if (doc.certificateValidityPeriod) c.certificateValidityPeriod = doc.certificateValidityPeriod;
  // a v1beta3 document has no such field (kubeadm's lenient decoding warns and ignores it)
  if (doc.encryptionAlgorithm && doc.apiVersion !== 'kubeadm.k8s.io/v1beta3') c.encryptionAlgorithm = encryptionAlgorithmOf(doc.encryptionAlgorithm);
  c.etcd = etcdFromDoc(doc.etcd);
  c.networking = {
    dnsDomain: doc.networking?.dnsDomain ?? 'cluster.local',
    serviceSubnet: doc.networking?.serviceSubnet ?? '10.96.0.0/12',
    ...(doc.networking?.podSubnet ? { podSubnet: doc.networking.podSubnet } : {}),
  };
  return c;
}

/**
 * A ClusterConfiguration's encryptionAlgorithm, as kubeadm v1.32 validates it (validation.go
 * ValidateEncryptionAlgorithm, field.Invalid at "encryptionAlgorithm"; index id 45066735).
 */
export function encryptionAlgorithmOf(value: unknown): KeyAlgorithm {
  const v = String(value);
  if ((KEY_ALGORITHMS as readonly string[]).includes(v)) return v as KeyAlgorithm;
  throw new Error(`encryptionAlgorithm: Invalid value: "${v}": Invalid encryption algorithm "${v}". Must be one of [${KEY_ALGORITHMS.join(' ')}]`);
}

/**
 * etcd.local or etcd.external, as kubeadm's validation allows them (cmd/kubeadm/app/apis/kubeadm/
 * validation/validation.go ValidateEtcd: the two are mutually exclusive; external needs endpoints,
 * and certFile and keyFile go together). Neither given: kubeadm's default local etcd.
 */
export function etcdFromDoc(etcd: any): ClusterConfiguration['etcd'] {
  const local = etcd?.local;
  const ext = etcd?.external;
  if (local && ext) throw new Error('etcd.local: Invalid value: "": etcd.local and etcd.external are mutually exclusive');
  if (ext) {
    const endpoints = Array.isArray(ext.endpoints) ? ext.endpoints.map(String) : [];
    if (endpoints.length === 0) throw new Error('etcd.external.endpoints: Required value: empty etcd.external.endpoints');
    if (!!ext.certFile !== !!ext.keyFile)
      throw new Error('etcd.external.certFile: Invalid value: "": both etcd.external.certFile and etcd.external.keyFile must be specified');
    return {
      external: {
        endpoints,
        ...(ext.caFile ? { caFile: String(ext.caFile) } : {}),
        ...(ext.certFile ? { certFile: String(ext.certFile), keyFile: String(ext.keyFile) } : {}),
      },
    };
  }
  const l: LocalEtcd = { dataDir: local?.dataDir ?? '/var/lib/etcd' };
  const ea = extraArgs(local?.extraArgs);
  if (ea.length) l.extraArgs = ea;
  if (local?.serverCertSANs) l.serverCertSANs = local.serverCertSANs;
  if (local?.peerCertSANs) l.peerCertSANs = local.peerCertSANs;
  return { local: l };
}

/** Split a kubeadm config YAML stream into documents by kind; reject unknown API versions like kubeadm. */
export function readConfigFile(path: string): Record<string, any> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`unable to read config from "${path}" : ${(e as Error).message}`);
  }
  const byKind: Record<string, any> = {};
  for (const d of YAML.parseAllDocuments(text)) {
    const doc = d.toJS();
    if (!doc) continue;
    const gv = String(doc.apiVersion ?? '');
    if (!doc.kind) throw new Error(`invalid configuration: kind and apiVersion is mandatory information that needs to be specified`);
    if (gv.startsWith('kubeadm.k8s.io/') && !['kubeadm.k8s.io/v1beta3', 'kubeadm.k8s.io/v1beta4'].includes(gv)) {
      throw new Error(`no kind "${doc.kind}" is registered for version "${gv}" in scheme "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31"`);
    }
    byKind[doc.kind] = doc;
  }
  return byKind;
}

/** Split a "host:port" endpoint (IPv6 in brackets allowed) into its host. */
export function endpointHost(ep: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(ep);
  if (m) return m[1];
  const i = ep.lastIndexOf(':');
  return i > 0 && ep.indexOf(':') === i ? ep.slice(0, i) : ep;
}

function tokenSpecs(list: any[] | undefined, a: Args): BootstrapTokenSpec[] {
  const fromFile = (list ?? []).map((t: any) => ({
    token: String(t.token ?? ''),
    ttl: String(t.ttl ?? '24h0m0s'),
    usages: t.usages ?? ['signing', 'authentication'],
    groups: t.groups ?? ['system:bootstrappers:kubeadm:default-node-token'],
    description: t.description,
  }));
  const tok = flag(a, 'token');
  const ttl = flag(a, 'token-ttl');
  if (fromFile.length === 0)
    fromFile.push({
      token: '',
      ttl: '24h0m0s',
      usages: ['signing', 'authentication'],
      groups: ['system:bootstrappers:kubeadm:default-node-token'],
      description: undefined,
    });
  if (tok) fromFile[0].token = tok;
  if (ttl) fromFile[0].ttl = ttl;
  return fromFile;
}

/** Options for loadConfig: which kind of command reads it. */
export interface LoadOptions {
  /** init-side commands read InitConfiguration, join-side read JoinConfiguration. */
  side: 'init' | 'join';
  /** A ClusterConfiguration fetched from the cluster (kubeadm-config ConfigMap), used when no --config. */
  clusterFromCluster?: any;
}

/** Build the effective configuration from `--config`, flags and defaults, as kubeadm does. */
export function loadConfig(a: Args, opts: LoadOptions): Config {
  const file = flag(a, 'config');
  const docs = file ? readConfigFile(file) : {};
  const clusterDoc = docs.ClusterConfiguration ?? (file ? undefined : opts.clusterFromCluster);
  const cluster = clusterFromDoc(clusterDoc);
  const init = docs.InitConfiguration ?? {};
  const join = docs.JoinConfiguration ?? {};
  const side = opts.side === 'init' ? init : join;
  const cpe = flag(a, 'control-plane-endpoint');
  if (cpe) cluster.controlPlaneEndpoint = cpe;
  const sans = listFlag(a, 'apiserver-cert-extra-sans');
  if (sans.length) cluster.apiServer.certSANs = sans;
  const pod = flag(a, 'pod-network-cidr');
  if (pod) cluster.networking.podSubnet = pod;
  const svc = flag(a, 'service-cidr');
  if (svc) cluster.networking.serviceSubnet = svc;
  const dnsDomain = flag(a, 'service-dns-domain');
  if (dnsDomain) cluster.networking.dnsDomain = dnsDomain;
  const certDirFlag = flag(a, 'cert-dir');
  if (certDirFlag) cluster.certificatesDir = certDirFlag;
  const localEp = opts.side === 'init' ? init.localAPIEndpoint : join.controlPlane?.localAPIEndpoint;
  const advertiseAddress = flag(a, 'apiserver-advertise-address') ?? localEp?.advertiseAddress ?? defaultAddress();
  const bindPort = Number(flag(a, 'apiserver-bind-port') ?? localEp?.bindPort ?? 6443);
  const nodeName = (flag(a, 'node-name') ?? side.nodeRegistration?.name ?? hostname()).toLowerCase();
  const d = join.discovery ?? {};
  const bt = d.bootstrapToken ?? {};
  const tokenFlag = flag(a, 'token');
  const discovery: Discovery = {
    apiServerEndpoint: a.words[0] ?? bt.apiServerEndpoint,
    token: flag(a, 'discovery-token') ?? tokenFlag ?? bt.token,
    caCertHashes: [...listFlag(a, 'discovery-token-ca-cert-hash'), ...(bt.caCertHashes ?? [])],
    unsafeSkipCAVerification: boolFlag(a, 'discovery-token-unsafe-skip-ca-verification') || !!bt.unsafeSkipCAVerification,
    tlsBootstrapToken: flag(a, 'tls-bootstrap-token') ?? tokenFlag ?? d.tlsBootstrapToken ?? bt.token,
    timeoutMs: d.timeout ? parseDuration(String(d.timeout)) : 5 * 60_000,
  };
  const skip = [...listFlag(a, 'skip-phases'), ...(side.skipPhases ?? [])];
  const ignore = [...listFlag(a, 'ignore-preflight-errors'), ...(side.nodeRegistration?.ignorePreflightErrors ?? [])];
  return {
    cluster,
    clusterFromFile: !!clusterDoc,
    nodeName,
    advertiseAddress,
    bindPort,
    certDir: certDirFlag ? certDirFlag : rooted(cluster.certificatesDir),
    caCertPath: p(String(join.caCertPath ?? '/etc/kubernetes/pki/ca.crt')),
    bootstrapTokens: tokenSpecs(init.bootstrapTokens, a),
    kubelet: docs.KubeletConfiguration,
    taints: side.nodeRegistration?.taints,
    kubeletExtraArgs: extraArgs(side.nodeRegistration?.kubeletExtraArgs),
    discovery,
    controlPlane: boolFlag(a, 'control-plane') || !!join.controlPlane,
    certificateKey: flag(a, 'certificate-key') ?? init.certificateKey ?? join.controlPlane?.certificateKey,
    uploadCerts: boolFlag(a, 'upload-certs') || boolFlag(a, 'experimental-upload-certs'),
    skipPhases: skip,
    ignorePreflightErrors: ignore.map((s: string) => s.toLowerCase()),
  };
}

/** An absolute node path under LAB_ROOT (unit tests run kubeadm in a temp root). */
export function rooted(abs: string): string {
  return abs === '/etc/kubernetes/pki' ? paths.pki : p(abs);
}

/** The API server URL for kubeconfigs that go through the control-plane endpoint. */
export function controlPlaneURL(c: Config): string {
  const ep = c.cluster.controlPlaneEndpoint;
  if (ep) return `https://${ep.includes(':') && !ep.startsWith('[') && ep.split(':').length === 2 ? ep : `${ep}:${c.bindPort}`}`;
  return localURL(c);
}

/** The local API server URL (advertise address and bind port). */
export function localURL(c: Config): string {
  const host = c.advertiseAddress.includes(':') ? `[${c.advertiseAddress}]` : c.advertiseAddress;
  return `https://${host}:${c.bindPort}`;
}
