/**
 * The lab's witness of which CA each cert chains to (`lab status`) verifies certificates here, with
 * OpenSSL through node:crypto, instead of one `openssl verify` per cert and CA on the host. This
 * checks that it answers what `openssl verify -no_check_time -CAfile <ca>` (the CAs in the same
 * order, the first that verifies) and `openssl x509 -checkend 0` answer: for a CA replaced by
 * another of the same name, a CA re-issued with the same key, an expired leaf, a cert of an unknown
 * CA and a kubeconfig's client cert and CA data.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempDir } from '../../helpers/tmp.js';
import { newCA, newKey, signCert } from '../sim/pki.js';
import { type KnownCA, chainsFromListing, knownCA } from './fingerprints.js';

const DAY = 24 * 3600_000;

/** What the host-side check answered for one cert: the first CA `openssl verify` accepts, and `-checkend 0`. */
function opensslCheck(dir: string, certPem: string, cas: KnownCA[]): { ca: string; expired: boolean } {
  const certFile = join(dir, 'cert.pem');
  writeFileSync(certFile, certPem);
  let ca = 'none';
  for (const c of cas) {
    const caFile = join(dir, `${c.fingerprint}.pem`);
    writeFileSync(caFile, c.pem);
    try {
      execFileSync('openssl', ['verify', '-no_check_time', '-CAfile', caFile, certFile], { stdio: 'ignore' });
      ca = c.fingerprint;
      break;
    } catch {
      // not this CA
    }
  }
  let expired = false;
  try {
    execFileSync('openssl', ['x509', '-noout', '-checkend', '0', '-in', certFile], { stdio: 'ignore' });
  } catch {
    expired = true;
  }
  return { ca, expired };
}

test('each cert is matched to the CA openssl verify finds, and expired as openssl says', async (t) => {
  const key1 = await newKey();
  const ca1 = await newCA('kubernetes', { key: key1 });
  const ca1Again = await newCA('kubernetes', { key: key1 }); // renewed with the same key: either verifies
  const ca2 = await newCA('kubernetes'); // the replaced CA: same name, another key
  const unknown = await newCA('kubernetes');
  const etcdCa = await newCA('etcd-ca');
  const leafKey = await newKey();
  const leaf = (ca: typeof ca1, cn: string, past = false) =>
    signCert({
      ca,
      key: leafKey,
      cn,
      usages: ['client'],
      ...(past ? { notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() - DAY) } : {}),
    });
  const certs: Record<string, string> = {
    '/etc/kubernetes/pki/ca.crt': ca1.certPem,
    '/etc/kubernetes/pki/apiserver-kubelet-client.crt': await leaf(ca1, 'kube-apiserver-kubelet-client'),
    '/etc/kubernetes/pki/front-proxy-client.crt': await leaf(ca2, 'front-proxy-client', true),
    '/etc/kubernetes/pki/etcd/healthcheck-client.crt': await leaf(etcdCa, 'kube-etcd-healthcheck-client'),
    '/var/lib/kubelet/pki/kubelet-client-current.pem': await leaf(unknown, 'system:node:w1'),
  };
  const adminCert = await leaf(ca2, 'kubernetes-admin');
  const cas = new Map(
    [ca1, ca1Again, ca2, etcdCa]
      .map((c) => knownCA(c.certPem))
      .sort((a, b) => a.fingerprint.localeCompare(b.fingerprint))
      .map((c) => [c.fingerprint, c]),
  );
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const listing =
    Object.entries(certs)
      .map(([path, pem]) => `#F ${path}\n${pem.trim()}\n`)
      .join('') + `#K /etc/kubernetes/admin.conf\nC ${b64(adminCert)}\nA ${b64(ca1Again.certPem)}\n#K /etc/kubernetes/empty.conf\n`;
  const got = chainsFromListing(listing, cas);
  const dir = tempDir(join(tmpdir(), 'kubemend-chains-'));
  const want: Record<string, { ca: string; expired: boolean }> = {};
  for (const [path, pem] of Object.entries(certs)) want[path] = opensslCheck(dir, pem, [...cas.values()]);
  want['/etc/kubernetes/admin.conf'] = opensslCheck(dir, adminCert, [...cas.values()]);
  want['/etc/kubernetes/admin.conf#trusts'] = opensslCheck(dir, ca1Again.certPem, [...cas.values()]);
  t.deepEqual(got, want);
  t.is(got['/var/lib/kubelet/pki/kubelet-client-current.pem'].ca, 'none', 'a cert of a CA never seen chains to none');
  t.true(got['/etc/kubernetes/pki/front-proxy-client.crt'].expired);
  t.is(got['/etc/kubernetes/admin.conf'].ca, knownCA(ca2.certPem).fingerprint, 'the replaced CA is told apart from the one of the same name');
});
