/**
 * kubeadm's certificate list and the `certs` phase: which cert each file is (CN, O, SANs,
 * usages, CA), and the rule that existing files are kept, never overwritten.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import * as pki from '../pki.js';
import { type Config, endpointHost, parseDuration } from './config.js';
import { say, warn } from './out.js';

/** One cert kubeadm makes. */
export interface CertSpec {
  /** Phase name (`apiserver`, `etcd-server`, ...). */
  name: string;
  /** File base name under the cert dir (`apiserver`, `etcd/server`, ...). */
  baseName: string;
  /** The CA's cert spec name (`ca`, `front-proxy-ca`, `etcd-ca`), absent for a CA. */
  caName?: string;
  cn: (c: Config) => string;
  orgs?: string[];
  usages: pki.Usage[];
  sans?: (c: Config) => { dnsNames: string[]; ips: string[] };
}

const isIP = (s: string) => /^\d+\.\d+\.\d+\.\d+$/.test(s) || s.includes(':');

function splitSANs(list: readonly string[]): { dnsNames: string[]; ips: string[] } {
  return { dnsNames: list.filter((s) => !isIP(s)), ips: list.filter(isIP) };
}

/** The first usable address of the service subnet (the `kubernetes` Service IP, 10.96.0.1 by default). */
export function apiServiceIP(serviceSubnet: string): string {
  const net = serviceSubnet.split(',')[0].split('/')[0];
  const parts = net.split('.').map(Number);
  parts[3] += 1;
  return parts.join('.');
}

function uniq(a: string[]): string[] {
  return [...new Set(a)];
}

/** The apiserver serving cert's SANs, as kubeadm's GetAPIServerAltNames. */
export function apiServerSANs(c: Config): { dnsNames: string[]; ips: string[] } {
  const dom = c.cluster.networking.dnsDomain;
  const dnsNames = [c.nodeName, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${dom}`];
  const ips = [apiServiceIP(c.cluster.networking.serviceSubnet), c.advertiseAddress];
  const cpe = c.cluster.controlPlaneEndpoint;
  if (cpe) {
    const h = endpointHost(cpe);
    (isIP(h) ? ips : dnsNames).push(h);
  }
  const extra = splitSANs(c.cluster.apiServer.certSANs ?? []);
  return { dnsNames: uniq([...dnsNames, ...extra.dnsNames]), ips: uniq([...ips, ...extra.ips]) };
}

function etcdSANs(c: Config, extraList: string[] | undefined) {
  const extra = splitSANs(extraList ?? []);
  return {
    dnsNames: uniq([c.nodeName, 'localhost', ...extra.dnsNames]),
    ips: uniq([c.advertiseAddress, '127.0.0.1', '::1', ...extra.ips]),
  };
}

/** Every cert kubeadm makes, in the order `certs all` runs them. */
export const CERTS: CertSpec[] = [
  { name: 'ca', baseName: 'ca', cn: () => 'kubernetes', usages: [] },
  { name: 'apiserver', baseName: 'apiserver', caName: 'ca', cn: () => 'kube-apiserver', usages: ['server'], sans: apiServerSANs },
  {
    name: 'apiserver-kubelet-client',
    baseName: 'apiserver-kubelet-client',
    caName: 'ca',
    cn: () => 'kube-apiserver-kubelet-client',
    orgs: ['kubeadm:cluster-admins'],
    usages: ['client'],
  },
  { name: 'front-proxy-ca', baseName: 'front-proxy-ca', cn: () => 'front-proxy-ca', usages: [] },
  { name: 'front-proxy-client', baseName: 'front-proxy-client', caName: 'front-proxy-ca', cn: () => 'front-proxy-client', usages: ['client'] },
  { name: 'etcd-ca', baseName: 'etcd/ca', cn: () => 'etcd-ca', usages: [] },
  {
    name: 'etcd-server',
    baseName: 'etcd/server',
    caName: 'etcd-ca',
    cn: (c) => c.nodeName,
    usages: ['server', 'client'],
    sans: (c) => etcdSANs(c, c.cluster.etcd.local?.serverCertSANs),
  },
  {
    name: 'etcd-peer',
    baseName: 'etcd/peer',
    caName: 'etcd-ca',
    cn: (c) => c.nodeName,
    usages: ['server', 'client'],
    sans: (c) => etcdSANs(c, c.cluster.etcd.local?.peerCertSANs),
  },
  { name: 'etcd-healthcheck-client', baseName: 'etcd/healthcheck-client', caName: 'etcd-ca', cn: () => 'kube-etcd-healthcheck-client', usages: ['client'] },
  { name: 'apiserver-etcd-client', baseName: 'apiserver-etcd-client', caName: 'etcd-ca', cn: () => 'kube-apiserver-etcd-client', usages: ['client'] },
];

/** The spec of a cert by phase name. */
export function certSpec(name: string): CertSpec {
  const s = CERTS.find((x) => x.name === name);
  if (!s) throw new Error(`unknown certificate ${name}`);
  return s;
}

function crtPath(dir: string, base: string) {
  return join(dir, `${base}.crt`);
}
function keyPath(dir: string, base: string) {
  return join(dir, `${base}.key`);
}

function loadCert(dir: string, base: string): string {
  const f = crtPath(dir, base);
  try {
    return readFileSync(f, 'utf8');
  } catch {
    throw new Error(`couldn't load the certificate file ${f}: open ${f}: no such file or directory`);
  }
}

/** Warn like kubeadm's CheckCertificatePeriodValidity when a cert is not valid now. */
export function checkPeriod(base: string, pem: string): void {
  const x = new X509Certificate(pem);
  const now = Date.now();
  if (now < Date.parse(x.validFrom))
    warn(
      `WARNING: could not validate bounds for certificate ${base}: the certificate is not valid yet: ${new Date(x.validFrom).toISOString()}`,
      'certs.go:550',
    );
  if (now > Date.parse(x.validTo))
    warn(`WARNING: could not validate bounds for certificate ${base}: the certificate has expired: ${new Date(x.validTo).toISOString()}`, 'certs.go:550');
}

function validity(c: Config, isCA: boolean): { notBefore: Date; notAfter: Date } {
  const nb = Date.now() - pki.BACKDATE_MS;
  const period = parseDuration(isCA ? c.cluster.caCertificateValidityPeriod : c.cluster.certificateValidityPeriod);
  return { notBefore: new Date(nb), notAfter: new Date(nb + period) };
}

/** Run `init phase certs <ca>`: keep an existing CA, else make a new one. */
export async function runCAPhase(c: Config, spec: CertSpec): Promise<void> {
  const dir = c.certDir;
  // kubeadm v1.32 cmd/kubeadm/app/cmd/phases/init/certs.go runCAPhase (index id 1234333613, commit 04791b49)
  if (c.cluster.etcd.external && spec.name === 'etcd-ca') {
    say(`[certs] External etcd mode: Skipping ${spec.baseName} certificate authority generation`);
    return;
  }
  if (existsSync(crtPath(dir, spec.baseName))) {
    checkPeriod(spec.baseName, readFileSync(crtPath(dir, spec.baseName), 'utf8'));
    if (existsSync(keyPath(dir, spec.baseName))) say(`[certs] Using existing ${spec.baseName} certificate authority`);
    else say(`[certs] Using existing ${spec.baseName} keyless certificate authority`);
    return;
  }
  say(`[certs] Generating "${spec.baseName}" certificate and key`);
  const ca = await pki.newCA(spec.cn(c), { ...validity(c, true), algorithm: c.cluster.encryptionAlgorithm });
  pki.writeKeyPair(dir, spec.baseName, ca.certPem, ca.keyPem);
}

/** Run `init phase certs <leaf>`: keep an existing cert signed by its CA, else sign a new one. */
export async function runCertPhase(c: Config, spec: CertSpec): Promise<void> {
  const dir = c.certDir;
  const ca = certSpec(spec.caName!);
  // same file, runCertPhase: every cert signed by etcd-ca (etcd-server, etcd-peer, etcd-healthcheck-client, apiserver-etcd-client)
  if (c.cluster.etcd.external && spec.caName === 'etcd-ca') {
    say(`[certs] External etcd mode: Skipping ${spec.baseName} certificate generation`);
    return;
  }
  if (existsSync(crtPath(dir, spec.baseName)) && existsSync(keyPath(dir, spec.baseName))) {
    const pem = readFileSync(crtPath(dir, spec.baseName), 'utf8');
    checkPeriod(spec.baseName, pem);
    let caPem: string;
    try {
      caPem = loadCert(dir, ca.baseName);
    } catch (e) {
      throw new Error(`couldn't load CA certificate ${ca.name}: ${(e as Error).message}`);
    }
    checkPeriod(ca.baseName, caPem);
    const leaf = new X509Certificate(pem);
    const caKey = new X509Certificate(caPem).publicKey;
    if (!leaf.verify(caKey)) {
      // Go's x509 CheckSignature: rsa.VerifyPKCS1v15's error, or its own for ECDSA
      const why = caKey.asymmetricKeyType === 'ec' ? 'x509: ECDSA verification failure' : 'crypto/rsa: verification error';
      throw new Error(`[certs] certificate ${spec.baseName} not signed by CA certificate ${ca.baseName}: ${why}`);
    }
    say(`[certs] Using existing ${spec.baseName} certificate and key on disk`);
    return;
  }
  const caPair = pki.readKeyPair(dir, ca.baseName);
  if (!caPair) throw new Error(`couldn't load CA certificate ${ca.name}: couldn't load ${ca.baseName} certificate authority from ${dir}`);
  say(`[certs] Generating "${spec.baseName}" certificate and key`);
  const sans = spec.sans?.(c) ?? { dnsNames: [], ips: [] };
  if (spec.sans) say(`[certs] ${spec.baseName} serving cert is signed for DNS names [${sans.dnsNames.join(' ')}] and IPs [${sans.ips.join(' ')}]`);
  const key = await pki.newKey(c.cluster.encryptionAlgorithm);
  const certPem = await pki.signCert({ ca: caPair, key, cn: spec.cn(c), orgs: spec.orgs, ...sans, usages: spec.usages, ...validity(c, false) });
  pki.writeKeyPair(dir, spec.baseName, certPem, key.keyPem);
}

/** Run `init phase certs sa`: keep an existing sa.key, else make the sa key pair. */
export async function runSAPhase(c: Config): Promise<void> {
  const dir = c.certDir;
  if (existsSync(join(dir, 'sa.key'))) {
    say('[certs] Using the existing "sa" key');
    return;
  }
  say('[certs] Generating "sa" key and public key');
  // certs.go CreateServiceAccountKeyAndPublicKeyFiles(certsDir, cfg.EncryptionAlgorithmType()) (index id 181245524)
  const k = await pki.newKey(c.cluster.encryptionAlgorithm);
  pki.writeSecretFile(join(dir, 'sa.key'), k.keyPem);
  pki.writePublicFile(join(dir, 'sa.pub'), k.publicKeyPem);
}

/** Run one named certs sub-phase (`ca`, `apiserver`, ..., `sa`). */
export async function runCertsSubphase(c: Config, name: string): Promise<void> {
  if (name === 'sa') return runSAPhase(c);
  const spec = certSpec(name);
  return spec.caName ? runCertPhase(c, spec) : runCAPhase(c, spec);
}

/** The names of the certs sub-phases, in order. */
export const CERT_PHASES = [...CERTS.map((s) => s.name), 'sa'];

/**
 * The certs a joining control-plane node makes (certsphase.CreatePKIAssets, cmd/kubeadm/app/phases/
 * certs/certs.go: GetCertsWithoutEtcd when cfg.Etcd.Local is nil, else GetDefaultCertList; the CAs
 * come from download-certs or a copy, so only the leaves are made here).
 */
export function joinLeafCerts(c: Config): string[] {
  return CERTS.filter((s) => s.caName && !(c.cluster.etcd.external && s.caName === 'etcd-ca')).map((s) => s.name);
}

/** Start generating the keys that `certs` (and `kubeconfig`) will need, in parallel. */
export function prefetchKeysFor(c: Config, kubeconfigFiles: string[] = []): void {
  let n = CERTS.filter((s) => !existsSync(keyPath(c.certDir, s.baseName)) && !existsSync(crtPath(c.certDir, s.baseName))).length;
  if (!existsSync(join(c.certDir, 'sa.key'))) n++;
  n += kubeconfigFiles.filter((f) => !existsSync(f)).length;
  pki.prefetchKeys(n, c.cluster.encryptionAlgorithm);
}

/** Run `init phase certs all`. */
export async function runCertsAll(c: Config, skip: (phase: string) => boolean = () => false): Promise<void> {
  say(`[certs] Using certificateDir folder "${c.cluster.certificatesDir}"`);
  for (const n of CERT_PHASES) {
    if (skip(`certs/${n}`)) continue;
    await runCertsSubphase(c, n);
  }
}
