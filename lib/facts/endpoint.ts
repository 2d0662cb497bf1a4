/**
 * Where the API endpoint leads, as a host sees it and as this machine sees it (read-only):
 * `getent ahosts NAME` on a host, which asks the host's own resolver (nsswitch: /etc/hosts, DNS)
 * through getaddrinfo as kubeadm, kubelet and kubectl do there; Node's dns.lookup (getaddrinfo
 * too) here. Addresses are compared in canonical form (lowercase, IPv6 compressed).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { HostContext } from '../core/types.js';
import { canonicalSan } from '../inventory/serving-sans.js';
import { splitHostPort } from '../inventory/syntax.js';

/** The host and port of an endpoint `host:port` (IPv6 in brackets), and whether the host is an address. */
export interface EndpointParts {
  host: string;
  port: number;
  /** The host is an IP address (nothing to resolve). */
  literal: boolean;
}

/** Split a controlPlaneEndpoint; a bare host gets kubeadm's default port 6443. */
export function endpointParts(endpoint: string): EndpointParts {
  const hp = splitHostPort(endpoint) ?? { host: endpoint.replace(/^\[|\]$/g, ''), port: 6443 };
  return { host: hp.host, port: hp.port, literal: isIP(hp.host) !== 0 };
}

/** What one resolver said about a name: its addresses (canonical, in order, no repeats), or why there are none. */
export interface Resolution {
  addresses: string[];
  /** Set when the name did not resolve (not found, or the resolver failed). */
  error?: string;
}

/** The addresses in `getent ahosts` output (`ADDR  STREAM name` lines; DGRAM and RAW repeat them). */
export function parseGetentAhosts(stdout: string): string[] {
  const out: string[] = [];
  for (const line of stdout.split('\n')) {
    const a = line.trim().split(/\s+/)[0];
    if (a && isIP(a) && !out.includes(canonicalSan(a))) out.push(canonicalSan(a));
  }
  return out;
}

/**
 * Resolve `name` on host `h` with its own resolver (`getent ahosts`: getaddrinfo, every address
 * of every source, as Go's resolver in kubeadm and kubectl sees them). An address resolves to
 * itself without a command. getent exits 2 when the name is not found (its manual page).
 */
export async function resolveOnHost(h: HostContext, name: string): Promise<Resolution> {
  if (isIP(name)) return { addresses: [canonicalSan(name)] };
  const r = await h.read(['getent', 'ahosts', name], { allowFail: true, what: `getent ahosts ${name}` });
  if (r.exitCode === 0) {
    const addresses = parseGetentAhosts(r.stdout);
    return addresses.length ? { addresses } : { addresses, error: 'getent printed no address' };
  }
  if (r.exitCode === 2) return { addresses: [], error: "not found by the host's resolver (getent ahosts: exit 2)" };
  return { addresses: [], error: `getent ahosts: exit ${r.exitCode}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n')[0]}` : ''}` };
}

/** Resolve `name` on this machine (getaddrinfo through dns.lookup, every address), within `timeoutMs`. */
export async function resolveHere(name: string, timeoutMs = 5000): Promise<Resolution> {
  if (isIP(name)) return { addresses: [canonicalSan(name)] };
  let timer: NodeJS.Timeout | undefined;
  try {
    const found = await Promise.race([
      lookup(name, { all: true, verbatim: true }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
    const addresses = [...new Set(found.map((a) => canonicalSan(a.address)))];
    return { addresses };
  } catch (e) {
    const code = (e as { code?: string }).code;
    return { addresses: [], error: code === 'ENOTFOUND' ? "not found by this machine's resolver" : (e as Error).message };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** The host's own interface addresses (`ip -o addr show`), canonical: where a VIP held by this host shows. */
export async function interfaceAddresses(h: HostContext): Promise<string[]> {
  const r = await h.read(['ip', '-o', 'addr', 'show'], { allowFail: true, what: 'ip -o addr show' });
  if (r.exitCode !== 0) return [];
  return [...new Set([...r.stdout.matchAll(/\binet6? ([0-9a-fA-F.:]+)\//g)].map((m) => canonicalSan(m[1]!)))];
}
