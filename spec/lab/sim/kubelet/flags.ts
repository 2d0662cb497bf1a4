/**
 * The kubelet's command line (the flags kubeadm's systemd drop-in and kubeadm-flags.env pass),
 * and the node's name and address derived from them as the real kubelet does.
 */
import { readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';

/** The kubelet flags the lab understands; others are accepted and ignored. */
export interface KubeletFlags {
  kubeconfig: string;
  bootstrapKubeconfig: string;
  config?: string;
  hostnameOverride?: string;
  nodeIp?: string;
  nodeLabels: Record<string, string>;
  registerWithTaints: { key: string; value?: string; effect: string }[];
  all: Map<string, string>;
}

/** Parse `--name=value` / `--name value` flags (real kubelet flag syntax). */
export function parseKubeletFlags(argv: string[]): KubeletFlags {
  const all = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-')) continue;
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    if (eq >= 0) all.set(body.slice(0, eq), body.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('-')) all.set(body, argv[++i]);
    else all.set(body, 'true');
  }
  const labels: Record<string, string> = {};
  for (const kv of (all.get('node-labels') ?? '').split(',').filter(Boolean)) {
    const [k, v = ''] = kv.split('=');
    labels[k] = v;
  }
  const taints = (all.get('register-with-taints') ?? '')
    .split(',')
    .filter(Boolean)
    .map((t) => {
      const [kv, effect] = t.split(':');
      const [key, value] = kv.split('=');
      return { key, ...(value !== undefined ? { value } : {}), effect };
    });
  return {
    kubeconfig: all.get('kubeconfig') ?? '',
    bootstrapKubeconfig: all.get('bootstrap-kubeconfig') ?? '',
    config: all.get('config'),
    hostnameOverride: all.get('hostname-override'),
    nodeIp: all.get('node-ip'),
    nodeLabels: labels,
    registerWithTaints: taints,
    all,
  };
}

/** The node name: --hostname-override, else the lowercased hostname (as real). */
export function nodeName(f: KubeletFlags): string {
  return (f.hostnameOverride || hostname()).trim().toLowerCase();
}

/**
 * The node's InternalIP: --node-ip, else the hostname's non-loopback address in /etc/hosts,
 * else the first non-internal IPv4 interface address (the lab hosts have no default route).
 */
export function nodeIP(f: KubeletFlags, name: string): string {
  if (f.nodeIp) return f.nodeIp;
  try {
    for (const line of readFileSync('/etc/hosts', 'utf8').split('\n')) {
      const [addr, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
      if (addr && /^\d+\.\d+\.\d+\.\d+$/.test(addr) && !addr.startsWith('127.') && names.includes(name)) return addr;
    }
  } catch {
    // no /etc/hosts
  }
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
