/** The kubeadm --config a master is rebuilt with: the cluster's own ClusterConfiguration plus this node's InitConfiguration. */
import { parseAllDocuments } from 'yaml';
import type { Host } from '../../lib/inventory/types.js';
import type { Secret } from '../../lib/core/secret.js';
import { type InitOptions, type KubeadmApi, type NodeRegistration, initConfiguration } from '../../lib/kubeadm/config.js';

/** Kinds kept from the source file (Init/JoinConfiguration are made per node). */
const KEPT = new Set(['ClusterConfiguration', 'KubeletConfiguration', 'KubeProxyConfiguration']);

/** The ClusterConfiguration (and kubelet/proxy configs) of a kubeadm config text; throws when there is no ClusterConfiguration. */
export function clusterDocs(text: string, source: string): { apiVersion: string; yaml: string } {
  const docs = parseAllDocuments(text);
  const kept: string[] = [];
  let apiVersion = '';
  for (const d of docs) {
    if (d.errors.length) throw new Error(`${source}: not valid YAML: ${d.errors[0].message}`);
    const o = d.toJS() as { kind?: string; apiVersion?: string } | null;
    if (!o || !o.kind || !KEPT.has(o.kind)) continue;
    if (o.kind === 'ClusterConfiguration') apiVersion = String(o.apiVersion ?? '');
    kept.push(d.toString().trimEnd() + '\n');
  }
  if (!apiVersion) throw new Error(`${source}: no kind ClusterConfiguration in it`);
  if (!/^kubeadm\.k8s\.io\/v1beta[34]$/.test(apiVersion)) throw new Error(`${source}: ClusterConfiguration ${apiVersion} is not v1beta3/v1beta4`);
  return { apiVersion, yaml: kept.join('---\n') };
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
  const kept = parseAllDocuments(yaml).filter((d) => (d.toJS() as { kind?: string } | null)?.kind !== 'KubeletConfiguration').map((d) => d.toString().trimEnd() + '\n');
  return [...kept, kubelet.trimEnd() + '\n'].join('---\n');
}

/** The KubeletConfiguration document of a kubeadm config text, if any. */
export function kubeletDoc(yaml: string): string | undefined {
  const d = parseAllDocuments(yaml).find((x) => (x.toJS() as { kind?: string } | null)?.kind === 'KubeletConfiguration');
  return d ? d.toString().trimEnd() + '\n' : undefined;
}

/** The etcd data folder of the ClusterConfiguration (etcd.local.dataDir; kubeadm's default /var/lib/etcd). */
export function etcdDataDir(yaml: string): string {
  for (const d of parseAllDocuments(yaml)) {
    const o = d.toJS() as { kind?: string; etcd?: { local?: { dataDir?: string } } } | null;
    if (o?.kind === 'ClusterConfiguration' && o.etcd?.local?.dataDir) return String(o.etcd.local.dataDir);
  }
  return '/var/lib/etcd'; // kubeadm's default (read here, never written: spec/core/etcd-untouched.test.ts)
}

/** The controlPlaneEndpoint written in the ClusterConfiguration, if any. */
export function endpointOf(yaml: string): string | undefined {
  for (const d of parseAllDocuments(yaml)) {
    const o = d.toJS() as { kind?: string; controlPlaneEndpoint?: string } | null;
    if (o?.kind === 'ClusterConfiguration' && o.controlPlaneEndpoint) return String(o.controlPlaneEndpoint);
  }
  return undefined;
}
