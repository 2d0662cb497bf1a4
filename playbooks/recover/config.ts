/** The kubeadm --config a master is rebuilt with: the cluster's own ClusterConfiguration plus this node's InitConfiguration. */
import { parseAllDocuments } from 'yaml';
import type { Host } from '../../lib/inventory/types.js';
import type { Secret } from '../../lib/shell/secret.js';
import { type InitOptions, type KubeadmApi, type NodeRegistration, initConfiguration } from '../../lib/kubeadm/config.js';
import { findClusterConfiguration } from '../../lib/kubeadm/cluster-configuration.js';
import { KUBE_CERT_DIR, type RecoverLayout } from '../shared/layout.js';

/** Kinds kept from the source file (Init/JoinConfiguration are made per node). */
const KEPT = new Set(['ClusterConfiguration', 'KubeletConfiguration', 'KubeProxyConfiguration']);

/** The cluster's kubeadm documents as recover uses them: the ClusterConfiguration (and KubeletConfiguration) and their apiVersion. */
export interface ClusterDocs {
  apiVersion: string;
  yaml: string;
}

/** The ClusterConfiguration (and kubelet/proxy configs) of a kubeadm config text; throws when there is no ClusterConfiguration. */
export function clusterDocs(text: string, source: string): ClusterDocs {
  const docs = parseAllDocuments(text);
  const kept: string[] = [];
  let apiVersion = '';
  for (const d of docs) {
    if (d.errors.length) throw new Error(`${source}: not valid YAML: ${d.errors[0].message}`);
    const o = d.toJS() as { kind?: string; apiVersion?: string } | null;
    if (!o?.kind || !KEPT.has(o.kind)) continue;
    if (o.kind === 'ClusterConfiguration') apiVersion = String(o.apiVersion ?? '');
    // a document after the first prints its own `---` marker: dropped, the join puts one back
    kept.push(
      d
        .toString()
        .replace(/^---[ \t]*\n/, '')
        .trimEnd() + '\n',
    );
  }
  if (!apiVersion) throw new Error(`${source}: no kind ClusterConfiguration in it`);
  if (!/^kubeadm\.k8s\.io\/v1beta[34]$/.test(apiVersion)) throw new Error(`${source}: ClusterConfiguration ${apiVersion} is not v1beta3/v1beta4`);
  return { apiVersion, yaml: kept.join('---\n') };
}

/**
 * Why recover cannot rebuild a cluster of `layout` with this ClusterConfiguration, or undefined.
 * On kubeadm's layout: an external etcd (kubeadm makes no etcd certificate and runs no etcd then:
 * recover's etcd steps would make a second etcd beside it) or a certificatesDir other than
 * kubeadm's /etc/kubernetes/pki (every fact and copy of recover reads /etc/kubernetes/pki). On
 * kubespray's (shared/layout.ts): the reverse, etcd.external (kubespray's etcd service, kept) with
 * certificatesDir /etc/kubernetes/ssl (kube_cert_dir, which /etc/kubernetes/pki links to).
 */
export function unsupportedClusterConfig(yaml: string, layout: RecoverLayout = 'kubeadm'): string | undefined {
  const cc = findClusterConfiguration(yaml);
  if (!cc) return undefined;
  const why: string[] = [];
  const dir = String(cc.certificatesDir ?? '/etc/kubernetes/pki').replace(/\/+$/, '');
  if (layout === 'kubespray') {
    if (!cc.etcd?.external) why.push("no etcd.external, while the hosts run kubespray's etcd service (kubespray's kubeadm config names it in etcd.external)");
    if (dir !== KUBE_CERT_DIR) why.push(`certificatesDir ${dir}, not kubespray's ${KUBE_CERT_DIR}`);
    return why.length ? why.join('; ') : undefined;
  }
  if (cc.etcd?.external) why.push(`etcd.external (endpoints ${(cc.etcd.external.endpoints ?? []).join(', ') || 'none'}): etcd runs outside kubeadm`);
  if (dir !== '/etc/kubernetes/pki') why.push(`certificatesDir ${cc.certificatesDir}, not /etc/kubernetes/pki`);
  return why.length ? why.join('; ') : undefined;
}

/** The files etcd.external names (caFile, certFile, keyFile), for the checks that they are on every master. */
export function externalEtcdFiles(yaml: string): string[] {
  const cc = findClusterConfiguration(yaml);
  const e = cc?.etcd?.external;
  return e ? [e.caFile, e.certFile, e.keyFile].filter((f): f is string => !!f) : [];
}

/** What a master's --config adds to its InitConfiguration and the cluster's documents. */
export interface HostConfigOptions {
  /** The node's registration (default: its inventory name, no kubelet flags). */
  registration?: NodeRegistration;
  /** `bootstrapTokens` of the InitConfiguration (init phase bootstrap-token). */
  bootstrapTokens?: InitOptions['bootstrapTokens'];
  /** The certificate key (init phase upload-certs): the text then holds a secret, for kubeadmWithConfig only. */
  certificateKey?: Secret;
  /** A KubeletConfiguration document (YAML) that replaces the one of the cluster's documents (init phase kubelet-start writes it). */
  kubelet?: string;
}

/**
 * The full --config for `host`: its InitConfiguration (address, registration, ...), then the
 * cluster's documents. The InitConfiguration takes the ClusterConfiguration's API version: one
 * file of one version, which the cluster's own kubeadm reads (it wrote or accepted that
 * ClusterConfiguration; both v1beta3 and v1beta4 are read by kubeadm 1.31 to 1.33).
 */
export function hostConfig(host: Host, cluster: { apiVersion: string; yaml: string }, opts: HostConfigOptions = {}): string {
  const init = initConfiguration({
    api: cluster.apiVersion as KubeadmApi,
    registration: opts.registration ?? { name: host.name, kubeletExtraArgs: [] },
    advertiseAddress: host.address,
    bootstrapTokens: opts.bootstrapTokens,
    certificateKey: opts.certificateKey,
  });
  const docs = opts.kubelet === undefined ? cluster.yaml : withKubelet(cluster.yaml, opts.kubelet);
  return `${init}---\n${docs}`;
}

/** The cluster's documents with their KubeletConfiguration replaced by `kubelet` (a YAML document). */
function withKubelet(yaml: string, kubelet: string): string {
  const kept = parseAllDocuments(yaml)
    .filter((d) => (d.toJS() as { kind?: string } | null)?.kind !== 'KubeletConfiguration')
    .map((d) => d.toString().trimEnd() + '\n');
  return [...kept, kubelet.trimEnd() + '\n'].join('---\n');
}

/** The KubeletConfiguration document of a kubeadm config text, if any. */
export function kubeletDoc(yaml: string): string | undefined {
  const d = parseAllDocuments(yaml).find((x) => (x.toJS() as { kind?: string } | null)?.kind === 'KubeletConfiguration');
  return d ? d.toString().trimEnd() + '\n' : undefined;
}

/** The etcd data folder of the ClusterConfiguration (etcd.local.dataDir; kubeadm's default /var/lib/etcd). */
export function etcdDataDir(yaml: string): string {
  const dataDir = findClusterConfiguration(yaml)?.etcd?.local?.dataDir;
  return dataDir ? String(dataDir) : '/var/lib/etcd'; // kubeadm's default (read here, never written: spec/core/etcd-untouched.test.ts)
}

/** The controlPlaneEndpoint written in the ClusterConfiguration, if any. */
export function endpointOf(yaml: string): string | undefined {
  const endpoint = findClusterConfiguration(yaml)?.controlPlaneEndpoint;
  return endpoint ? String(endpoint) : undefined;
}

/** Each component's extraArgs as name -> values, from v1beta3 (a map) or v1beta4 (a list of {name, value}). */
export function extraArgsOf(v: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (Array.isArray(v)) {
    for (const a of v as Array<{ name?: unknown; value?: unknown }>) (out[String(a?.name)] ??= []).push(String(a?.value ?? ''));
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) out[k] = [String(x)];
  }
  return out;
}

/** Flatten a ClusterConfiguration to `path: value` lines, extraArgs normalized across v1beta3/v1beta4. */
function flatten(o: unknown, path: string, out: Map<string, string>): void {
  if (path.endsWith('.extraArgs') || path === 'extraArgs') {
    for (const [k, vs] of Object.entries(extraArgsOf(o))) out.set(`${path}.${k}`, vs.join(','));
    return;
  }
  if (o && typeof o === 'object' && !Array.isArray(o)) {
    for (const [k, v] of Object.entries(o)) if (k !== 'apiVersion') flatten(v, path ? `${path}.${k}` : k, out);
  } else out.set(path, JSON.stringify(o));
}

/** The ClusterConfiguration of a config text as flat `path -> value` (extraArgs as maps in both API versions). */
export function flatClusterConfiguration(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const cc = findClusterConfiguration(text);
  if (cc) flatten(cc, '', out);
  return out;
}

/** The differences of ClusterConfiguration `now` from `before` (`path: before -> now`), in path order. */
export function configDifferences(before: string, now: string): string[] {
  const [a, b] = [flatClusterConfiguration(before), flatClusterConfiguration(now)];
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.filter((k) => a.get(k) !== b.get(k)).map((k) => `${k}: ${a.get(k) ?? '(absent)'} -> ${b.get(k) ?? '(absent)'}`);
}
