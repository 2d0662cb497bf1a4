/**
 * Fidelity tests of the lab's simulated kubeadm: the files it makes (checked with openssl), its
 * refusals, its outputs, and its API phases against a local etcd + kube-apiserver.
 */
import test from 'ava';
import { existsSync, readFileSync, rmSync, writeFileSync, cpSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import * as pki from './sim/pki.js';
import { computeDetachedSignature, detachedTokenIsValid } from './sim/kubeadm/jws.js';
import { decryptSecretData, encryptCertDir, newCertificateKey, COPIED_FILES, secretKeyOf } from './sim/kubeadm/copycerts.js';
import type { Config } from './sim/kubeadm/config.js';
import { detachedJws } from './sim/controller-manager/jws.js';
import { kubeadm, openssl, snapshot, tempRoot, writeConfig } from './kubeadm-rig.js';
import { startControlPlane } from './controlplane/index.js';
import { KubeClient } from './sim/kubeclient.js';
import { labDir, requireRoot, runLab } from '../helpers/lab.js';
import { etcdctlWitness } from './cluster/etcdctl.js';

const ADDR = '10.75.0.11';
const ENDPOINT = 'cp.lab.test:6443';

/** One PKI tree made with --config, shared by the read-only tests. */
let shared: Promise<{ root: string; pkiDir: string; out: string }> | undefined;
function sharedTree() {
  shared ??= (async () => {
    const root = tempRoot();
    const cfg = writeConfig(root, { addr: ADDR, endpoint: ENDPOINT });
    const r = await kubeadm(root, ['init', 'phase', 'certs', 'all', '--config', cfg]);
    if (r.code !== 0) throw new Error(`certs all: ${r.stderr}`);
    const k = await kubeadm(root, ['init', 'phase', 'kubeconfig', 'all', '--config', cfg]);
    if (k.code !== 0) throw new Error(`kubeconfig all: ${k.stderr}`);
    const m = await kubeadm(root, ['init', 'phase', 'control-plane', 'all', '--config', cfg]);
    const e = await kubeadm(root, ['init', 'phase', 'etcd', 'local', '--config', cfg]);
    if (m.code !== 0 || e.code !== 0) throw new Error(`manifests: ${m.stderr}${e.stderr}`);
    return { root, pkiDir: join(root, 'etc/kubernetes/pki'), out: r.stdout };
  })();
  return shared;
}

async function text(path: string) {
  return openssl(['x509', '-noout', '-text', '-in', path]);
}

function years(info: pki.CertInfo) {
  return (info.notAfter.getTime() - info.notBefore.getTime()) / (365 * 24 * 3600 * 1000);
}

test('pki: chain verifies with openssl, pin hash equals openssl pipeline, CSR round trip', async (t) => {
  const dir = tempRoot('pki-');
  const ca = await pki.newCA('kubernetes');
  const key = await pki.newKey();
  const cert = await pki.signCert({
    ca,
    key,
    cn: 'system:node:w1',
    orgs: ['system:nodes'],
    dnsNames: ['w1'],
    ips: ['10.75.0.21'],
    usages: ['client', 'server'],
  });
  pki.writeKeyPair(dir, 'ca', ca.certPem, ca.keyPem);
  pki.writeKeyPair(dir, 'leaf', cert, key.keyPem);
  t.regex(await openssl(['verify', '-CAfile', join(dir, 'ca.crt'), join(dir, 'leaf.crt')]), /leaf\.crt: OK/);
  const pub = await openssl(['x509', '-pubkey', '-noout', '-in', join(dir, 'ca.crt')]);
  writeFileSync(join(dir, 'pub.pem'), pub);
  await openssl(['pkey', '-pubin', '-in', join(dir, 'pub.pem'), '-outform', 'der', '-out', join(dir, 'pub.der')]);
  const { createHash } = await import('node:crypto');
  t.is(
    pki.caPinHash(ca.certPem),
    'sha256:' +
      createHash('sha256')
        .update(readFileSync(join(dir, 'pub.der')))
        .digest('hex'),
  );
  t.is(readFileSync(join(dir, 'leaf.key')).length > 0 && (await import('node:fs')).statSync(join(dir, 'leaf.key')).mode & 0o777, 0o600);
  const other = await pki.newCA('kubernetes');
  t.false(pki.verifyChain(cert, other.certPem), 'a cert does not chain to another CA with the same name');
  t.true(pki.verifyChain(cert, ca.certPem));
  const csr = await pki.createCSR({ key, cn: 'system:node:w2', orgs: ['system:nodes'], dnsNames: ['w2'], ips: ['10.75.0.22'] });
  t.deepEqual(
    { ...pki.parseCSR(csr), publicKey: undefined },
    { cn: 'system:node:w2', orgs: ['system:nodes'], dnsNames: ['w2'], ips: ['10.75.0.22'], publicKey: undefined },
  );
  const signed = await pki.signCSR(csr, ca, { usages: ['client'], durationSeconds: 3600 });
  const info = pki.readCertInfo(signed);
  t.is(info.cn, 'system:node:w2');
  t.true(info.notAfter.getTime() - Date.now() < 3700_000);
  writeFileSync(join(dir, 'signed.crt'), signed);
  t.regex(await openssl(['verify', '-CAfile', join(dir, 'ca.crt'), join(dir, 'signed.crt')]), /OK/);
});

test('certs all --config: every file has kubeadm CN, O, SANs, usages and validity; chains verify with openssl', async (t) => {
  const { pkiDir, out } = await sharedTree();
  t.regex(
    out,
    /\[certs\] apiserver serving cert is signed for DNS names \[m1 kubernetes kubernetes\.default kubernetes\.default\.svc kubernetes\.default\.svc\.cluster\.local cp\.lab\.test lb\.lab\.test\] and IPs \[10\.96\.0\.1 10\.75\.0\.11 10\.75\.0\.100\]/,
  );
  const expect: Record<string, { cn: string; o?: string; ca: string; eku: string; sans?: string[] }> = {
    apiserver: {
      cn: 'kube-apiserver',
      ca: 'ca',
      eku: 'TLS Web Server Authentication',
      sans: ['DNS:kubernetes.default.svc.cluster.local', 'DNS:cp.lab.test', 'IP Address:10.96.0.1', 'IP Address:10.75.0.11', 'DNS:m1'],
    },
    'apiserver-kubelet-client': { cn: 'kube-apiserver-kubelet-client', o: 'kubeadm:cluster-admins', ca: 'ca', eku: 'TLS Web Client Authentication' },
    'front-proxy-client': { cn: 'front-proxy-client', ca: 'front-proxy-ca', eku: 'TLS Web Client Authentication' },
    'etcd/server': {
      cn: 'm1',
      ca: 'etcd/ca',
      eku: 'TLS Web Server Authentication, TLS Web Client Authentication',
      sans: ['DNS:m1', 'DNS:localhost', 'IP Address:10.75.0.11', 'IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1'],
    },
    'etcd/peer': { cn: 'm1', ca: 'etcd/ca', eku: 'TLS Web Server Authentication, TLS Web Client Authentication', sans: ['IP Address:10.75.0.11'] },
    'etcd/healthcheck-client': { cn: 'kube-etcd-healthcheck-client', ca: 'etcd/ca', eku: 'TLS Web Client Authentication' },
    'apiserver-etcd-client': { cn: 'kube-apiserver-etcd-client', ca: 'etcd/ca', eku: 'TLS Web Client Authentication' },
  };
  for (const [name, e] of Object.entries(expect)) {
    const txt = await text(join(pkiDir, `${name}.crt`));
    t.regex(txt, new RegExp(`Subject: ${e.o ? `O = ${e.o}, ` : ''}CN = ${e.cn}\\n`), name);
    t.regex(txt, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/, name);
    t.true(txt.includes(`X509v3 Extended Key Usage: \n                ${e.eku}\n`), `${name} EKU`);
    t.regex(txt, /CA:FALSE/, name);
    for (const s of e.sans ?? []) t.true(txt.includes(s), `${name} SAN ${s}`);
    t.regex(await openssl(['verify', '-CAfile', join(pkiDir, `${e.ca}.crt`), join(pkiDir, `${name}.crt`)]), /: OK\n/, name);
    const y = years(pki.readCertInfo(readFileSync(join(pkiDir, `${name}.crt`), 'utf8')));
    t.true(Math.abs(y - 1) < 0.01, `${name} is valid one year (${y})`);
  }
  for (const [ca, cn] of [
    ['ca', 'kubernetes'],
    ['front-proxy-ca', 'front-proxy-ca'],
    ['etcd/ca', 'etcd-ca'],
  ]) {
    const txt = await text(join(pkiDir, `${ca}.crt`));
    t.regex(txt, new RegExp(`Subject: CN = ${cn}\\n`));
    t.regex(txt, /CA:TRUE/);
    t.regex(txt, /Certificate Sign/);
    t.true(Math.abs(years(pki.readCertInfo(readFileSync(join(pkiDir, `${ca}.crt`), 'utf8'))) - 10) < 0.01, `${ca} is valid ten years`);
  }
  t.regex(readFileSync(join(pkiDir, 'sa.key'), 'utf8'), /^-----BEGIN RSA PRIVATE KEY-----/);
  t.regex(readFileSync(join(pkiDir, 'sa.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
  // the apiserver cert must NOT verify against another CA (wrong chain fails)
  await t.throwsAsync(openssl(['verify', '-CAfile', join(pkiDir, 'etcd/ca.crt'), join(pkiDir, 'apiserver.crt')]));
});

test('kubeconfigs: users, groups, servers and CA as kubeadm writes them', async (t) => {
  const { root, pkiDir } = await sharedTree();
  const ca = readFileSync(join(pkiDir, 'ca.crt'), 'utf8');
  const want: Record<string, { cn: string; o: string[]; server: string }> = {
    'admin.conf': { cn: 'kubernetes-admin', o: ['kubeadm:cluster-admins'], server: `https://${ENDPOINT}` },
    'super-admin.conf': { cn: 'kubernetes-super-admin', o: ['system:masters'], server: `https://${ENDPOINT}` },
    'kubelet.conf': { cn: 'system:node:m1', o: ['system:nodes'], server: `https://${ENDPOINT}` },
    'controller-manager.conf': { cn: 'system:kube-controller-manager', o: [], server: `https://${ADDR}:6443` },
    'scheduler.conf': { cn: 'system:kube-scheduler', o: [], server: `https://${ADDR}:6443` },
  };
  for (const [f, w] of Object.entries(want)) {
    const kc = pki.parseKubeconfig(readFileSync(join(root, 'etc/kubernetes', f), 'utf8'));
    t.is(kc.server, w.server, f);
    t.is(kc.caPem, ca, f);
    const info = pki.readCertInfo(kc.certPem!);
    t.is(info.cn, w.cn, f);
    t.deepEqual(info.orgs, w.o, f);
    t.true(pki.verifyChain(kc.certPem!, ca), f);
    t.is((await import('node:fs')).statSync(join(root, 'etc/kubernetes', f)).mode & 0o777, 0o600, f);
  }
});

test('manifests carry kubeadm flags, paths and extraArgs', async (t) => {
  const { root } = await sharedTree();
  const cmd = (n: string) => YAML.parse(readFileSync(join(root, 'etc/kubernetes/manifests', `${n}.yaml`), 'utf8')).spec.containers[0].command as string[];
  const etcd = cmd('etcd');
  for (const f of [
    'etcd',
    '--name=m1',
    '--data-dir=/var/lib/etcd',
    `--initial-cluster=m1=https://${ADDR}:2380`,
    `--listen-client-urls=https://127.0.0.1:2379,https://${ADDR}:2379`,
    `--advertise-client-urls=https://${ADDR}:2379`,
    `--listen-peer-urls=https://${ADDR}:2380`,
    `--initial-advertise-peer-urls=https://${ADDR}:2380`,
    '--listen-metrics-urls=http://127.0.0.1:2381',
    '--client-cert-auth=true',
    '--peer-client-cert-auth=true',
    '--snapshot-count=10000',
    '--cert-file=/etc/kubernetes/pki/etcd/server.crt',
    '--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt',
  ])
    t.true(etcd.includes(f), f);
  t.false(
    etcd.some((f) => f.startsWith('--initial-cluster-state')),
    'the first member is a new cluster',
  );
  const api = cmd('kube-apiserver');
  for (const f of [
    `--advertise-address=${ADDR}`,
    '--client-ca-file=/etc/kubernetes/pki/ca.crt',
    '--etcd-servers=https://127.0.0.1:2379',
    '--service-account-key-file=/etc/kubernetes/pki/sa.pub',
    '--tls-cert-file=/etc/kubernetes/pki/apiserver.crt',
    '--enable-bootstrap-token-auth=true',
    '--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt',
    '--secure-port=6443',
  ])
    t.true(api.includes(f), f);
  const cm = cmd('kube-controller-manager');
  for (const f of [
    '--root-ca-file=/etc/kubernetes/pki/ca.crt',
    '--cluster-signing-key-file=/etc/kubernetes/pki/ca.key',
    '--controllers=*,bootstrapsigner,tokencleaner',
    '--kubeconfig=/etc/kubernetes/controller-manager.conf',
    '--cluster-cidr=10.244.0.0/16',
    '--lab-eviction-timeout=30s',
    '--use-service-account-credentials=true',
  ])
    t.true(cm.includes(f), f);
  t.true(cmd('kube-scheduler').includes('--kubeconfig=/etc/kubernetes/scheduler.conf'));
});

test('never overwrites: a second run keeps every file byte-identical and says so', async (t) => {
  const { root } = await sharedTree();
  const cfg = join(root, 'cfg.yaml');
  const before = snapshot(join(root, 'etc/kubernetes/pki'));
  const confs = ['admin.conf', 'kubelet.conf', 'scheduler.conf'].map((f) => readFileSync(join(root, 'etc/kubernetes', f), 'utf8'));
  const r = await kubeadm(root, ['init', 'phase', 'certs', 'all', '--config', cfg]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /\[certs\] Using existing ca certificate authority/);
  t.regex(r.stdout, /\[certs\] Using existing apiserver certificate and key on disk/);
  t.regex(r.stdout, /\[certs\] Using the existing "sa" key/);
  t.notRegex(r.stdout, /Generating/);
  const k = await kubeadm(root, ['init', 'phase', 'kubeconfig', 'all', '--config', cfg]);
  t.is(k.code, 0, k.stderr);
  t.regex(k.stdout, /\[kubeconfig\] Using existing kubeconfig file: "\/etc\/kubernetes\/admin\.conf"/);
  t.deepEqual(snapshot(join(root, 'etc/kubernetes/pki')), before);
  t.deepEqual(
    ['admin.conf', 'kubelet.conf', 'scheduler.conf'].map((f) => readFileSync(join(root, 'etc/kubernetes', f), 'utf8')),
    confs,
  );
});

test('refusals: kubeconfig with the wrong CA; leaf kept while its CA is missing; leaf from another CA', async (t) => {
  const { root } = await sharedTree();
  const r2 = tempRoot();
  cpSync(join(root, 'etc'), join(r2, 'etc'), { recursive: true });
  const cfg = writeConfig(r2, { addr: ADDR, endpoint: ENDPOINT });
  // new CA, old admin.conf: the real error, exit 1
  rmSync(join(r2, 'etc/kubernetes/pki/ca.crt'));
  rmSync(join(r2, 'etc/kubernetes/pki/ca.key'));
  const leafMissingCA = await kubeadm(r2, ['init', 'phase', 'certs', 'apiserver', '--config', cfg]);
  t.is(leafMissingCA.code, 1);
  t.regex(
    leafMissingCA.stderr,
    /^error execution phase certs\/apiserver: couldn't load CA certificate ca: couldn't load the certificate file \/.*\/etc\/kubernetes\/pki\/ca\.crt: open .*: no such file or directory\n/,
  );
  const ca = await kubeadm(r2, ['init', 'phase', 'certs', 'ca', '--config', cfg]);
  t.is(ca.code, 0, ca.stderr);
  const wrong = await kubeadm(r2, ['init', 'phase', 'kubeconfig', 'admin', '--config', cfg]);
  t.is(wrong.code, 1);
  t.is(
    wrong.stderr,
    'error execution phase kubeconfig/admin: a kubeconfig file "/etc/kubernetes/admin.conf" exists already but has got the wrong CA cert\nTo see the stack trace of this error execute with --v=5 or higher\n',
  );
  const leaf = await kubeadm(r2, ['init', 'phase', 'certs', 'apiserver', '--config', cfg]);
  t.is(leaf.code, 1);
  t.regex(
    leaf.stderr,
    /error execution phase certs\/apiserver: \[certs\] certificate apiserver not signed by CA certificate ca: crypto\/rsa: verification error/,
  );
});

test('certs all without --config falls back to defaults: no controlPlaneEndpoint, no extra SANs (the trap)', async (t) => {
  const root = tempRoot();
  // `certs apiserver` has no --node-name (real kubeadm: unknown flag): the node name is the hostname
  const r = await kubeadm(root, ['init', 'phase', 'certs', 'apiserver', '--apiserver-advertise-address', ADDR], {});
  t.is(r.code, 1, 'no CA yet');
  await kubeadm(root, ['init', 'phase', 'certs', 'ca']);
  const a = await kubeadm(root, ['init', 'phase', 'certs', 'apiserver', '--apiserver-advertise-address', ADDR]);
  t.is(a.code, 0, a.stderr);
  const info = pki.readCertInfo(readFileSync(join(root, 'etc/kubernetes/pki/apiserver.crt'), 'utf8'));
  t.deepEqual(info.dnsNames, [hostname().toLowerCase(), 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local']);
  t.deepEqual(info.ips, ['10.96.0.1', ADDR]);
  const { pkiDir } = await sharedTree();
  const withCfg = pki.readCertInfo(readFileSync(join(pkiDir, 'apiserver.crt'), 'utf8'));
  t.true(withCfg.dnsNames.includes('cp.lab.test') && withCfg.ips.includes('10.75.0.100'));
  const k = await kubeadm(root, ['init', 'phase', 'kubeconfig', 'admin', '--apiserver-advertise-address', ADDR]);
  t.is(k.code, 0, k.stderr);
  t.is(
    pki.parseKubeconfig(readFileSync(join(root, 'etc/kubernetes/admin.conf'), 'utf8')).server,
    `https://${ADDR}:6443`,
    'admin.conf points at this node, not the endpoint',
  );
});

test('certs check-expiration prints the real tables; certs renew keeps the CA and renews leaves with the same SANs', async (t) => {
  const { root } = await sharedTree();
  const r2 = tempRoot();
  cpSync(join(root, 'etc'), join(r2, 'etc'), { recursive: true });
  const cfg = writeConfig(r2, { addr: ADDR, endpoint: ENDPOINT });
  const chk = await kubeadm(r2, ['certs', 'check-expiration', '--config', cfg]);
  t.is(chk.code, 0, chk.stderr);
  const lines = chk.stdout.split('\n');
  t.regex(chk.stdout, /^CERTIFICATE {16}EXPIRES {18}RESIDUAL TIME {3}CERTIFICATE AUTHORITY {3}EXTERNALLY MANAGED$/m);
  t.regex(chk.stdout, /^admin\.conf {17}[A-Z][a-z]{2} \d\d, \d{4} \d\d:\d\d UTC {3}36[45]d {12}ca {22}no {6}$/m);
  t.regex(chk.stdout, /^etcd-server {16}.* etcd-ca {17}no/m);
  t.regex(chk.stdout, /^front-proxy-client .* front-proxy-ca /m);
  t.regex(chk.stdout, /^CERTIFICATE AUTHORITY {3}EXPIRES {18}RESIDUAL TIME {3}EXTERNALLY MANAGED$/m);
  t.regex(chk.stdout, /^ca {22}[A-Z][a-z]{2} \d\d, \d{4} \d\d:\d\d UTC {3}9y {14}no {6}$/m);
  const head = lines.findIndex((l) => l.startsWith('CERTIFICATE '));
  const rows = lines.slice(head + 1, lines.indexOf('', head));
  t.deepEqual(
    rows.map((l) => l.split(' ')[0]),
    [
      'admin.conf',
      'apiserver',
      'apiserver-etcd-client',
      'apiserver-kubelet-client',
      'controller-manager.conf',
      'etcd-healthcheck-client',
      'etcd-peer',
      'etcd-server',
      'front-proxy-client',
      'scheduler.conf',
      'super-admin.conf',
    ],
  );
  const caBefore = readFileSync(join(r2, 'etc/kubernetes/pki/ca.crt'), 'utf8');
  const apiBefore = readFileSync(join(r2, 'etc/kubernetes/pki/apiserver.crt'), 'utf8');
  const adminBefore = pki.parseKubeconfig(readFileSync(join(r2, 'etc/kubernetes/admin.conf'), 'utf8')).certPem!;
  const ren = await kubeadm(r2, ['certs', 'renew', 'all', '--config', cfg]);
  t.is(ren.code, 0, ren.stderr);
  t.regex(ren.stdout, /certificate for serving the Kubernetes API renewed/);
  t.regex(
    ren.stdout,
    /Done renewing certificates\. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates\./,
  );
  t.is(readFileSync(join(r2, 'etc/kubernetes/pki/ca.crt'), 'utf8'), caBefore, 'the CA is kept');
  const apiAfter = readFileSync(join(r2, 'etc/kubernetes/pki/apiserver.crt'), 'utf8');
  t.not(apiAfter, apiBefore);
  t.deepEqual(pki.readCertInfo(apiAfter).sans, pki.readCertInfo(apiBefore).sans);
  t.true(pki.verifyChain(apiAfter, caBefore));
  const adminAfter = pki.parseKubeconfig(readFileSync(join(r2, 'etc/kubernetes/admin.conf'), 'utf8')).certPem!;
  t.not(adminAfter, adminBefore);
  t.deepEqual(pki.readCertInfo(adminAfter).orgs, ['kubeadm:cluster-admins']);
});

test('kubeconfig user prints a kubeconfig signed by the local CA; certs certificate-key is 64 hex', async (t) => {
  const { root, pkiDir } = await sharedTree();
  const cfg = join(root, 'cfg.yaml');
  const r = await kubeadm(root, ['kubeconfig', 'user', '--client-name', 'system:node:w3', '--org', 'system:nodes', '--config', cfg]);
  t.is(r.code, 0, r.stderr);
  const kc = pki.parseKubeconfig(r.stdout);
  t.is(kc.server, `https://${ENDPOINT}`);
  const info = pki.readCertInfo(kc.certPem!);
  t.is(info.cn, 'system:node:w3');
  t.deepEqual(info.orgs, ['system:nodes']);
  t.true(pki.verifyChain(kc.certPem!, readFileSync(join(pkiDir, 'ca.crt'), 'utf8')));
  const k = await kubeadm(root, ['certs', 'certificate-key']);
  t.regex(k.stdout, /^[0-9a-f]{64}\n$/);
  const v = await kubeadm(root, ['version', '-o', 'short']);
  t.is(v.stdout, 'v1.32.4\n');
});

test('upload-certs encryption: round trip with the key, wrong key fails like kubeadm', async (t) => {
  const { pkiDir } = await sharedTree();
  const key = newCertificateKey();
  const local = { certDir: pkiDir, cluster: { etcd: { local: { dataDir: '/var/lib/etcd' } } } } as unknown as Config;
  const data = encryptCertDir(local, key);
  t.deepEqual(Object.keys(data).sort(), COPIED_FILES.map(secretKeyOf).sort());
  t.false(Buffer.from(data['ca.key'], 'base64').toString('latin1').includes('PRIVATE KEY'), 'encrypted at rest');
  const files = decryptSecretData(data, key);
  for (const f of COPIED_FILES) t.deepEqual(files.get(secretKeyOf(f)), readFileSync(join(pkiDir, f)), f);
  // etcd.external: the three files its config names, as kubeadm's certsToTransfer; one missing is an empty entry
  const ext = {
    certDir: pkiDir,
    cluster: {
      etcd: {
        external: {
          endpoints: ['https://10.0.0.1:2379'],
          caFile: join(pkiDir, 'etcd/ca.crt'),
          certFile: join(pkiDir, 'apiserver-etcd-client.crt'),
          keyFile: join(pkiDir, 'nosuch.key'),
        },
      },
    },
  } as unknown as Config;
  const extData = encryptCertDir(ext, key);
  t.deepEqual(
    Object.keys(extData).sort(),
    [...COPIED_FILES.slice(0, 6).map(secretKeyOf), 'external-etcd-ca.crt', 'external-etcd.crt', 'external-etcd.key'].sort(),
  );
  t.is(extData['external-etcd.key'], '');
  t.deepEqual(decryptSecretData(extData, key).get('external-etcd-ca.crt'), readFileSync(join(pkiDir, 'etcd/ca.crt')));
  t.throws(() => decryptSecretData(data, newCertificateKey()), {
    message: 'error decoding secret data with provided key: cipher: message authentication failed',
  });
  t.throws(() => decryptSecretData(data, 'zz' + key.slice(2)), { message: /^error decoding certificate key: encoding\/hex: invalid byte/ });
});

test('JWS: our detached signature equals the controller-manager bootstrap signer; wrong secret fails', (t) => {
  const content = 'apiVersion: v1\nkind: Config\n';
  const sig = computeDetachedSignature(content, 'abcdef', '0123456789abcdef');
  t.is(sig, detachedJws(content, 'abcdef', '0123456789abcdef'));
  t.regex(sig, /^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/);
  t.true(detachedTokenIsValid(sig, content, 'abcdef', '0123456789abcdef'));
  t.false(detachedTokenIsValid(sig, content, 'abcdef', '0123456789abcdeX'));
  t.false(detachedTokenIsValid(sig, content + ' ', 'abcdef', '0123456789abcdef'));
});

test('API phases against a local etcd + apiserver: upload-config, upload-certs, bootstrap-token, token create, discovery refusals', async (t) => {
  const cp = await startControlPlane();
  t.teardown(() => cp.stop());
  const root = cp.dir;
  const endpoint = `127.0.0.1:${cp.apiPort}`;
  const cfg = writeConfig(root, { addr: '127.0.0.1', endpoint });
  const admin = KubeClient.fromFile(cp.adminConf);
  t.teardown(() => admin.close());

  const up = await kubeadm(root, ['init', 'phase', 'upload-config', 'all', '--config', cfg]);
  t.is(up.code, 0, up.stderr);
  t.regex(up.stdout, /\[upload-config\] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace/);
  const kcfg = (await admin.get('/api/v1/namespaces/kube-system/configmaps/kubeadm-config')).body;
  t.is(YAML.parse(kcfg.data.ClusterConfiguration).controlPlaneEndpoint, endpoint);
  const kubeletCm = (await admin.get('/api/v1/namespaces/kube-system/configmaps/kubelet-config')).body;
  t.true(YAML.parse(kubeletCm.data.kubelet).serverTLSBootstrap);

  // with --config, the certificate key goes in the InitConfiguration (--certificate-key would be refused)
  const key = newCertificateKey();
  const cfgKey = writeConfig(root, { addr: '127.0.0.1', endpoint, certificateKey: key, file: 'cfg-key.yaml' });
  const mixed = await kubeadm(root, ['init', 'phase', 'upload-certs', '--upload-certs', '--certificate-key', key, '--config', cfg]);
  t.is(mixed.code, 1);
  t.is(mixed.stderr, "can not mix '--config' with arguments [certificate-key]\nTo see the stack trace of this error execute with --v=5 or higher\n");
  const uc = await kubeadm(root, ['init', 'phase', 'upload-certs', '--upload-certs', '--config', cfgKey]);
  t.is(uc.code, 0, uc.stderr);
  t.true(uc.stdout.includes(`[upload-certs] Using certificate key:\n${key}\n`));
  const sec = (await admin.get('/api/v1/namespaces/kube-system/secrets/kubeadm-certs')).body;
  t.is(sec.metadata.ownerReferences[0].kind, 'Secret');
  t.regex(sec.metadata.ownerReferences[0].name, /^bootstrap-token-[a-z0-9]{6}$/);
  const owner = (await admin.get(`/api/v1/namespaces/kube-system/secrets/${sec.metadata.ownerReferences[0].name}`)).body;
  const exp = Date.parse(Buffer.from(owner.data.expiration, 'base64').toString());
  t.true(Math.abs(exp - Date.now() - 2 * 3600_000) < 120_000, 'the owner token expires in 2 h');
  t.deepEqual(decryptSecretData(sec.data, key).get('sa.key'), readFileSync(join(cp.pki, 'sa.key')));

  const bt = await kubeadm(root, ['init', 'phase', 'bootstrap-token', '--config', cfg]);
  t.is(bt.code, 0, bt.stderr);
  const token = /\[bootstrap-token\] Using token: ([a-z0-9]{6}\.[a-z0-9]{16})/.exec(bt.stdout)?.[1];
  t.truthy(token);
  const ci = (await admin.get('/api/v1/namespaces/kube-public/configmaps/cluster-info')).body;
  const ciKc = YAML.parse(ci.data.kubeconfig);
  t.is(Buffer.from(ciKc.clusters[0].cluster['certificate-authority-data'], 'base64').toString(), readFileSync(join(cp.pki, 'ca.crt'), 'utf8'));
  t.is(ciKc.clusters[0].cluster.server, `https://${endpoint}`);

  const tc = await kubeadm(root, ['token', 'create', '--print-join-command']);
  t.is(tc.code, 0, tc.stderr);
  const hash = pki.caPinHash(readFileSync(join(cp.pki, 'ca.crt'), 'utf8'));
  const m = /^kubeadm join (\S+) --token ([a-z0-9]{6}\.[a-z0-9]{16}) --discovery-token-ca-cert-hash (sha256:[0-9a-f]{64}) \n$/.exec(tc.stdout);
  t.truthy(m, tc.stdout);
  t.is(m![1], endpoint);
  t.is(m![3], hash);
  const list = await kubeadm(root, ['token', 'list']);
  t.regex(list.stdout, /^TOKEN\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION\s+EXTRA GROUPS\n/);
  t.true(list.stdout.includes(m![2]));

  // join while nothing signs cluster-info (no controller-manager): kubeadm's error after the discovery timeout
  const joiner = tempRoot('joiner-');
  const env = { LAB_KUBEADM_DISCOVERY_TIMEOUT: '3s' };
  const id = m![2].split('.')[0];
  const noJws = await kubeadm(
    joiner,
    ['join', 'phase', 'preflight', endpoint, '--token', m![2], '--discovery-token-ca-cert-hash', hash, '--node-name', 'w1'],
    env,
  );
  t.is(noJws.code, 1);
  t.true(
    noJws.stderr.startsWith(
      `error execution phase preflight: couldn't validate the identity of the API Server: could not find a JWS signature in the cluster-info ConfigMap for token ID "${id}"\n`,
    ),
    noJws.stderr,
  );

  // the bootstrap signer's signature (as the controller-manager adds it)
  const secret = m![2].split('.')[1];
  const signed = { ...ci, data: { ...ci.data, [`jws-kubeconfig-${id}`]: detachedJws(ci.data.kubeconfig, id, secret) } };
  delete signed.metadata.resourceVersion;
  t.is((await admin.put('/api/v1/namespaces/kube-public/configmaps/cluster-info', signed)).status, 200);
  const wrongHash = 'sha256:' + '0'.repeat(64);
  const bad = await kubeadm(
    joiner,
    ['join', 'phase', 'preflight', endpoint, '--token', m![2], '--discovery-token-ca-cert-hash', wrongHash, '--node-name', 'w1'],
    env,
  );
  t.is(bad.code, 1);
  t.true(
    bad.stderr.startsWith(
      `error execution phase preflight: couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${hash}" are pinned\n`,
    ),
    bad.stderr,
  );
  const badSecret = await kubeadm(
    joiner,
    ['join', 'phase', 'preflight', endpoint, '--token', `${id}.${'x'.repeat(16)}`, '--discovery-token-ca-cert-hash', hash, '--node-name', 'w1'],
    env,
  );
  t.is(badSecret.code, 1);
  t.regex(badSecret.stderr, /failed to verify JWS signature of received cluster info object, can't trust this API Server/);
  const good = await kubeadm(
    joiner,
    ['join', 'phase', 'preflight', endpoint, '--token', m![2], '--discovery-token-ca-cert-hash', hash, '--node-name', 'w1'],
    env,
  );
  t.is(good.code, 0, good.stderr);
  t.regex(good.stdout, /\[preflight\] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"\.\.\./);

  // kubelet-start with no kubelet to finish the TLS bootstrap: kubeadm's timeout, files written, the bootstrap credential removed
  const ks = await kubeadm(
    joiner,
    ['join', 'phase', 'kubelet-start', endpoint, '--token', m![2], '--discovery-token-ca-cert-hash', hash, '--node-name', 'w1'],
    { ...env, LAB_KUBEADM_TLS_BOOTSTRAP_TIMEOUT_MS: '1500' },
  );
  t.is(ks.code, 1);
  t.true(ks.stderr.startsWith('error execution phase kubelet-start: context deadline exceeded\n'), ks.stderr);
  t.regex(ks.stdout, /\[kubelet-start\] Waiting for the kubelet to perform the TLS Bootstrap\n[\s\S]*Unfortunately, an error has occurred:/);
  t.is(readFileSync(join(joiner, 'etc/kubernetes/pki/ca.crt'), 'utf8'), readFileSync(join(cp.pki, 'ca.crt'), 'utf8'));
  t.true(existsSync(join(joiner, 'var/lib/kubelet/config.yaml')));
  t.false(existsSync(join(joiner, 'etc/kubernetes/bootstrap-kubelet.conf')), 'the bootstrap token does not stay on disk');

  // download-certs with the bootstrap token: right key writes the CA; wrong key is refused
  const cpJoiner = tempRoot('cpjoiner-');
  const wrongKey = await kubeadm(
    cpJoiner,
    [
      'join',
      'phase',
      'control-plane-prepare',
      'download-certs',
      endpoint,
      '--control-plane',
      '--token',
      m![2],
      '--discovery-token-ca-cert-hash',
      hash,
      '--certificate-key',
      newCertificateKey(),
    ],
    env,
  );
  t.is(wrongKey.code, 1);
  t.regex(
    wrongKey.stderr,
    /^error execution phase control-plane-prepare\/download-certs: error downloading certs: error decoding secret data with provided key: cipher: message authentication failed\n/,
  );
  const rightKey = await kubeadm(
    cpJoiner,
    [
      'join',
      'phase',
      'control-plane-prepare',
      'download-certs',
      endpoint,
      '--control-plane',
      '--token',
      m![2],
      '--discovery-token-ca-cert-hash',
      hash,
      '--certificate-key',
      key,
    ],
    env,
  );
  t.is(rightKey.code, 0, rightKey.stderr);
  t.is(readFileSync(join(cpJoiner, 'etc/kubernetes/pki/ca.key'), 'utf8'), readFileSync(join(cp.pki, 'ca.key'), 'utf8'));
  t.true(existsSync(join(cpJoiner, 'etc/kubernetes/pki/etcd/ca.crt')));
});

test('end to end on lab hosts (net 75): init --upload-certs, worker join, control-plane join with an etcd learner, refusals', async (t) => {
  if (!requireRoot(t)) return;
  const dir = labDir('/tmp/h-kubeadm/e2e-net75');
  await runLab(['down', '--dir', dir]);
  const up = await runLab(['up', '--names', 'm1,m2,w1', '--dir', dir, '--net', '75']);
  t.is(up.code, 0, up.stderr);
  t.teardown(async () => {
    await runLab(['down', '--dir', dir]);
  });
  const hosts = JSON.parse(readFileSync(join(dir, 'hosts.json'), 'utf8')) as { name: string; address: string }[];
  const addr = (n: string) => hosts.find((h) => h.name === n)!.address;
  const exec = (host: string, cmd: string[], input?: string) => runLab(['exec', host, '--dir', dir, '--', ...cmd], input);
  const endpoint = `${addr('m1')}:6443`;
  const init = `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint: {advertiseAddress: ${addr('m1')}, bindPort: 6443}
nodeRegistration: {name: m1}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
controlPlaneEndpoint: ${endpoint}
networking: {podSubnet: 10.244.0.0/16}
`;
  t.is((await exec('m1', ['sh', '-c', 'cat > /root/init.yaml'], init)).code, 0);
  const r = await exec('m1', ['kubeadm', 'init', '--config', '/root/init.yaml', '--upload-certs']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /Your Kubernetes control-plane has initialized successfully!/);
  const key = /\[upload-certs\] Using certificate key:\n([0-9a-f]{64})\n/.exec(r.stdout)?.[1];
  const worker = /\nkubeadm join (\S+) --token (\S+) \\\n\t--discovery-token-ca-cert-hash (sha256:[0-9a-f]{64}) \n/.exec(r.stdout);
  t.truthy(key);
  t.truthy(worker, r.stdout);
  const [, ep, token, hash] = worker!;
  t.is(ep, endpoint);
  const caPem = (await exec('m1', ['cat', '/etc/kubernetes/pki/ca.crt'])).stdout;
  t.is(hash, pki.caPinHash(caPem));

  const wrong = await exec('w1', ['kubeadm', 'join', ep, '--token', token, '--discovery-token-ca-cert-hash', 'sha256:' + 'a'.repeat(64)]);
  t.is(wrong.code, 1);
  t.regex(
    wrong.stderr,
    /^error execution phase preflight: couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "sha256:[0-9a-f]{64}" are pinned\n/,
  );
  const wj = await exec('w1', ['kubeadm', 'join', ep, '--token', token, '--discovery-token-ca-cert-hash', hash]);
  t.is(wj.code, 0, wj.stderr);
  t.regex(wj.stdout, /This node has joined the cluster:/);
  t.true(
    pki.verifyChain(pki.firstCert((await exec('w1', ['cat', '/var/lib/kubelet/pki/kubelet-client-current.pem'])).stdout), caPem),
    'the worker kubelet cert chains to the cluster CA',
  );
  const badKey = await exec('m2', [
    'kubeadm',
    'join',
    ep,
    '--token',
    token,
    '--discovery-token-ca-cert-hash',
    hash,
    '--control-plane',
    '--certificate-key',
    newCertificateKey(),
  ]);
  t.is(badKey.code, 1);
  t.regex(
    badKey.stderr,
    /^error execution phase control-plane-prepare\/download-certs: error downloading certs: error decoding secret data with provided key: cipher: message authentication failed\n/,
  );
  await exec('m2', ['sh', '-c', 'rm -rf /etc/kubernetes/pki']);
  const mj = await exec('m2', ['kubeadm', 'join', ep, '--token', token, '--discovery-token-ca-cert-hash', hash, '--control-plane', '--certificate-key', key!]);
  t.is(mj.code, 0, mj.stderr);
  t.regex(mj.stdout, /This node has joined the cluster and a new control plane instance was created:/);

  // the independent witnesses: real kubectl and real etcdctl
  let nodes = '';
  for (let i = 0; i < 60; i++) {
    nodes = (await exec('m1', ['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'nodes', '--no-headers'])).stdout;
    if (nodes.split('\n').filter((l) => / Ready /.test(l)).length === 3) break;
    await new Promise((res) => setTimeout(res, 1000));
  }
  t.is(nodes.split('\n').filter((l) => / Ready /.test(l)).length, 3, nodes);
  t.regex(nodes, /^m2 +Ready +control-plane/m);
  // (the machine's etcdctl from outside the hosts: a kubeadm host has no etcdctl)
  const members = await etcdctlWitness(dir, { name: 'm2', address: addr('m2') }, ['member', 'list']);
  t.is(members.code, 0, members.stderr);
  t.deepEqual(
    members.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(', ').slice(1, 3).concat(l.split(', ')[5])),
    [
      ['started', 'm1', 'false'],
      ['started', 'm2', 'false'],
    ].sort((a, b) => members.stdout.indexOf(a[1]) - members.stdout.indexOf(b[1])),
  );
  t.regex((await exec('m2', ['cat', '/etc/kubernetes/manifests/etcd.yaml'])).stdout, /--initial-cluster-state=existing/);

  // a worker re-join while its Node is still Ready is refused, as real kubeadm does
  const rejoin = await exec('w1', [
    'sh',
    '-c',
    `systemctl stop kubelet; rm -rf /var/lib/kubelet/pki /etc/kubernetes/pki /etc/kubernetes/kubelet.conf; kubeadm join phase kubelet-start ${ep} --token ${token} --discovery-token-ca-cert-hash ${hash}`,
  ]);
  t.is(rejoin.code, 1);
  t.regex(
    rejoin.stderr,
    /^error execution phase kubelet-start: a Node with name "w1" and status "Ready" already exists in the cluster\. You must delete the existing Node or change the name of this new joining Node\n/,
  );
});

test('encryptionAlgorithm ECDSA-P256: every key kubeadm makes is EC P-256 and signs with ecdsa-with-SHA256 (certs, kubeconfigs, sa); renew follows the config; an unknown algorithm is refused, nothing written', async (t) => {
  const root = tempRoot();
  const cfg = writeConfig(root, { addr: ADDR, endpoint: ENDPOINT, encryptionAlgorithm: 'ECDSA-P256' });
  for (const phase of [
    ['certs', 'all'],
    ['kubeconfig', 'all'],
  ]) {
    const r = await kubeadm(root, ['init', 'phase', ...phase, '--config', cfg]);
    t.is(r.code, 0, r.stderr);
  }
  const pkiDir = join(root, 'etc/kubernetes/pki');
  const keys = [
    'ca',
    'apiserver',
    'apiserver-kubelet-client',
    'front-proxy-ca',
    'front-proxy-client',
    'etcd/ca',
    'etcd/server',
    'etcd/peer',
    'apiserver-etcd-client',
    'sa',
  ];
  for (const k of keys)
    t.regex(readFileSync(join(pkiDir, `${k}.key`), 'utf8'), /^-----BEGIN EC PRIVATE KEY-----\n/, `${k}.key (keyutil.MarshalPrivateKeyToPEM: SEC1)`);
  for (const c of ['ca', 'apiserver', 'etcd/peer', 'front-proxy-client']) {
    const txt = await text(join(pkiDir, `${c}.crt`));
    t.regex(txt, /Signature Algorithm: ecdsa-with-SHA256/, c);
    t.regex(txt, /Public Key Algorithm: id-ecPublicKey[\s\S]*NIST CURVE: P-256/, c);
    t.regex(txt, /Digital Signature, Key Encipherment/, `${c}: pkiutil's key usage whatever the key type`);
  }
  t.regex(await openssl(['verify', '-CAfile', join(pkiDir, 'ca.crt'), join(pkiDir, 'apiserver.crt')]), /: OK\n/);
  const admin = pki.parseKubeconfig(readFileSync(join(root, 'etc/kubernetes/admin.conf'), 'utf8'));
  t.regex(admin.keyPem ?? '', /^-----BEGIN EC PRIVATE KEY-----/, 'admin.conf client key');
  // renewal/manager.go RenewUsingLocalCA: the new key is of the config's algorithm, not the old cert's
  const rsaCfg = writeConfig(root, { addr: ADDR, endpoint: ENDPOINT, file: 'rsa.yaml' });
  const ren = await kubeadm(root, ['certs', 'renew', 'apiserver', '--config', rsaCfg]);
  t.is(ren.code, 0, ren.stderr);
  t.regex(readFileSync(join(pkiDir, 'apiserver.key'), 'utf8'), /^-----BEGIN RSA PRIVATE KEY-----\n/, 'renewed with RSA-2048, the config given');
  t.regex(await text(join(pkiDir, 'apiserver.crt')), /Signature Algorithm: ecdsa-with-SHA256/, 'still signed by the EC CA');
  // validation.go ValidateEncryptionAlgorithm
  const bad = tempRoot();
  const badCfg = writeConfig(bad, { addr: ADDR, endpoint: ENDPOINT, encryptionAlgorithm: 'RSA-1024' });
  const b = await kubeadm(bad, ['init', 'phase', 'certs', 'all', '--config', badCfg]);
  t.is(b.code, 1);
  t.regex(
    b.stderr,
    /encryptionAlgorithm: Invalid value: "RSA-1024": Invalid encryption algorithm "RSA-1024"\. Must be one of \[ECDSA-P256 RSA-2048 RSA-3072 RSA-4096\]/,
  );
  t.false(existsSync(join(bad, 'etc/kubernetes/pki/ca.key')), 'nothing written');
});

test('config: v1beta3 maps and v1beta4 lists of extraArgs, refused old API version and flag mixing; preflight refusals', async (t) => {
  const root = tempRoot();
  const v3 = join(root, 'v3.yaml');
  writeFileSync(
    v3,
    `apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
controlPlaneEndpoint: lb.lab.test
controllerManager:
  extraArgs:
    controllers: "*,-node-lifecycle-controller"
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
localAPIEndpoint: {advertiseAddress: 10.75.0.12}
nodeRegistration: {name: m2}
`,
  );
  const cp = await kubeadm(root, ['init', 'phase', 'control-plane', 'controller-manager', '--config', v3]);
  t.is(cp.code, 0, cp.stderr);
  const cmd = YAML.parse(readFileSync(join(root, 'etc/kubernetes/manifests/kube-controller-manager.yaml'), 'utf8')).spec.containers[0].command;
  t.true(cmd.includes('--controllers=*,-node-lifecycle-controller'), 'extraArgs override kubeadm defaults');
  t.false(cmd.includes('--controllers=*,bootstrapsigner,tokencleaner'));
  const old = join(root, 'old.yaml');
  writeFileSync(old, 'apiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterConfiguration\n');
  const o = await kubeadm(root, ['init', 'phase', 'certs', 'ca', '--config', old]);
  t.is(o.code, 1);
  t.regex(o.stderr, /no kind "ClusterConfiguration" is registered for version "kubeadm\.k8s\.io\/v1beta2"/);
  const mix = await kubeadm(root, ['init', '--config', v3, '--control-plane-endpoint', 'x:6443']);
  t.is(mix.code, 1);
  t.regex(mix.stderr, /can not mix '--config' with arguments \[control-plane-endpoint\]/);
  // the controller-manager manifest exists now: init's preflight refuses, and names the way out
  const pf = await kubeadm(root, ['init', 'phase', 'preflight', '--config', v3]);
  t.is(pf.code, 1);
  t.true(
    pf.stderr.startsWith(
      'error execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR FileAvailable--etc-kubernetes-manifests-kube-controller-manager.yaml]: /etc/kubernetes/manifests/kube-controller-manager.yaml already exists\n[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`\n',
    ),
    pf.stderr,
  );
  const ign = await kubeadm(root, [
    'init',
    'phase',
    'preflight',
    '--config',
    v3,
    '--ignore-preflight-errors',
    'FileAvailable--etc-kubernetes-manifests-kube-controller-manager.yaml',
  ]);
  t.is(ign.code, 0, ign.stderr);
  t.regex(ign.stderr, /\[WARNING FileAvailable--etc-kubernetes-manifests-kube-controller-manager\.yaml\]/);
});

test('apiserver unreachable: the phase fails with Go client wording after kubeadm retries', async (t) => {
  const root = tempRoot();
  const ca = await pki.newCA('kubernetes');
  mkdirSync(join(root, 'etc/kubernetes'), { recursive: true });
  writeFileSync(
    join(root, 'etc/kubernetes/admin.conf'),
    pki.renderKubeconfig({ server: 'https://127.0.0.1:1', caPem: ca.certPem, user: 'kubernetes-admin', token: 'unused-token' }),
  );
  const r = await kubeadm(root, ['init', 'phase', 'upload-config', 'kubeadm'], { LAB_KUBEADM_API_CALL_TIMEOUT_MS: '1000' });
  t.is(r.code, 1);
  t.is(
    r.stderr.split('\n')[0],
    'error execution phase upload-config/kubeadm: error uploading the kubeadm ClusterConfiguration: unable to create ConfigMap: Post "https://127.0.0.1:1/api/v1/namespaces/kube-system/configmaps?timeout=10s": dial tcp 127.0.0.1:1: connect: connection refused',
  );
});

test('the command line as kubeadm v1.32 reads it: refusals printed as CheckErr prints them (message, stack-trace hint, exit 1), nothing written; help exits 0', async (t) => {
  const root = tempRoot();
  const cases: [string[], string][] = [
    [['init', 'phase', 'certs', 'all', '--log-file', '/tmp/x'], 'unknown flag: --log-file'],
    [
      ['init', 'phase', 'upload-certs', '--upload-certs', '--certificate-key', 'a'.repeat(64), '--config', '/x.yaml'],
      "can not mix '--config' with arguments [certificate-key]",
    ],
    [
      ['join', 'phase', 'control-plane-join', 'all', '10.0.0.1:6443', '--control-plane'],
      'unknown command "10.0.0.1:6443" for "kubeadm join phase control-plane-join all"',
    ],
    [['join', 'phase', 'control-plane-join', 'all', '--control-plane', '--token', 'abcdef.0123456789abcdef'], 'unknown flag: --token'],
    [['join', 'a:6443', 'b:6443'], 'accepts at most 1 arg(s), received 2'],
    [['reset', '-x'], "unknown shorthand flag: 'x' in -x"],
    [['token', 'create', '--ttl'], 'flag needs an argument: --ttl'],
    [['kubeconfig', 'user', '--org', 'system:nodes'], 'required flag(s) "client-name" not set'],
    [['init', 'phase', 'certs', 'nope'], 'unknown command "nope" for "kubeadm init phase certs"'],
  ];
  for (const [argv, msg] of cases) {
    const r = await kubeadm(root, argv);
    t.is(r.code, 1, argv.join(' '));
    t.is(r.stderr, `${msg}\nTo see the stack trace of this error execute with --v=5 or higher\n`, argv.join(' '));
    t.is(r.stdout, '');
  }
  t.deepEqual(snapshot(root), {}, 'nothing written');
  // a phase with sub-phases, or `init phase` with an unknown word, prints its help and does nothing: exit 0
  for (const argv of [
    ['init', 'phase', 'certs'],
    ['init', 'phase', 'nope'],
    ['init', 'phase', 'certs', 'all', '--help'],
  ]) {
    const h = await kubeadm(root, argv);
    t.is(h.code, 0, argv.join(' '));
    t.regex(h.stdout, /^Usage:\n {2}kubeadm init phase/);
  }
  // the join phases without discovery flags need the admin.conf control-plane-prepare writes
  const cpj = await kubeadm(root, ['join', 'phase', 'control-plane-join', 'etcd', '--control-plane']);
  t.is(cpj.code, 1);
  t.is(
    cpj.stderr.split('\n')[0],
    "File /etc/kubernetes/admin.conf does not exists. Please use 'kubeadm join phase control-plane-prepare' subcommands to generate it.",
  );
});
