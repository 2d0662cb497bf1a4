/**
 * A Kubernetes API connection from an admin kubeconfig held in memory: direct when the laptop
 * reaches the server, otherwise through an SSH tunnel whose TLS server name stays the original
 * server host (so the apiserver certificate is still verified against it).
 */
import { type Cluster, KubeConfig } from '@kubernetes/client-node';
import { tcpReachable } from './reach.js';

/** A local port forwarded to a target (what PhaseContext.forward returns). */
export interface Tunnel {
  localPort: number;
  close(): Promise<void>;
}

/** How to reach the API when the server is not directly reachable. */
export interface ConnectOptions {
  /** Opens a tunnel to the API through SSH, given the server's host and port from the kubeconfig. */
  tunnel(serverHost: string, serverPort: number): Promise<Tunnel>;
  /** Probe timeout for the direct connection (default 1500 ms). */
  probeTimeoutMs?: number;
  /** Skip the probe and always tunnel. */
  forceTunnel?: boolean;
  /**
   * Send every request to this server instead of the kubeconfig's (its credentials and CA kept),
   * checking the certificate as `tlsServerName` (e.g. a master's own apiserver: lib/kube/own-apiserver.ts).
   */
  server?: { url: string; tlsServerName: string };
}

/** An open API connection: the kubeconfig to build clients from, and how it was reached. */
export interface KubeConnection {
  kc: KubeConfig;
  /** 'direct' or 'tunnel'. */
  via: 'direct' | 'tunnel';
  /** The server URL from the kubeconfig (not the tunnel's). */
  server: string;
  close(): Promise<void>;
}

/** Host and port of a server URL (IPv6 brackets removed; port 443 when absent). */
export function serverHostPort(server: string): { host: string; port: number } {
  const u = new URL(server);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return { host, port: u.port ? Number(u.port) : 443 };
}

/** Parse `kubeconfigText` (admin.conf) and open a connection to its current cluster. Client keys never leave memory. */
export async function connectKube(kubeconfigText: string, opts: ConnectOptions): Promise<KubeConnection> {
  let kc = new KubeConfig();
  try {
    kc.loadFromString(kubeconfigText);
  } catch (err) {
    throw new Error(`parse admin kubeconfig: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const written = kc.getCurrentCluster();
  if (!written) throw new Error('admin kubeconfig: no current cluster');
  const cluster = opts.server ? { ...written, server: opts.server.url, tlsServerName: opts.server.tlsServerName } : written;
  if (opts.server) kc = withCluster(kc, cluster);
  const server = cluster.server;
  const { host, port } = serverHostPort(server);
  const direct = !opts.forceTunnel && (await tcpReachable(host, port, opts.probeTimeoutMs ?? 1500));
  if (direct) return { kc, via: 'direct', server, close: async () => {} };
  const tunnel = await opts.tunnel(host, port);
  const tunnelled = { ...cluster, server: `https://127.0.0.1:${tunnel.localPort}`, tlsServerName: cluster.tlsServerName ?? host };
  return { kc: withCluster(kc, tunnelled), via: 'tunnel', server, close: () => tunnel.close() };
}

/** A copy of `kc` whose cluster of the same name is `cluster` (users and contexts kept). */
function withCluster(kc: KubeConfig, cluster: Cluster): KubeConfig {
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: kc.clusters.map((c) => (c.name === cluster.name ? cluster : c)),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return out;
}
