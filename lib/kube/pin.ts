/** The CA pin kubeadm's token discovery checks: sha256 of the CA's SubjectPublicKeyInfo (DER). */
import { createHash, X509Certificate } from 'node:crypto';

/** `sha256:<hex>` of the SubjectPublicKeyInfo of the PEM certificate `caPem`. */
export function caCertHash(caPem: string | Buffer): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}
