/**
 * The KubeletConfiguration file kubeadm writes (/var/lib/kubelet/config.yaml): the fields the
 * lab's kubelet honours, with the real defaults and the real error when the file is missing.
 */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';

/** The KubeletConfiguration fields the lab uses. */
export interface KubeletConfig {
  staticPodPath?: string;
  serverTLSBootstrap: boolean;
  rotateCertificates: boolean;
  port: number;
  address: string;
  healthzPort: number;
  healthzBindAddress: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clusterDNS: string[];
  clusterDomain?: string;
  /** Heartbeat (Lease renew and Node status) interval; the lab's default is 2 s. */
  heartbeatMs: number;
  /** `syncFrequency` (default 1m): how often a running pod's volumes are set up again (tokens refreshed, ConfigMaps re-read). */
  syncFrequencyMs: number;
}

function durationMs(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  let ms = 0;
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) ms += Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000 }[m[2] as 'ms']!;
  return ms || undefined;
}

/** The kubelet's defaults without a config file (KubeletConfiguration v1beta1 defaults the lab uses). */
export function defaultKubeletConfig(): KubeletConfig {
  return configFrom({ kind: 'KubeletConfiguration' });
}

/** Load and default the config file; throws the real kubelet's error text when it cannot. */
export function loadKubeletConfig(path: string): KubeletConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message;
    throw new Error(
      `failed to load kubelet config file, path: ${path}, error: failed to load Kubelet config file ${path}, error failed to read kubelet config file "${path}", error: open ${path}: ${code}`,
    );
  }
  let doc: any;
  try {
    doc = YAML.parse(text) ?? {};
  } catch (e) {
    throw new Error(`failed to load kubelet config file, path: ${path}, error: failed to decode: ${(e as Error).message}`);
  }
  if (doc.kind !== 'KubeletConfiguration') {
    throw new Error(
      `failed to load kubelet config file, path: ${path}, error: failed to decode: no kind "${doc.kind ?? ''}" is registered for version "${doc.apiVersion ?? ''}"`,
    );
  }
  return configFrom(doc);
}

function configFrom(doc: any): KubeletConfig {
  const hb = durationMs(doc.nodeStatusUpdateFrequency);
  return {
    staticPodPath: doc.staticPodPath || undefined,
    serverTLSBootstrap: doc.serverTLSBootstrap === true,
    rotateCertificates: doc.rotateCertificates === true,
    port: Number(doc.port ?? 10250),
    address: doc.address ?? '0.0.0.0',
    healthzPort: Number(doc.healthzPort ?? 10248),
    healthzBindAddress: doc.healthzBindAddress ?? '127.0.0.1',
    tlsCertFile: doc.tlsCertFile,
    tlsPrivateKeyFile: doc.tlsPrivateKeyFile,
    clusterDNS: doc.clusterDNS ?? [],
    clusterDomain: doc.clusterDomain,
    heartbeatMs: Number(process.env.LAB_KUBELET_HEARTBEAT_MS) || (hb && hb <= 2000 ? hb : 2000),
    syncFrequencyMs: durationMs(doc.syncFrequency) ?? 60_000,
  };
}
