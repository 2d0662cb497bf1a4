/**
 * Which CA each certificate and kubeconfig of each host chains to, found as an operator would:
 * the candidate CAs are read from the hosts over ssh (and remembered in DIR/cas/, so a CA that
 * was wiped is still recognised). Each host's certificates (never a key: only the CERTIFICATE
 * blocks of its files and kubeconfigs) are read over ssh in one command and each is verified here
 * against the known CAs with OpenSSL through node:crypto (issuer name, key identifiers and
 * keyCertSign by `checkIssued`, then the signature by `verify`; times not checked, like `openssl
 * verify -no_check_time`): the same checks as `openssl verify` on the host, without one openssl
 * process per certificate and CA.
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

/** Prints `#F <path>` and the certificate blocks of each cert file, `#K <kubeconfig>` and its two data fields (`C`: client cert, `A`: CA), never a key. */
const READ_CERTS = `for f in $(find /etc/kubernetes/pki -name '*.crt' 2>/dev/null | sort) /var/lib/kubelet/pki/kubelet-client-current.pem /var/lib/kubelet/pki/kubelet-server-current.pem; do
  [ -f "$f" ] || continue
  echo "#F $f"
  sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$f"
done
for k in /etc/kubernetes/*.conf; do
  [ -f "$k" ] || continue
  echo "#K $k"
  sed -n 's/^ *client-certificate-data: */C /p; s/^ *certificate-authority-data: */A /p' "$k"
done
exit 0
`;

/**
 * The fingerprint of the first known CA that issued `cert` (name, key ids, keyCertSign and
 * signature), or "none". A self-signed cert chains only to itself, as openssl verify has it (a CA
 * re-issued with the same name and key verifies its leaves, not the other CA cert).
 */
function issuerOf(cert: X509Certificate, cas: { fingerprint: string; x509: X509Certificate }[]): string {
  if (signedBy(cert, cert)) {
    const own = hexFingerprint(cert);
    return cas.some((c) => c.fingerprint === own) ? own : 'none';
  }
  return cas.find((ca) => signedBy(cert, ca.x509))?.fingerprint ?? 'none';
}

/**
 * Whether `ca` issued `cert` (name, key ids, keyCertSign) and signed it; times not checked. The
 * same test as sim/pki.ts verifyChain without its validity window, not imported from there so
 * that `lab status` does not load the lab's PKI library (@peculiar/x509: ~0.2 CPU-s a start).
 */
function signedBy(cert: X509Certificate, ca: X509Certificate): boolean {
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

/** A cert's SHA-256 fingerprint as the lab names CAs: hex, no colons, lower case. */
function hexFingerprint(c: X509Certificate): string {
  return c.fingerprint256.replace(/:/g, '').toLowerCase();
}

/** The check of one cert (a PEM, its first certificate): its CA and whether it has expired; undefined when it does not parse (as openssl would fail on it). */
function checkPem(pem: string, cas: { fingerprint: string; x509: X509Certificate }[]): CertCheck | undefined {
  const first = splitPems(pem)[0];
  if (!first) return undefined;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(first);
  } catch {
    return undefined;
  }
  return { ca: issuerOf(cert, cas), expired: Date.parse(cert.validTo) <= Date.now() };
}

/** The chains of one host from READ_CERTS' output. */
export function chainsFromListing(listing: string, cas: Map<string, KnownCA>): HostChains {
  const known = [...cas.values()].map((c) => ({ fingerprint: c.fingerprint, x509: new X509Certificate(c.pem) }));
  const chains: HostChains = {};
  const none: CertCheck = { ca: 'none', expired: true };
  for (const part of listing.split(/^#(?=[FK] )/m).slice(1)) {
    const nl = part.indexOf('\n');
    const head = nl < 0 ? part : part.slice(0, nl);
    const body = nl < 0 ? '' : part.slice(nl + 1);
    const path = head.slice(2);
    if (head.startsWith('F ')) {
      chains[path] = checkPem(body, known) ?? none;
      continue;
    }
    const field = (k: string) =>
      body
        .split('\n')
        .find((l) => l.startsWith(`${k} `))
        ?.slice(2)
        .trim();
    const client = field('C');
    if (client) chains[path] = checkPem(Buffer.from(client, 'base64').toString('utf8'), known) ?? none;
    const ca = field('A');
    if (ca) chains[`${path}#trusts`] = checkPem(Buffer.from(ca, 'base64').toString('utf8'), known) ?? none;
  }
  return chains;
}

function splitPems(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** The CA of a PEM, by fingerprint. */
export function knownCA(pem: string): KnownCA {
  const c = new X509Certificate(pem);
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(c.subject)?.[1] ?? c.subject;
  return { fingerprint: hexFingerprint(c), cn, pem: pem.trim() + '\n' };
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

/** On each host, which known CA each cert and kubeconfig chains to (read over ssh, verified here). */
export async function chainsOf(lab: LabDir, cas: Map<string, KnownCA>, hosts: Host[] = lab.hosts): Promise<Record<string, HostChains | { error: string }>> {
  const out: Record<string, HostChains | { error: string }> = {};
  const q = new PQueue({ concurrency: 10 });
  await Promise.all(
    hosts.map((h) =>
      q.add(async () => {
        const r = await ssh(lab, h, ['bash', '-c', READ_CERTS], { timeoutMs: 120_000 });
        if (r.code !== 0) {
          out[h.name] = { error: `ssh ${h.name}: exit ${r.code}: ${r.stderr.trim()}` };
          return;
        }
        out[h.name] = chainsFromListing(r.stdout, cas);
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
