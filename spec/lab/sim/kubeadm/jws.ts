/**
 * Detached JWS (HS256) over the cluster-info kubeconfig, keyed by a bootstrap token's secret, as
 * k8s.io/cluster-bootstrap/token/jws: the bootstrap signer adds `jws-kubeconfig-<id>`, discovery checks it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** Compute the detached signature `header..signature` for content with the token id/secret. */
export function computeDetachedSignature(content: string, tokenId: string, tokenSecret: string): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', kid: tokenId }));
  const sig = createHmac('sha256', tokenSecret)
    .update(`${header}.${b64url(content)}`)
    .digest();
  return `${header}..${b64url(sig)}`;
}

/** Whether a detached JWS is a valid HS256 signature of content for this token. */
export function detachedTokenIsValid(detached: string, content: string, tokenId: string, tokenSecret: string): boolean {
  const parts = detached.split('.');
  if (parts.length !== 3 || parts[1] !== '') return false;
  let header: any;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
  } catch {
    return false;
  }
  if (header.alg !== 'HS256' || (header.kid !== undefined && header.kid !== tokenId)) return false;
  const want = createHmac('sha256', tokenSecret)
    .update(`${parts[0]}.${b64url(content)}`)
    .digest();
  const got = Buffer.from(parts[2], 'base64url');
  return got.length === want.length && timingSafeEqual(got, want);
}
