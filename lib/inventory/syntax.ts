/** Syntax rules for inventory values; they also keep shell metacharacters out of names, addresses, users and labels. */
import { isIPv4, isIPv6 } from 'node:net';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HOST_LABEL = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$/;
const POSIX_USER = /^[a-z_][a-z0-9_-]*[$]?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** True for a DNS-1123 label (cluster names): lowercase alphanumerics and '-', at most 63 characters. */
export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS_LABEL.test(s);
}

/** True for a DNS-1123 subdomain (host names): dot-separated labels, at most 253 characters. */
export function isDnsSubdomain(s: string): boolean {
  return s.length <= 253 && s.split('.').every(isDnsLabel);
}

/** True for a DNS host name (case-insensitive RFC 1123); an all-numeric last label is refused (a bad IPv4). */
export function isHostname(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  const labels = s.replace(/\.$/, '').split('.');
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return false;
  return labels.every((l) => l.length <= 63 && HOST_LABEL.test(l));
}

/** True for an IPv4 address, an IPv6 address (no brackets, no zone id) or a DNS name. */
export function isAddress(s: string): boolean {
  return isIPv4(s) || (isIPv6(s) && !s.includes('%')) || isHostname(s);
}

/** True for a POSIX user name (`^[a-z_][a-z0-9_-]*[$]?$`, at most 32 characters). */
export function isPosixUser(s: string): boolean {
  return s.length <= 32 && POSIX_USER.test(s);
}

/** True for a Kubernetes label key: `[prefix/]name`, prefix a DNS subdomain, name at most 63 characters. */
export function isLabelKey(s: string): boolean {
  const slash = s.indexOf('/');
  const name = slash < 0 ? s : s.slice(slash + 1);
  if (slash >= 0 && !isDnsSubdomain(s.slice(0, slash))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

/** True for a Kubernetes label value: empty, or at most 63 alphanumerics with '-', '_', '.' inside. */
export function isLabelValue(s: string): boolean {
  return s === '' || (s.length <= 63 && LABEL_NAME.test(s));
}

/** True for a TCP port (integer 1..65535). */
export function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** Split `host:port` (IPv6 as `[::1]:6443`); undefined when the shape is wrong. */
export function splitHostPort(s: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s) ?? /^([^:[\]]+):(\d{1,5})$/.exec(s);
  if (!m) return undefined;
  return { host: m[1]!, port: Number(m[2]) };
}

/** Parse `[user@]host[:port]` (IPv6 host in brackets); undefined when the shape is wrong. */
export function splitUserHostPort(s: string): { user?: string; host: string; port?: number } | undefined {
  const m = /^(?:([^@]+)@)?(?:\[([^\]]+)\]|([^:@[\]]+))(?::(\d{1,5}))?$/.exec(s);
  if (!m) return undefined;
  return { user: m[1], host: (m[2] ?? m[3])!, port: m[4] === undefined ? undefined : Number(m[4]) };
}

/** Parse a duration (Go's forms: `500ms`, `10s`, `1m30s`, `1h`) into milliseconds; undefined when malformed or zero. */
export { parseDuration } from './duration.js';

/** A value shown safely inside an error message (quoted, control characters escaped, cut at 60 characters). */
export function shown(v: unknown): string {
  const s = typeof v === 'string' ? v : String(v);
  const cut = s.length > 60 ? `${s.slice(0, 57)}...` : s;
  return JSON.stringify(cut);
}
