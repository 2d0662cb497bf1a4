/**
 * TLS for the throwaway etcd: a CA and one leaf (IP SAN 127.0.0.1, server and client auth) made
 * for one read and never kept. Only whoever can read the 0700 copy folder on the master (root)
 * can then talk to it, not any local process or host-network pod for the seconds it runs.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import {
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  PemConverter,
  SubjectAlternativeNameExtension,
  X509CertificateGenerator,
  cryptoProvider,
} from '@peculiar/x509';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

/**
 * One PEM file for etcd and etcdctl alike as --cert-file and --key-file: the leaf certificate, the
 * CA certificate, the leaf key (Go's tls.X509KeyPair takes the CERTIFICATE blocks as the chain,
 * leaf first, and the PRIVATE KEY block as the key). The trusted CA file must hold certificates
 * only (caOnly): etcd's tlsutil.NewCertPool parses every block as one. Holds a private key: pass
 * it on stdin only.
 */
export async function throwawayTlsBundle(now = new Date()): Promise<string> {
  cryptoProvider.set(webcrypto as unknown as Crypto);
  const notBefore = new Date(now.getTime() - 3600_000);
  const notAfter = new Date(now.getTime() + 24 * 3600_000);
  const caKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const ca = await X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=kubemend throwaway etcd CA',
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    keys: caKeys,
    extensions: [new BasicConstraintsExtension(true, 0, true), new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true)],
  });
  const leafKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const leaf = await X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=kubemend throwaway etcd',
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }]),
      new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth, ExtendedKeyUsage.clientAuth]),
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment, true),
    ],
  });
  const key = PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey), 'PRIVATE KEY');
  return `${leaf.toString('pem')}\n${ca.toString('pem')}\n${key}\n`;
}

/** The certificates of a bundle without its key (what the step-0 script does with sed on the host). */
export function caOnly(bundle: string): string {
  return bundle.replace(/-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----\n?/, '');
}
