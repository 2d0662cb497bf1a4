/** Service-account JWT verification (RS256/ES256) against the public keys of `--service-account-key-file`. */
import { type KeyObject, X509Certificate, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Load every public key in PEM files (public keys, private keys or certificates), as the apiserver does at start. */
export function loadPublicKeys(files: string[]): KeyObject[] {
  const keys: KeyObject[] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const blocks = text.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? [];
    for (const b of blocks) {
      if (b.includes('CERTIFICATE')) keys.push(new X509Certificate(b).publicKey);
      else keys.push(createPublicKey(b));
    }
    if (blocks.length === 0) throw new Error(`load service account keys: ${f}: no PEM keys found`);
  }
  return keys;
}

/** A JWT's parts after a successful signature check. */
export interface VerifiedJwt {
  header: Record<string, any>;
  claims: Record<string, any>;
}

const b64url = (s: string) => Buffer.from(s, 'base64url');

/** True when `token` looks like a JWT (three base64url parts with a JSON header). */
export function looksLikeJwt(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  try {
    return typeof JSON.parse(b64url(parts[0]).toString('utf8')).alg === 'string';
  } catch {
    return false;
  }
}

/** Verify the signature of `token` with any of `keys`; throws with a reason when it does not verify. */
export function verifyJwt(token: string, keys: KeyObject[]): VerifiedJwt {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('token is malformed: not a compact JWS');
  let header: any;
  let claims: any;
  try {
    header = JSON.parse(b64url(parts[0]).toString('utf8'));
    claims = JSON.parse(b64url(parts[1]).toString('utf8'));
  } catch {
    throw new Error('token is malformed: bad JSON');
  }
  const data = Buffer.from(`${parts[0]}.${parts[1]}`);
  const sig = b64url(parts[2]);
  let algo: string;
  let dsa: 'ieee-p1363' | undefined;
  if (header.alg === 'RS256') algo = 'sha256';
  else if (header.alg === 'ES256') {
    algo = 'sha256';
    dsa = 'ieee-p1363';
  } else throw new Error(`token uses an unsupported signing algorithm ${JSON.stringify(header.alg)}`);
  for (const k of keys) {
    try {
      const ok = dsa ? verify(algo, data, { key: k, dsaEncoding: dsa }, sig) : verify(algo, data, k, sig);
      if (ok) return { header, claims };
    } catch {
      // wrong key type: try the next key
    }
  }
  throw new Error('square/go-jose: error in cryptographic primitive');
}
