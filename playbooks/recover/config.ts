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
    // a document after the first prints its own `---` marker: dropped, the join puts one back
    kept.push(d.toString().replace(/^---[ \t]*\n/, '').trimEnd() + '\n');
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
  for (const d of parseAllDocuments(text)) {
    const o = d.toJS() as { kind?: string } | null;
    if (o?.kind === 'ClusterConfiguration') flatten(o, '', out);
  }
  return out;
}

/** The differences of ClusterConfiguration `now` from `before` (`path: before -> now`), in path order. */
export function configDifferences(before: string, now: string): string[] {
  const [a, b] = [flatClusterConfiguration(before), flatClusterConfiguration(now)];
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.filter((k) => a.get(k) !== b.get(k)).map((k) => `${k}: ${a.get(k) ?? '(absent)'} -> ${b.get(k) ?? '(absent)'}`);
}
