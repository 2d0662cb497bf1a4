/**
 * The kubelet's own key material: private keys, PKCS#10 CSRs for its client and serving certs,
 * the self-signed serving cert it makes without serverTLSBootstrap, and validity checks.
 * As the real kubelet: the keys of its CSRs (TLS bootstrap and serving certs) are ECDSA P-256
 * ("EC PRIVATE KEY": keyutil.MakeEllipticPrivateKeyPEM in pkg/kubelet/certificate/bootstrap,
 * ecdsa.GenerateKey(P256) in client-go's certificate manager), so their usages leave out "key
 * encipherment" (client-go util/certificate DefaultKubeletClientGetUsages and
 * DefaultKubeletServingGetUsages: encipherment only for an RSA key); the self-signed kubelet.crt is
 * RSA 2048 (client-go util/cert GenerateSelfSignedCertKey).
 */
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPair, randomBytes, webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A private key PEM with its WebCrypto handles and the algorithm it signs with. */
export interface Key {
  pem: string;
  keys: CryptoKeyPair;
  alg: typeof RSA | typeof EC;
}

/** A new ECDSA P-256 private key, the kubelet's for its CSRs (SEC1 PEM: "EC PRIVATE KEY"). */
export function newKey(): Promise<Key> {
  return generate(EC, 'sec1');
}

/** A new RSA 2048 private key, the self-signed kubelet.crt's (PKCS#1 PEM: "RSA PRIVATE KEY"). */
function newRsaKey(): Promise<Key> {
  return generate(RSA, 'pkcs1');
}

/** A key pair of `alg` (RSA 2048 or ECDSA P-256), its private key as a `pemType` PEM. */
async function generate(alg: Key['alg'], pemType: 'sec1' | 'pkcs1'): Promise<Key> {
  const { privateKey, publicKey } =
    alg === EC ? await promisify(generateKeyPair)('ec', { namedCurve: 'P-256' }) : await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const priv = await webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), alg, true, ['sign']);
  const pub = await webcrypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), alg, true, ['verify']);
  return { pem: privateKey.export({ type: pemType, format: 'pem' }) as string, keys: { privateKey: priv, publicKey: pub } as CryptoKeyPair, alg };
}

/** The usages a kubelet CSR asks for with `key` (client-go's DefaultKubelet{Client,Serving}GetUsages). */
export function csrUsages(key: Key, auth: 'client auth' | 'server auth'): string[] {
  return key.alg === RSA ? ['digital signature', 'key encipherment', auth] : ['digital signature', auth];
}

/** A PKCS#10 CSR PEM for subject O=`orgs`, CN=`cn` with optional DNS and IP SANs. */
export async function makeCSR(key: Key, cn: string, orgs: string[], dnsNames: string[] = [], ips: string[] = []): Promise<string> {
  const sans = [...dnsNames.map((v) => ({ type: 'dns' as const, value: v })), ...ips.map((v) => ({ type: 'ip' as const, value: v }))];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [...orgs.map((o) => ({ O: [o] })), { CN: [cn] }],
    keys: key.keys,
    signingAlgorithm: key.alg,
    extensions: sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : [],
  });
  return csr.toString('pem') + '\n';
}

/**
 * The self-signed serving cert the kubelet makes when it has none (kubelet.crt/kubelet.key):
 * issuer `<host>-ca@<unix>`, subject `<host>@<unix>`, SANs host name and address, one year.
 */
export async function selfSignedServing(host: string, ip: string): Promise<{ certPem: string; keyPem: string }> {
  const key = await newRsaKey();
  const now = Math.floor(Date.now() / 1000);
  const serial = randomBytes(8);
  serial[0] &= 0x7f;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial.toString('hex'),
    subject: `CN=${host}@${now}`,
    issuer: `CN=${host}-ca@${now}`,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 365 * 24 * 3600_000),
    publicKey: key.keys.publicKey,
    signingKey: key.keys.privateKey,
    signingAlgorithm: key.alg,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: host },
        { type: 'ip', value: ip },
      ]),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: key.pem };
}

/** The first certificate in a PEM bundle (a cert+key file such as kubelet-client-current.pem). */
export function firstCertPem(text: string): string | undefined {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0];
}

/** Whether a PEM's first cert is valid now (not before notBefore, not after notAfter). */
export function certValidNow(pem: string | Buffer | undefined): boolean {
  const c = pem ? firstCertPem(pem.toString()) : undefined;
  if (!c) return false;
  try {
    const x = new X509Certificate(c);
    const now = Date.now();
    return Date.parse(x.validFrom) <= now && now < Date.parse(x.validTo);
  } catch {
    return false;
  }
}

/** Whether a PEM holds a private key matching the first cert's public key. */
export function keyMatchesCert(pem: string): boolean {
  try {
    const c = new X509Certificate(firstCertPem(pem)!);
    const a = c.publicKey.export({ type: 'spki', format: 'der' });
    const b = createPublicKey(createPrivateKey(pem)).export({ type: 'spki', format: 'der' });
    return a.equals(b);
  } catch {
    return false;
  }
}

/** The time in a certificate's file name, as the kubelet's cert store writes it (2006-01-02-15-04-05). */
export function certFileStamp(d = new Date()): string {
  return d.toISOString().slice(0, 19).replace(/[T:]/g, '-');
}
