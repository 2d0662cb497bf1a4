/**
 * What `kubeadm certs renew all` renews on a master (leaf certs and the client certs embedded in
 * kubeconfigs), the CAs it must keep, read on the host with openssl, and the before/after check.
 */
import type { Fact } from '../../lib/core/types.js';
import { K8S, PKI } from '../../lib/facts/paths.js';

/** Leaf certificates kubeadm renews (those of a stacked-etcd master; absent ones are skipped). */
export const RENEWED_CERTS = [
  'apiserver',
  'apiserver-kubelet-client',
  'apiserver-etcd-client',
  'front-proxy-client',
  'etcd/server',
  'etcd/peer',
  'etcd/healthcheck-client',
].map((b) => `${PKI}/${b}.crt`);
/** Kubeconfigs whose embedded client cert kubeadm renews (kubelet.conf is not one: the kubelet rotates its own). */
export const RENEWED_KUBECONFIGS = ['admin.conf', 'super-admin.conf', 'controller-manager.conf', 'scheduler.conf'].map((f) => `${K8S}/${f}`);
/** The CAs renewal must keep. */
export const CAS = ['ca', 'front-proxy-ca', 'etcd/ca'].map((b) => `${PKI}/${b}.crt`);

/** One certificate as read on a host. */
export interface CertInfo {
  path: string;
  kind: 'leaf' | 'ca';
  serial: string;
  /** notAfter, ISO. */
  notAfter: string;
  /** SHA-256 fingerprint, `AB:CD:...`. */
  fingerprint: string;
}

/** $@ = `ca` paths, `--`, leaf cert paths, `--`, kubeconfigs. Prints `kind|path|serial|notAfter|fingerprint`. */
const SCRIPT = `t=$(mktemp); trap 'rm -f "$t"' EXIT
one() { o=$(openssl x509 -noout -serial -enddate -fingerprint -sha256 -in "$3" 2>/dev/null) || return 0
  printf '%s|%s|%s|%s|%s\\n' "$1" "$2" "$(printf '%s\\n' "$o" | sed -n 's/^serial=//p')" "$(printf '%s\\n' "$o" | sed -n 's/^notAfter=//p')" "$(printf '%s\\n' "$o" | sed -n 's/^.*Fingerprint=//p')"; }
kind=ca
for f in "$@"; do
  case "$f" in --) [ $kind = ca ] && kind=leaf || kind=conf; continue ;; esac
  [ -f "$f" ] || continue
  if [ $kind != conf ]; then one $kind "$f" "$f"; continue; fi
  d=$(sed -n 's/^ *client-certificate-data: *//p' "$f" | head -1)
  [ -n "$d" ] && printf %s "$d" | base64 -d > "$t" 2>/dev/null && one leaf "$f" "$t"
done; exit 0`;

/** Parse the script's lines (lines that do not parse are dropped). */
export function parseCerts(out: string): CertInfo[] {
  const certs: CertInfo[] = [];
  for (const line of out.split('\n')) {
    const [kind, path, serial, end, fp] = line.trim().split('|');
    const ms = Date.parse(end ?? '');
    if ((kind !== 'leaf' && kind !== 'ca') || !path || !serial || Number.isNaN(ms) || !fp) continue;
    certs.push({ kind, path, serial: serial.toUpperCase(), notAfter: new Date(ms).toISOString(), fingerprint: fp.toUpperCase() });
  }
  return certs;
}

/** Fact: the CAs and every renewable leaf of a master (read-only). `tag` keeps before and after apart in the per-run cache. */
export function masterCerts(tag: 'before' | 'after'): Fact<CertInfo[]> {
  return {
    id: `renew:certs:${tag}`,
    argv: ['sh', '-c', SCRIPT, 'sh', ...CAS, '--', ...RENEWED_CERTS, '--', ...RENEWED_KUBECONFIGS],
    parse: (out) => parseCerts(out),
  };
}

/** Leaves already past their notAfter at `now`. */
export function expiredLeaves(certs: readonly CertInfo[], now: number): CertInfo[] {
  return certs.filter((c) => c.kind === 'leaf' && Date.parse(c.notAfter) <= now);
}

/** What is wrong after a renewal: a leaf not renewed (same serial, notAfter not later, gone) or a CA changed. Empty: all good. */
export function compareRenewal(before: readonly CertInfo[], after: readonly CertInfo[]): string[] {
  const now = new Map(after.map((c) => [c.path, c]));
  const problems: string[] = [];
  for (const b of before) {
    const a = now.get(b.path);
    if (!a) problems.push(`${b.path}: gone after the renewal`);
    else if (b.kind === 'ca') {
      if (a.fingerprint !== b.fingerprint) problems.push(`${b.path}: the CA changed (${b.fingerprint.slice(0, 23)}... -> ${a.fingerprint.slice(0, 23)}...)`);
    } else if (a.serial === b.serial) problems.push(`${b.path}: not renewed (serial ${b.serial} unchanged)`);
    else if (Date.parse(a.notAfter) <= Date.parse(b.notAfter)) problems.push(`${b.path}: notAfter ${a.notAfter} is not later than before (${b.notAfter})`);
  }
  return problems;
}
