/**
 * Fact: which certificates and kubeconfigs on a host chain to a given CA, checked ON the host
 * with `openssl verify` (the CA's PEM goes on stdin into a temporary file, removed at once).
 */
import type { Role } from '../inventory/types.js';
import type { HostContext } from '../core/types.js';
import { CA_CRT, KUBELET_CLIENT, MASTER_KUBECONFIGS, MASTER_LEAF_CERTS } from './paths.js';

/** One checked file: `ok` (chains), `bad` (does not), `absent`. */
export interface ChainResult {
  path: string;
  status: 'ok' | 'bad' | 'absent';
}

/** Script: $1 = files (certs), kubeconfigs follow `--`; CA PEM on stdin. Prints `<status> <path>`. `@TIME@`: openssl verify's time option. */
const SCRIPT = `set -u
ca=$(mktemp); trap 'rm -f "$ca" "$ca.c"' EXIT; cat > "$ca"
check() { if openssl verify @TIME@-CAfile "$ca" "$2" >/dev/null 2>&1; then echo "ok $1"; else echo "bad $1"; fi; }
mode=cert
for f in "$@"; do
  if [ "$f" = -- ]; then mode=conf; continue; fi
  if [ ! -f "$f" ]; then echo "absent $f"; continue; fi
  if [ $mode = cert ]; then check "$f" "$f"; continue; fi
  d=$(sed -n 's/^ *client-certificate-data: *//p' "$f" | head -1)
  if [ -n "$d" ]; then printf %s "$d" | base64 -d > "$ca.c" 2>/dev/null; check "$f" "$ca.c"; continue; fi
  p=$(sed -n 's/^ *client-certificate: *//p' "$f" | head -1)
  if [ -n "$p" ] && [ -f "$p" ]; then check "$f" "$p"; else echo "bad $f"; fi
done`;

/** Parse the `<status> <path>` lines. */
export function parseChains(out: string): ChainResult[] {
  return out
    .split('\n')
    .map((l) => /^(ok|bad|absent) (\S+)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ status: m[1] as ChainResult['status'], path: m[2] }));
}

/** The files checked on a host of this role; `caFile`: where it keeps the cluster CA (kubeadm's CA_CRT; a kubespray worker's is /etc/kubernetes/ssl/ca.crt). */
export function chainTargets(role: Role, caFile: string = CA_CRT): { certs: string[]; kubeconfigs: string[] } {
  if (role === 'etcd') return { certs: [], kubeconfigs: [] }; // a separate etcd host: no kubelet, no cluster CA files
  return role === 'master'
    ? { certs: [caFile, ...MASTER_LEAF_CERTS, KUBELET_CLIENT], kubeconfigs: MASTER_KUBECONFIGS }
    : { certs: [caFile, KUBELET_CLIENT], kubeconfigs: ['/etc/kubernetes/kubelet.conf'] };
}

/**
 * Check, on the host, which of its certs and kubeconfigs chain to `caPem` (read-only). With
 * `ignoreTime` an expired cert that chains counts as `ok` (its expiry is a separate question);
 * `caFile` is where the host keeps the cluster CA (chainTargets).
 */
export async function chainsTo(h: HostContext, caPem: string, opts: { ignoreTime?: boolean; caFile?: string } = {}): Promise<ChainResult[]> {
  const t = chainTargets(h.host.role, opts.caFile);
  const r = await h.read(['sh', '-c', SCRIPT.replace('@TIME@', opts.ignoreTime ? '-no_check_time ' : ''), 'sh', ...t.certs, '--', ...t.kubeconfigs], {
    stdin: caPem,
    what: 'openssl verify against the cluster CA',
  });
  return parseChains(r.stdout);
}
