/** The kubeadm --config a master is rebuilt with: the cluster's own ClusterConfiguration plus this node's InitConfiguration. */
import { parseAllDocuments } from 'yaml';
import type { Host } from '../../lib/inventory/types.js';

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

/** The full --config for `host`: its InitConfiguration (address, node name), then the cluster's documents. */
export function hostConfig(host: Host, cluster: { apiVersion: string; yaml: string }): string {
  const init = `apiVersion: ${cluster.apiVersion}
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: ${JSON.stringify(host.address)}
  bindPort: 6443
nodeRegistration:
  name: ${JSON.stringify(host.name)}
`;
  return `${init}---\n${cluster.yaml}`;
}

/** The controlPlaneEndpoint written in the ClusterConfiguration, if any. */
export function endpointOf(yaml: string): string | undefined {
  for (const d of parseAllDocuments(yaml)) {
    const o = d.toJS() as { kind?: string; controlPlaneEndpoint?: string } | null;
    if (o?.kind === 'ClusterConfiguration' && o.controlPlaneEndpoint) return String(o.controlPlaneEndpoint);
  }
  return undefined;
}
