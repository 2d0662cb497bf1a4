/**
 * The lab's PKI library: keys, CAs, leaf certs, CSRs, signing, kubeadm's CA pin hash and
 * kubeconfig rendering, shaped like kubeadm's pkiutil (RSA 2048 unless the ClusterConfiguration's
 * encryptionAlgorithm says otherwise, 1 year leaves, 10 year CAs).
 */
import { X509Certificate as NodeX509, createHash, createPrivateKey, createPublicKey, generateKeyPair, randomBytes, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { promisify } from 'node:util';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import YAML from 'yaml';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
/** ECDSA P-256 with SHA-256: what Go's x509.CreateCertificate signs with for a P-256 key (ecdsa-with-SHA256). */
const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;
/** kubeadm's leaf validity: one year. */
export const LEAF_VALIDITY_MS = 365 * DAY;
/** kubeadm's CA validity: ten years. */
export const CA_VALIDITY_MS = 10 * 365 * DAY;
/** kubeadm backdates new certs by 5 minutes (constants.CertificateBackdate) to tolerate clock skew. */
export const BACKDATE_MS = 5 * 60 * 1000;

/** A key pair as PEM, as kubeadm writes it (keyutil.MarshalPrivateKeyToPEM: PKCS#1 "RSA PRIVATE KEY" or SEC1 "EC PRIVATE KEY"), and its SPKI public key. */
export interface KeyPair {
  keyPem: string;
  publicKeyPem: string;
}

/** A certificate authority: its certificate and private key as PEM. */
export interface CA {
  certPem: string;
  keyPem: string;
}

/** Key usage profile of a leaf cert, as kubeadm's certutil.Config.Usages. */
export type Usage = 'server' | 'client';

/**
 * The key types of kubeadm's ClusterConfiguration.encryptionAlgorithm (v1beta4, kubeadm v1.31+):
 * the four ValidateEncryptionAlgorithm accepts in v1.32 (cmd/kubeadm/app/apis/kubeadm/validation/
 * validation.go; index id 45066735), in its sets.List order. Every key kubeadm makes (CAs, leaves,
 * kubeconfigs, sa.key) is of this type (pkiutil.GeneratePrivateKey; index id 58245222).
 */
export const KEY_ALGORITHMS = ['ECDSA-P256', 'RSA-2048', 'RSA-3072', 'RSA-4096'] as const;
/** One of KEY_ALGORITHMS. */
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];
/** kubeadm's default encryptionAlgorithm. */
export const DEFAULT_KEY_ALGORITHM: KeyAlgorithm = 'RSA-2048';

const keyPools = new Map<KeyAlgorithm, Promise<KeyPair>[]>();

/** Start generating `n` keys of `alg` in the background (in parallel on the libuv pool); newKey(alg) takes them first. */
export function prefetchKeys(n: number, alg: KeyAlgorithm = DEFAULT_KEY_ALGORITHM): void {
  const pool = keyPools.get(alg) ?? [];
  keyPools.set(alg, pool);
  for (let i = 0; i < n; i++) {
    const k = generateKey(alg);
    k.catch(() => undefined);
    pool.push(k);
  }
}

/** Make a key pair of `alg` (default RSA 2048, kubeadm's default key type). */
export async function newKey(alg: KeyAlgorithm = DEFAULT_KEY_ALGORITHM): Promise<KeyPair> {
  return keyPools.get(alg)?.shift() ?? generateKey(alg);
}

async function generateKey(alg: KeyAlgorithm): Promise<KeyPair> {
  const ec = alg === 'ECDSA-P256';
  const { privateKey, publicKey } = ec
    ? await promisify(generateKeyPair)('ec', { namedCurve: 'P-256' })
    : await promisify(generateKeyPair)('rsa', { modulusLength: Number(alg.slice('RSA-'.length)) });
  return {
    keyPem: privateKey.export({ type: ec ? 'sec1' : 'pkcs1', format: 'pem' }) as string,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

/** The public key (SPKI PEM) of a private key PEM. */
export function publicKeyOf(keyPem: string): string {
  return createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'pem' }) as string;
}

/**
 * A private key PEM as WebCrypto signs with it, and the algorithm it signs with (Go's x509 default
 * for its type: SHA256WithRSA or ECDSAWithSHA256).
 */
async function signer(keyPem: string): Promise<{ key: CryptoKey; algorithm: typeof ALG | typeof EC_ALG }> {
  const priv = createPrivateKey(keyPem);
  const algorithm = priv.asymmetricKeyType === 'ec' ? EC_ALG : ALG;
  const key = (await webcrypto.subtle.importKey('pkcs8', priv.export({ type: 'pkcs8', format: 'der' }), algorithm, false, ['sign'])) as CryptoKey;
  return { key, algorithm };
}

/** A public key for a certificate: RSA, or ECDSA P-256 (the kubelet's CSR keys: sim/kubelet/certs.ts). */
async function verifyKey(publicKeyPem: string): Promise<CryptoKey> {
  const key = createPublicKey(publicKeyPem);
  const der = key.export({ type: 'spki', format: 'der' });
  const alg = key.asymmetricKeyType === 'ec' ? EC_ALG : ALG;
  return webcrypto.subtle.importKey('spki', der, alg, true, ['verify']) as Promise<CryptoKey>;
}

function subject(cn: string, orgs: readonly string[] = []): x509.JsonName {
  const name: x509.JsonName = [];
  if (orgs.length) name.push({ O: [...orgs] });
  name.push({ CN: [cn] });
  return name;
}

function serial(): string {
  const b = randomBytes(8);
  b[0] &= 0x7f;
  if (b[0] === 0) b[0] = 1;
  return b.toString('hex');
}

function sanExtension(dnsNames: readonly string[], ips: readonly string[]): x509.Extension[] {
  const names: x509.JsonGeneralNames = [...dnsNames.map((value) => ({ type: 'dns' as const, value })), ...ips.map((value) => ({ type: 'ip' as const, value }))];
  return names.length ? [new x509.SubjectAlternativeNameExtension(names, false)] : [];
}

/** Options of a new CA. */
export interface NewCAOptions {
  notBefore?: Date;
  notAfter?: Date;
  /** Reuse an existing key instead of making one. */
  key?: KeyPair;
  /** The type of the key to make (default RSA 2048). */
  algorithm?: KeyAlgorithm;
}

/** Make a self-signed CA like kubeadm's pkiutil.NewCertificateAuthority (10 years, SAN = CN). */
export async function newCA(cn: string, opts: NewCAOptions = {}): Promise<CA> {
  const key = opts.key ?? (await newKey(opts.algorithm));
  const now = Date.now();
  const pub = await verifyKey(key.publicKeyPem);
  const sign = await signer(key.keyPem);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: subject(cn),
    issuer: subject(cn),
    notBefore: opts.notBefore ?? new Date(now - BACKDATE_MS),
    notAfter: opts.notAfter ?? new Date((opts.notBefore?.getTime() ?? now - BACKDATE_MS) + CA_VALIDITY_MS),
    publicKey: pub,
    signingKey: sign.key,
    signingAlgorithm: sign.algorithm,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyCertSign, true),
      new x509.BasicConstraintsExtension(true, undefined, true),
      await x509.SubjectKeyIdentifierExtension.create(pub),
      ...sanExtension([cn], []),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: key.keyPem };
}

/** What a cert signed by a CA says. */
export interface SignCertOptions {
  ca: CA;
  /** The subject's key pair (or give publicKey). */
  key?: KeyPair;
  /** The subject's public key PEM (SPKI), when there is no private key at hand (CSR signing). */
  publicKey?: string;
  cn: string;
  orgs?: readonly string[];
  dnsNames?: readonly string[];
  ips?: readonly string[];
  usages?: readonly Usage[];
  /** Key usage "key encipherment" (default true: kubeadm's pkiutil.NewSignedCert sets it on every cert; a CSR signer only when the CSR asks). */
  keyEncipherment?: boolean;
  isCA?: boolean;
  notBefore?: Date;
  notAfter?: Date;
}

/** Sign a certificate with a CA, as kubeadm's pkiutil.NewSignedCert; returns the cert PEM. */
export async function signCert(o: SignCertOptions): Promise<string> {
  const pubPem = o.publicKey ?? o.key?.publicKeyPem;
  if (!pubPem) throw new Error(`sign cert ${o.cn}: no public key given`);
  const caCert = new x509.X509Certificate(o.ca.certPem);
  const caKeyPub = await verifyKey(publicKeyOf(o.ca.keyPem));
  if (
    createHash('sha256').update(Buffer.from(caCert.publicKey.rawData)).digest('hex') !==
    createHash('sha256')
      .update(createPublicKey(o.ca.keyPem).export({ type: 'spki', format: 'der' }))
      .digest('hex')
  ) {
    throw new Error(`sign cert ${o.cn}: the CA key does not match the CA certificate ${caCert.subject}`);
  }
  const now = Date.now();
  const usages = o.usages ?? [];
  const eku: string[] = [];
  if (usages.includes('server')) eku.push(x509.ExtendedKeyUsage.serverAuth);
  if (usages.includes('client')) eku.push(x509.ExtendedKeyUsage.clientAuth);
  let ku = x509.KeyUsageFlags.digitalSignature | (o.keyEncipherment === false ? 0 : x509.KeyUsageFlags.keyEncipherment);
  if (o.isCA) ku |= x509.KeyUsageFlags.keyCertSign;
  const pub = await verifyKey(pubPem);
  const sign = await signer(o.ca.keyPem);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: subject(o.cn, o.orgs),
    issuer: caCert.subjectName,
    notBefore: o.notBefore ?? new Date(now - BACKDATE_MS),
    notAfter: o.notAfter ?? new Date((o.notBefore?.getTime() ?? now - BACKDATE_MS) + LEAF_VALIDITY_MS),
    publicKey: pub,
    signingKey: sign.key,
    signingAlgorithm: sign.algorithm,
    extensions: [
      new x509.KeyUsagesExtension(ku, true),
      ...(eku.length ? [new x509.ExtendedKeyUsageExtension(eku, false)] : []),
      new x509.BasicConstraintsExtension(!!o.isCA, undefined, true),
      await x509.AuthorityKeyIdentifierExtension.create(caKeyPub, false),
      ...sanExtension(o.dnsNames ?? [], o.ips ?? []),
    ],
  });
  return cert.toString('pem') + '\n';
}

/** What a CSR asks for. */
export interface CSRInfo {
  cn: string;
  orgs: string[];
  dnsNames: string[];
  ips: string[];
  /** SPKI PEM of the requester's key. */
  publicKey: string;
}

/** Make a PKCS#10 CSR PEM signed by `key`. */
export async function createCSR(o: { key: KeyPair; cn: string; orgs?: string[]; dnsNames?: string[]; ips?: string[] }): Promise<string> {
  const sign = await signer(o.key.keyPem);
  const keys = {
    privateKey: sign.key,
    publicKey: await verifyKey(o.key.publicKeyPem),
  } as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subject(o.cn, o.orgs),
    keys,
    signingAlgorithm: sign.algorithm,
    extensions: sanExtension(o.dnsNames ?? [], o.ips ?? []),
  });
  return csr.toString('pem') + '\n';
}

function namesOf(n: x509.Name): { cn: string; orgs: string[] } {
  const json = n.toJSON();
  const cn = json.flatMap((rdn) => rdn.CN ?? [])[0] ?? '';
  const orgs = json.flatMap((rdn) => rdn.O ?? []);
  return { cn, orgs };
}

function sansOf(ext: x509.Extension | null | undefined): { dnsNames: string[]; ips: string[] } {
  const san = ext ? new x509.SubjectAlternativeNameExtension(ext.rawData) : undefined;
  const items = san?.names.toJSON() ?? [];
  return {
    dnsNames: items.filter((i) => i.type === 'dns').map((i) => i.value),
    ips: items.filter((i) => i.type === 'ip').map((i) => i.value),
  };
}

/** Parse a CSR PEM (its signature is not checked here; see verifyCSR). */
export function parseCSR(pem: string): CSRInfo {
  const csr = new x509.Pkcs10CertificateRequest(pem);
  const { cn, orgs } = namesOf(csr.subjectName);
  const { dnsNames, ips } = sansOf(csr.getExtension('2.5.29.17'));
  const publicKey = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' }) as string;
  return { cn, orgs, dnsNames, ips, publicKey };
}

/** Whether a CSR's self-signature verifies (proof the requester holds the key). */
export async function verifyCSR(pem: string): Promise<boolean> {
  return new x509.Pkcs10CertificateRequest(pem).verify();
}

/** Sign a CSR with a CA, keeping its subject and SANs (what a CSR signer does). */
export async function signCSR(csrPem: string, ca: CA, opts: { usages: Usage[]; keyEncipherment?: boolean; durationSeconds?: number }): Promise<string> {
  const info = parseCSR(csrPem);
  if (!(await verifyCSR(csrPem))) throw new Error(`sign CSR for ${info.cn}: the CSR signature does not verify`);
  const now = Date.now();
  return signCert({
    ca,
    publicKey: info.publicKey,
    cn: info.cn,
    orgs: info.orgs,
    dnsNames: info.dnsNames,
    ips: info.ips,
    usages: opts.usages,
    keyEncipherment: opts.keyEncipherment ?? true,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + (opts.durationSeconds ? opts.durationSeconds * 1000 : LEAF_VALIDITY_MS)),
  });
}

/** kubeadm's discovery hash: `sha256:` + hex SHA-256 of the CA's DER SubjectPublicKeyInfo. */
export function caPinHash(caCertPem: string): string {
  const der = new NodeX509(caCertPem).publicKey.export({ type: 'spki', format: 'der' });
  return 'sha256:' + createHash('sha256').update(der).digest('hex');
}

/** SHA-256 fingerprint of a cert's DER, hex with colons like openssl. */
export function fingerprint(certPem: string): string {
  return new NodeX509(certPem).fingerprint256;
}

/** Whether `certPem` was issued and signed by the CA `caPem` and is inside its validity window. */
export function verifyChain(certPem: string, caPem: string, at: Date = new Date()): boolean {
  const cert = new NodeX509(certPem);
  const ca = new NodeX509(caPem);
  if (!cert.checkIssued(ca)) return false;
  if (!cert.verify(ca.publicKey)) return false;
  const t = at.getTime();
  return Date.parse(cert.validFrom) <= t && t <= Date.parse(cert.validTo);
}

/** What a cert says, for checks and `certs check-expiration`. */
export interface CertInfo {
  cn: string;
  orgs: string[];
  sans: string[];
  dnsNames: string[];
  ips: string[];
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  issuerCN: string;
  serial: string;
  /** Key usage flags set, by their RFC 5280 names: digitalSignature, keyEncipherment, keyCertSign... */
  keyUsage: string[];
}

/** Read subject, SANs, validity, issuer and key usage of a cert PEM (the first cert in the text). */
export function readCertInfo(pem: string): CertInfo {
  const c = new x509.X509Certificate(firstCert(pem));
  const { cn, orgs } = namesOf(c.subjectName);
  const { cn: issuerCN } = namesOf(c.issuerName);
  const { dnsNames, ips } = sansOf(c.getExtension(x509.SubjectAlternativeNameExtension));
  const bc = c.getExtension(x509.BasicConstraintsExtension);
  const ku = c.getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
  return {
    cn,
    orgs,
    dnsNames,
    ips,
    sans: [...dnsNames, ...ips],
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    isCA: !!bc?.ca,
    issuerCN,
    serial: c.serialNumber,
    keyUsage: Object.entries(x509.KeyUsageFlags)
      .filter(([, flag]) => typeof flag === 'number' && (ku & flag) !== 0)
      .map(([name]) => name),
  };
}

/** The first PEM certificate block of a text (a bundle or a combined cert+key file). */
export function firstCert(text: string): string {
  const m = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text);
  if (!m) throw new Error('no PEM certificate found');
  return m[0] + '\n';
}

/** Inputs of a kubeconfig as kubeadm writes them. */
export interface KubeconfigOptions {
  server: string;
  caPem: string;
  clusterName?: string;
  user: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  /** Reference client cert and key files instead of embedding them (kubelet.conf after TLS bootstrap). */
  embedFiles?: { cert: string; key: string };
}

/** Render a kubeconfig in kubeadm's layout (context `<user>@<cluster>`, embedded data). */
export function renderKubeconfig(o: KubeconfigOptions): string {
  const cluster = o.clusterName ?? 'kubernetes';
  const ctx = `${o.user}@${cluster}`;
  const user: Record<string, string> = {};
  if (o.embedFiles) {
    user['client-certificate'] = o.embedFiles.cert;
    user['client-key'] = o.embedFiles.key;
  } else {
    if (o.certPem) user['client-certificate-data'] = Buffer.from(o.certPem).toString('base64');
    if (o.keyPem) user['client-key-data'] = Buffer.from(o.keyPem).toString('base64');
  }
  if (o.token) user.token = o.token;
  const doc = {
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': Buffer.from(o.caPem).toString('base64'), server: o.server }, name: cluster }],
    contexts: [{ context: { cluster, user: o.user }, name: ctx }],
    'current-context': ctx,
    kind: 'Config',
    preferences: {},
    users: [{ name: o.user, user }],
  };
  return YAML.stringify(doc);
}

/** The parts of a kubeconfig kubeadm checks: server, CA and embedded client cert/key. */
export interface KubeconfigParts {
  server: string;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  user: string;
  clusterName: string;
}

/** Parse the current context of a kubeconfig text. */
export function parseKubeconfig(text: string): KubeconfigParts {
  const doc = YAML.parse(text) ?? {};
  const ctxName = doc['current-context'] ?? doc.contexts?.[0]?.name;
  const ctx = doc.contexts?.find((c: any) => c.name === ctxName)?.context ?? doc.contexts?.[0]?.context ?? {};
  const clusterEntry = doc.clusters?.find((c: any) => c.name === ctx.cluster) ?? doc.clusters?.[0];
  const userEntry = doc.users?.find((u: any) => u.name === ctx.user) ?? doc.users?.[0];
  const b64 = (v?: string) => (v ? Buffer.from(v, 'base64').toString('utf8') : undefined);
  const u = userEntry?.user ?? {};
  return {
    server: clusterEntry?.cluster?.server ?? '',
    caPem: b64(clusterEntry?.cluster?.['certificate-authority-data']),
    certPem: b64(u['client-certificate-data']),
    keyPem: b64(u['client-key-data']),
    token: u.token,
    user: userEntry?.name ?? '',
    clusterName: clusterEntry?.name ?? '',
  };
}

/** Write `<dir>/<name>.key` (0600) and `<dir>/<name>.crt` (0644); creates dir. */
export function writeKeyPair(dir: string, name: string, certPem: string, keyPem: string): void {
  writeSecretFile(join(dir, `${name}.key`), keyPem);
  writePublicFile(join(dir, `${name}.crt`), certPem);
}

/** Read `<dir>/<name>.crt` and `.key` as a CA, or undefined when either is missing. */
export function readKeyPair(dir: string, name: string): CA | undefined {
  const crt = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  if (!existsSync(crt) || !existsSync(key)) return undefined;
  return { certPem: readFileSync(crt, 'utf8'), keyPem: readFileSync(key, 'utf8') };
}

/** Write a file with mode 0600 (keys, kubeconfigs), creating its folder. */
export function writeSecretFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Write a file with mode 0644 (certs, public keys, manifests), creating its folder. */
export function writePublicFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, { mode: 0o644 });
  chmodSync(path, 0o644);
}
