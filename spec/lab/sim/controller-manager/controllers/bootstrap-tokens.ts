/**
 * Bootstrap token secrets (`kube-system/bootstrap-token-<id>`, type bootstrap.kubernetes.io/token)
 * read the way k8s.io/cluster-bootstrap does: id and secret formats, expiration, usages.
 */
import type { KObject } from '../../client/api.js';

/** The type of bootstrap token secrets. */
export const BOOTSTRAP_TOKEN_TYPE = 'bootstrap.kubernetes.io/token';

/** A bootstrap token's fields (the secret part stays inside the controllers; never log it). */
export interface BootstrapToken {
  id: string;
  secret: string;
  expiration?: Date;
  usages: Set<string>;
  secretName: string;
}

const field = (s: KObject, k: string): string | undefined => (s.data?.[k] !== undefined ? Buffer.from(s.data[k], 'base64').toString('utf8') : undefined);

/** Parse a secret as a bootstrap token, or undefined when it is not a well-formed one. */
export function parseBootstrapToken(s: KObject): BootstrapToken | undefined {
  if (s.type !== BOOTSTRAP_TOKEN_TYPE || s.metadata.namespace !== 'kube-system') return undefined;
  const id = field(s, 'token-id') ?? '';
  const secret = field(s, 'token-secret') ?? '';
  if (!/^[a-z0-9]{6}$/.test(id) || !/^[a-z0-9]{16}$/.test(secret)) return undefined;
  if (s.metadata.name !== `bootstrap-token-${id}`) return undefined;
  const exp = field(s, 'expiration');
  const usages = new Set(
    Object.keys(s.data ?? {})
      .filter((k) => k.startsWith('usage-bootstrap-') && field(s, k) === 'true')
      .map((k) => k.slice('usage-bootstrap-'.length)),
  );
  return { id, secret, expiration: exp ? new Date(exp) : undefined, usages, secretName: s.metadata.name };
}

/** Whether a token's expiration has passed (an unparsable expiration counts as expired, as real). */
export function isExpired(t: BootstrapToken, now = new Date()): boolean {
  if (!t.expiration) return false;
  const ms = t.expiration.getTime();
  return Number.isNaN(ms) || ms < now.getTime();
}

/** Whether a secret has an expiration that passed (used by the token cleaner even for malformed tokens). */
export function secretExpired(s: KObject, now = new Date()): boolean {
  const exp = field(s, 'expiration');
  if (!exp) return false;
  const ms = Date.parse(exp);
  return !Number.isNaN(ms) && ms < now.getTime();
}
