/**
 * The names and addresses a node's kubelet serving certificate may hold: what the INVENTORY says
 * about that host (its name, its address, and the `servingSANs` an operator lists), never what
 * the node reports about itself. Some values belong to no node whatever a list says: wildcards,
 * the apiserver's service names, loopback names, the control-plane endpoint (unless it is the
 * node's own address) and any other host's name, address or servingSANs. Used by the inventory
 * loader (refuses such servingSANs, naming the line) and by the CSR policy (lib/kube/csr-policy.ts).
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { DocPath } from './document.js';
import { splitHostPort } from './syntax.js';

/** What the rules need of an inventory (also the raw, not yet validated one). */
export interface SanInventory {
  controlPlaneEndpoint: string;
  hosts: ReadonlyArray<{ name: string; address: string; servingSANs?: readonly string[] }>;
}

/** The comparable form of a name or address: lowercase, no trailing dot, IPv6 compressed. */
export function canonicalSan(value: string): string {
  const v = value.trim().toLowerCase().replace(/\.$/, '');
  if (isIPv6(v)) {
    try {
      return new URL(`http://[${v}]/`).hostname.slice(1, -1);
    } catch {
      return v;
    }
  }
  return v;
}

/** The apiserver's own names (kubeadm puts them in its serving certificate): `kubernetes`, `kubernetes.default`, `kubernetes.default.svc[.DOMAIN]`. */
const APISERVER_NAME = /^kubernetes(\.default(\.svc(\..+)?)?)?$/;

/** True for a loopback name or address (valid on every host: it names none of them). */
function loopback(v: string): boolean {
  if (v === 'localhost' || v.endsWith('.localhost')) return true;
  if (isIPv4(v)) return v.startsWith('127.');
  return v === '::1';
}

/**
 * Why `value` may never be in host `self`'s serving certificate, or undefined when only a list
 * can tell (`self` is the host's inventory name).
 */
export function forbiddenSan(value: string, self: string, inv: SanInventory): string | undefined {
  const v = canonicalSan(value);
  if (v.includes('*')) return 'is a wildcard';
  if (APISERVER_NAME.test(v)) return "is the apiserver's service name";
  if (loopback(v)) return 'is a loopback name or address (it names every host)';
  const me = inv.hosts.find((h) => h.name === self);
  const mine = me ? [me.name, me.address].map(canonicalSan) : [];
  const endpoint = splitHostPort(inv.controlPlaneEndpoint)?.host;
  if (endpoint !== undefined && canonicalSan(endpoint) === v && !mine.includes(v)) return 'is the control-plane endpoint';
  for (const h of inv.hosts) {
    if (h.name === self) continue;
    if ([h.name, h.address, ...(h.servingSANs ?? [])].some((x) => canonicalSan(x) === v)) return `belongs to host ${h.name}`;
  }
  return undefined;
}

/** The SANs host `name` may have, canonical: its inventory name and address and its servingSANs. */
export function allowedSans(host: { name: string; address: string; servingSANs?: readonly string[] }): Set<string> {
  return new Set([host.name, host.address, ...(host.servingSANs ?? [])].map(canonicalSan));
}

/** Loader check: every host's servingSANs entry that may never be its own, as an issue at that entry. */
export function checkServingSans(data: unknown, issue: (path: DocPath, message: string) => void): void {
  const top = data as { controlPlaneEndpoint?: unknown; hosts?: unknown } | null;
  if (!top || !Array.isArray(top.hosts)) return;
  const hosts = top.hosts.filter(
    (h): h is { name: string; address: string; servingSANs?: unknown } => !!h && typeof h.name === 'string' && typeof h.address === 'string',
  );
  const inv: SanInventory = {
    controlPlaneEndpoint: typeof top.controlPlaneEndpoint === 'string' ? top.controlPlaneEndpoint : '',
    hosts: hosts.map((h) => ({
      name: h.name,
      address: h.address,
      servingSANs: Array.isArray(h.servingSANs) ? h.servingSANs.filter((s): s is string => typeof s === 'string') : [],
    })),
  };
  top.hosts.forEach((h: { name?: unknown; servingSANs?: unknown }, i: number) => {
    if (!h || typeof h.name !== 'string' || !Array.isArray(h.servingSANs)) return;
    h.servingSANs.forEach((s: unknown, j: number) => {
      if (typeof s !== 'string' || s.includes('*')) return; // not a string, a wildcard: the schema says so
      const why = forbiddenSan(s, h.name as string, inv);
      if (why) issue(['hosts', i, 'servingSANs', j], `${JSON.stringify(s)} ${why}: never in a serving certificate of ${h.name as string}`);
    });
  });
}
