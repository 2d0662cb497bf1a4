/** renew-certs' certificate reading and its before/after check (pure). */
import test from 'ava';
import { type CertInfo, compareRenewal, expiredLeaves, parseCerts } from '../../playbooks/renew/certs.js';

const OUT = `ca|/etc/kubernetes/pki/ca.crt|63b7d9ee|Nov 26 09:37:30 2036 GMT|50:7a:6f
leaf|/etc/kubernetes/pki/apiserver.crt|0CAF60C1|Oct 30 09:43:31 2026 GMT|DA:68:43
leaf|/etc/kubernetes/admin.conf|5EFB27EB|Oct 30 09:43:32 2026 GMT|66:F0:37
leaf|/etc/kubernetes/broken.conf|||
garbage`;

test('parseCerts: kind, path, serial and fingerprint upper-cased, notAfter as ISO; unreadable lines dropped', (t) => {
  const c = parseCerts(OUT);
  t.deepEqual(
    c.map((x) => x.path),
    ['/etc/kubernetes/pki/ca.crt', '/etc/kubernetes/pki/apiserver.crt', '/etc/kubernetes/admin.conf'],
  );
  t.deepEqual(c[0], { kind: 'ca', path: '/etc/kubernetes/pki/ca.crt', serial: '63B7D9EE', notAfter: '2036-11-26T09:37:30.000Z', fingerprint: '50:7A:6F' });
  t.deepEqual(
    expiredLeaves(c, Date.parse('2026-11-29T00:00:00Z')).map((x) => x.path),
    ['/etc/kubernetes/pki/apiserver.crt', '/etc/kubernetes/admin.conf'],
  );
});

const leaf = (path: string, serial: string, notAfter: string): CertInfo => ({ kind: 'leaf', path, serial, notAfter, fingerprint: serial });
const ca = (path: string, fingerprint: string): CertInfo => ({ kind: 'ca', path, serial: '01', notAfter: '2036-01-01T00:00:00.000Z', fingerprint });

test('compareRenewal: nothing to say when every leaf has a new serial and a later notAfter and the CAs are the same', (t) => {
  const before = [ca('ca.crt', 'AA'), leaf('apiserver.crt', '01', '2026-10-30T00:00:00.000Z')];
  const after = [ca('ca.crt', 'AA'), leaf('apiserver.crt', '02', '2027-11-29T00:00:00.000Z')];
  t.deepEqual(compareRenewal(before, after), []);
});

test('compareRenewal: names a leaf not renewed, one with an earlier notAfter, one gone, and a CA that changed', (t) => {
  const before = [
    ca('ca.crt', 'AA'),
    leaf('a.crt', '01', '2027-01-01T00:00:00.000Z'),
    leaf('b.crt', '01', '2027-01-01T00:00:00.000Z'),
    leaf('c.crt', '01', '2027-01-01T00:00:00.000Z'),
  ];
  const after = [ca('ca.crt', 'BB'), leaf('a.crt', '01', '2028-01-01T00:00:00.000Z'), leaf('b.crt', '02', '2026-12-01T00:00:00.000Z')];
  const p = compareRenewal(before, after);
  t.is(p.length, 4);
  t.regex(p.join('\n'), /ca\.crt: the CA changed/);
  t.regex(p.join('\n'), /a\.crt: not renewed \(serial 01 unchanged\)/);
  t.regex(p.join('\n'), /b\.crt: notAfter 2026-12-01T00:00:00.000Z is not later/);
  t.regex(p.join('\n'), /c\.crt: gone after the renewal/);
});
