/**
 * Which CA each certificate and kubeconfig of each host chains to, found as an operator would:
 * the candidate CAs are read from the hosts over ssh (and remembered in DIR/cas/, so a CA that
 * was wiped is still recognised), and every cert is checked with `openssl verify` on its host.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import PQueue from 'p-queue';
import type { Host, LabDir } from './labdir.js';
import { ssh } from './ssh.js';

/** A CA known to the lab: its SHA256 fingerprint (hex, no colons) and subject CN. */
export interface KnownCA {
  fingerprint: string;
  cn: string;
  pem: string;
}

/** What one cert on a host chains to. */
export interface CertCheck {
  /** fingerprint of the CA it verifies against, or "none" */
  ca: string;
  expired: boolean;
}

/** Per host: path (kubeconfigs as `/etc/kubernetes/x.conf`, their trusted CA as `x.conf#trusts`) to check. */
export type HostChains = Record<string, CertCheck>;

const COLLECT = `for f in /etc/kubernetes/pki/ca.crt /etc/kubernetes/pki/front-proxy-ca.crt /etc/kubernetes/pki/etcd/ca.crt; do
  [ -f "$f" ] && cat "$f" && echo
done
for k in /etc/kubernetes/*.conf; do
  [ -f "$k" ] || continue
  a=$(sed -n 's/^ *certificate-authority-data: *//p' "$k" | head -1)
  [ -n "$a" ] && echo "$a" | base64 -d && echo
done
exit 0
`;

const CHECK = `tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
awk -v d="$tmp" '/^#CA /{f=d "/" $2 ".pem"; next} {print > f}'
check() {
  ca=none
  for c in "$tmp"/*.pem; do
    [ -f "$c" ] || continue
    if openssl verify -no_check_time -CAfile "$c" "$2" >/dev/null 2>&1; then ca=$(basename "$c" .pem); break; fi
  done
  if openssl x509 -noout -checkend 0 -in "$2" >/dev/null 2>&1; then exp=valid; else exp=expired; fi
  echo "$1 $ca $exp"
}
for f in $(find /etc/kubernetes/pki -name '*.crt' 2>/dev/null | sort); do check "$f" "$f"; done
for f in /var/lib/kubelet/pki/kubelet-client-current.pem /var/lib/kubelet/pki/kubelet-server-current.pem; do
  [ -f "$f" ] && check "$f" "$f"
done
for k in /etc/kubernetes/*.conf; do
  [ -f "$k" ] || continue
  d=$(sed -n 's/^ *client-certificate-data: *//p' "$k" | head -1)
  if [ -n "$d" ]; then echo "$d" | base64 -d >"$tmp/cc"; check "$k" "$tmp/cc"; fi
  a=$(sed -n 's/^ *certificate-authority-data: *//p' "$k" | head -1)
  if [ -n "$a" ]; then echo "$a" | base64 -d >"$tmp/cc"; check "$k#trusts" "$tmp/cc"; fi
done
exit 0
`;

function splitPems(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** The CA of a PEM, by fingerprint. */
export function knownCA(pem: string): KnownCA {
  const c = new X509Certificate(pem);
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(c.subject)?.[1] ?? c.subject;
  return { fingerprint: c.fingerprint256.replace(/:/g, '').toLowerCase(), cn, pem: pem.trim() + '\n' };
}

/** Reads every CA on the hosts over ssh, adds them to DIR/cas/, and returns all CAs ever seen. */
export async function collectCAs(lab: LabDir, hosts: Host[] = lab.hosts): Promise<Map<string, KnownCA>> {
  const store = join(lab.dir, 'cas');
  mkdirSync(store, { recursive: true });
  const q = new PQueue({ concurrency: 10 });
  await Promise.all(
    hosts.map((h) =>
      q.add(async () => {
        const r = await ssh(lab, h, ['bash', '-s'], { input: COLLECT, timeoutMs: 60_000 });
        for (const pem of splitPems(r.stdout)) {
          const ca = knownCA(pem);
          const f = join(store, `${ca.fingerprint}.pem`);
          if (!existsSync(f)) writeFileSync(f, ca.pem);
        }
      }),
    ),
  );
  const all = new Map<string, KnownCA>();
  for (const f of readdirSync(store)
    .filter((x) => x.endsWith('.pem'))
    .sort()) {
    const ca = knownCA(readFileSync(join(store, f), 'utf8'));
    all.set(ca.fingerprint, ca);
  }
  return all;
}

/** On each host, which known CA each cert and kubeconfig chains to (openssl verify on the host). */
export async function chainsOf(lab: LabDir, cas: Map<string, KnownCA>, hosts: Host[] = lab.hosts): Promise<Record<string, HostChains | { error: string }>> {
  const input = [...cas.values()].map((c) => `#CA ${c.fingerprint}\n${c.pem}`).join('');
  const out: Record<string, HostChains | { error: string }> = {};
  const q = new PQueue({ concurrency: 10 });
  await Promise.all(
    hosts.map((h) =>
      q.add(async () => {
        const r = await ssh(lab, h, ['bash', '-c', `set -u; ${CHECK}`], { input, timeoutMs: 120_000 });
        if (r.code !== 0) {
          out[h.name] = { error: `ssh ${h.name}: exit ${r.code}: ${r.stderr.trim()}` };
          return;
        }
        const chains: HostChains = {};
        for (const line of r.stdout.split('\n')) {
          const [path, ca, exp] = line.split(' ');
          if (path && ca && exp) chains[path] = { ca, expired: exp === 'expired' };
        }
        out[h.name] = chains;
      }),
    ),
  );
  return out;
}

/** Fingerprints of the CAs on the masters now: {m1: {ca, front-proxy-ca, etcd/ca}} (missing files omitted). */
export async function caFingerprints(lab: LabDir): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  await Promise.all(
    lab.masters.map(async (m) => {
      const r = await ssh(
        lab,
        m,
        ['bash', '-c', 'for f in ca front-proxy-ca etcd/ca; do echo "#F $f"; cat /etc/kubernetes/pki/$f.crt 2>/dev/null; done; exit 0'],
        { timeoutMs: 60_000 },
      );
      const row: Record<string, string> = {};
      for (const part of r.stdout.split('#F ').slice(1)) {
        const name = part.slice(0, part.indexOf('\n'));
        const pem = splitPems(part)[0];
        if (pem) row[name] = knownCA(pem).fingerprint;
      }
      out[m.name] = row;
    }),
  );
  return out;
}
