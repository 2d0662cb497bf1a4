/** Fact: notAfter of every certificate and kubeconfig client certificate kubeadm keeps on a host. */
import type { Fact } from '../core/types.js';

/** One certificate's expiry. */
export interface Expiry {
  path: string;
  /** ISO date, or null when openssl could not read it. */
  expires: string | null;
}

const SCRIPT = `t=$(mktemp); trap 'rm -f "$t"' EXIT
one() { d=$(openssl x509 -noout -enddate -in "$2" 2>/dev/null | sed 's/^notAfter=//'); echo "$1|$d"; }
for f in /etc/kubernetes/pki/*.crt /etc/kubernetes/pki/etcd/*.crt /var/lib/kubelet/pki/kubelet-client-current.pem; do [ -f "$f" ] && one "$f" "$f"; done
for f in /etc/kubernetes/*.conf; do [ -f "$f" ] || continue
  d=$(sed -n 's/^ *client-certificate-data: *//p' "$f" | head -1)
  if [ -n "$d" ]; then printf %s "$d" | base64 -d > "$t" 2>/dev/null; one "$f" "$t"; continue; fi
  p=$(sed -n 's/^ *client-certificate: *//p' "$f" | head -1); [ -n "$p" ] && [ -f "$p" ] && one "$f" "$p"
done; exit 0`;

/** Parse \`path|notAfter\` lines. */
export function parseExpiries(out: string): Expiry[] {
  return out
    .split('\n')
    .filter((l) => l.includes('|'))
    .map((l) => {
      const [path, d] = l.trim().split('|');
      const ms = Date.parse(d ?? '');
      return { path: path!, expires: Number.isNaN(ms) ? null : new Date(ms).toISOString() };
    });
}

/** Expiry of the host's certificates and kubeconfigs (read-only). */
export const certExpiries: Fact<Expiry[]> = { id: 'doctor:cert-expiries', argv: ['sh', '-c', SCRIPT], parse: (out) => parseExpiries(out) };
