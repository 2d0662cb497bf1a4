/**
 * The two signatures the controller-manager makes: the bootstrap signer's detached JWS over
 * cluster-info (HS256 keyed by the token secret, as k8s.io/cluster-bootstrap/token/jws) and
 * legacy service-account JWTs (RS256/ES256 with sa.key, `kid` = SHA-256 of the public key).
 */
import { type KeyObject, createHash, createHmac, createPublicKey, sign } from 'node:crypto';

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** Detached compact JWS (`header..signature`) of `content`, keyed by a bootstrap token. */
export function detachedJws(content: string, tokenId: string, tokenSecret: string): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', kid: tokenId }));
  const signingInput = `${header}.${b64url(content)}`;
  const sig = createHmac('sha256', Buffer.from(tokenSecret)).update(signingInput).digest();
  return `${header}..${b64url(sig)}`;
}

/** The `kid` Kubernetes puts on tokens signed by a key: base64url(SHA-256(DER SubjectPublicKeyInfo)). */
export function keyId(key: KeyObject): string {
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return b64url(createHash('sha256').update(der).digest());
}

/** Sign a JWT with an RSA (RS256) or EC P-256 (ES256) private key. */
export function signJwt(claims: Record<string, unknown>, key: KeyObject): string {
  const ec = key.asymmetricKeyType === 'ec';
  const header = b64url(JSON.stringify({ alg: ec ? 'ES256' : 'RS256', kid: keyId(key) }));
  const input = `${header}.${b64url(JSON.stringify(claims))}`;
  const sig = sign('sha256', Buffer.from(input), ec ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${b64url(sig)}`;
}
