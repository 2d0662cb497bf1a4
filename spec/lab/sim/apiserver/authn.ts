/**
 * Authentication as the real apiserver chains it: x509 client certificates verified against the
 * client CA loaded at start, bootstrap tokens (secrets in kube-system), service-account JWTs
 * (signature with any key of any `--service-account-key-file` loaded at start; legacy tokens also
 * looked up in their secret; bound tokens need their service account, and their pod or secret, to
 * still exist with the uid in the token, as pkg/serviceaccount/claims.go checks), else anonymous.
 * A credential that is presented and fails gives 401, never anonymous. A token that authenticated
 * is taken again without a lookup for 10 s, a failed one never (kube-apiserver's token cache,
 * pkg/kubeapiserver/options/authentication.go: TokenSuccessCacheTTL 10 s, TokenFailureCacheTTL 0).
 */
import type { KeyObject } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { createHash, timingSafeEqual } from 'node:crypto';
import { looksLikeJwt, verifyJwt } from './jwt.js';
import { info } from './log.js';
import { findResource } from './resources.js';
import type { Store } from './store.js';
import { ANONYMOUS, type UserInfo, authenticated } from './user.js';

/** Authentication settings from the flags. */
export interface AuthnConfig {
  saKeys: KeyObject[];
  issuers: string[];
  audiences: string[];
  bootstrapTokens: boolean;
  anonymous: boolean;
}

/** The result: a user, or a reason for 401. */
export type AuthnResult = { user: UserInfo } | { error: string };

const BOOTSTRAP_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const LEGACY_ISSUER = 'kubernetes/serviceaccount';
const secrets = findResource('', 'v1', 'secrets')!;
const serviceaccounts = findResource('', 'v1', 'serviceaccounts')!;
const pods = findResource('', 'v1', 'pods')!;
/** go-jose's jwt.DefaultLeeway, which the service-account validator uses for exp, nbf and deletions. */
const LEEWAY_S = 60;

const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [String(v)]);
const eq = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
const dataOf = (s: any, k: string): string | undefined => (s?.data?.[k] === undefined ? undefined : Buffer.from(s.data[k], 'base64').toString('utf8'));

function certError(sock: TLSSocket): string {
  const c = sock.getPeerCertificate();
  const id = `SN=${BigInt('0x' + (c.serialNumber || '0'))}, CN=${c.subject?.CN ?? ''}`;
  const code = sock.authorizationError as unknown as string;
  let why = 'x509: certificate signed by unknown authority';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    why = `x509: certificate has expired or is not yet valid: current time ${new Date().toISOString().replace(/\.\d+Z/, 'Z')} is after ${new Date(c.valid_to).toISOString().replace(/\.\d+Z/, 'Z')}`;
  else if (code === 'UNSUITABLE_CERTIFICATE' || code === 'INVALID_PURPOSE') why = 'x509: certificate specifies an incompatible key usage';
  return `verifying certificate ${id} failed: ${why} (${code})`;
}

async function bootstrapToken(store: Store, id: string, secret: string): Promise<AuthnResult | undefined> {
  const s = await store.tryGet(secrets, 'kube-system', `bootstrap-token-${id}`);
  if (!s) return { error: `bootstrap token ${id}: no secret kube-system/bootstrap-token-${id}` };
  if (s.type !== 'bootstrap.kubernetes.io/token') return { error: `bootstrap token ${id}: secret has type ${s.type}` };
  if (dataOf(s, 'token-id') !== id || !eq(dataOf(s, 'token-secret') ?? '', secret)) return { error: `bootstrap token ${id}: token does not match` };
  if (dataOf(s, 'usage-bootstrap-authentication') !== 'true') return { error: `bootstrap token ${id}: not marked usage-bootstrap-authentication` };
  if (s.metadata.deletionTimestamp) return { error: `bootstrap token ${id}: secret is being deleted` };
  const exp = dataOf(s, 'expiration');
  if (exp && Date.parse(exp) <= Date.now()) return { error: `bootstrap token ${id}: expired at ${exp}` };
  const extra = (dataOf(s, 'auth-extra-groups') ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  for (const g of extra) if (!g.startsWith('system:bootstrappers:')) return { error: `bootstrap token ${id}: invalid extra group ${g}` };
  return { user: authenticated({ username: `system:bootstrap:${id}`, groups: ['system:bootstrappers', ...extra] }) };
}

async function serviceAccountToken(cfg: AuthnConfig, store: Store, token: string): Promise<AuthnResult> {
  let claims: any;
  try {
    claims = verifyJwt(token, cfg.saKeys).claims;
  } catch (e) {
    return { error: `service account token: ${(e as Error).message}` };
  }
  const now = Date.now() / 1000;
  if (claims.iss === LEGACY_ISSUER) {
    const ns = claims['kubernetes.io/serviceaccount/namespace'];
    const secretName = claims['kubernetes.io/serviceaccount/secret.name'];
    const saName = claims['kubernetes.io/serviceaccount/service-account.name'];
    const saUid = claims['kubernetes.io/serviceaccount/service-account.uid'];
    if (!ns || !secretName || !saName) return { error: 'legacy service account token: missing claims' };
    const s = await store.tryGet(secrets, ns, secretName);
    if (!s) return { error: `legacy service account token: secret ${ns}/${secretName} not found` };
    if (s.metadata.deletionTimestamp) return { error: `legacy service account token: secret ${ns}/${secretName} is being deleted` };
    if (!eq(dataOf(s, 'token') ?? '', token)) return { error: `legacy service account token: token does not match secret ${ns}/${secretName}` };
    const sa = await store.tryGet(serviceaccounts, ns, saName);
    if (!sa) return { error: `legacy service account token: service account ${ns}/${saName} not found` };
    if (saUid && sa.metadata.uid !== saUid) return { error: `legacy service account token: service account uid ${saUid} does not match ${sa.metadata.uid}` };
    return {
      user: authenticated({
        username: `system:serviceaccount:${ns}:${saName}`,
        uid: sa.metadata.uid,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`],
      }),
    };
  }
  if (!cfg.issuers.includes(claims.iss)) return { error: `service account token: issuer ${JSON.stringify(claims.iss)} not accepted` };
  // jwt.Expected{Time: now}.Validate with go-jose's DefaultLeeway (1 min), as pkg/serviceaccount/claims.go
  if (typeof claims.exp === 'number' && claims.exp < now - LEEWAY_S) return { error: 'service account token has expired' };
  if (typeof claims.nbf === 'number' && claims.nbf > now + LEEWAY_S) return { error: 'service account token is not valid yet' };
  const aud = asList(claims.aud);
  if (!aud.some((a) => cfg.audiences.includes(a))) return { error: `service account token: audience ${JSON.stringify(aud)} not accepted` };
  const k = claims['kubernetes.io'] ?? {};
  const ns = k.namespace;
  const saName = k.serviceaccount?.name;
  if (!ns || !saName) return { error: 'service account token: missing kubernetes.io claims' };
  const invalidIfDeletedBefore = Date.now() - LEEWAY_S * 1000;
  const deletedLongAgo = (o: any) => !!o.metadata.deletionTimestamp && Date.parse(o.metadata.deletionTimestamp) < invalidIfDeletedBefore;
  const sa = await store.tryGet(serviceaccounts, ns, saName);
  if (!sa) return { error: `serviceaccounts "${saName}" not found` };
  if (deletedLongAgo(sa)) return { error: `service account ${ns}/${saName} has been deleted` };
  if (sa.metadata.uid !== k.serviceaccount?.uid)
    return { error: `service account UID (${sa.metadata.uid}) does not match claim (${k.serviceaccount?.uid ?? ''})` };
  if (k.secret) {
    const sec = await store.tryGet(secrets, ns, k.secret.name);
    if (!sec || deletedLongAgo(sec)) return { error: 'service account token has been invalidated' };
    if (sec.metadata.uid !== k.secret.uid)
      return { error: `secret UID (${sec.metadata.uid}) does not match service account secret ref claim (${k.secret.uid})` };
  }
  const extra: Record<string, string[]> = {};
  if (k.pod) {
    // a token bound to a pod dies with the pod (or a pod of the same name made again)
    const pod = await store.tryGet(pods, ns, k.pod.name);
    if (!pod || deletedLongAgo(pod)) return { error: 'service account token has been invalidated' };
    if (pod.metadata.uid !== k.pod.uid) return { error: `pod UID (${pod.metadata.uid}) does not match service account pod ref claim (${k.pod.uid})` };
    extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
    extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
  }
  if (k.node?.name) {
    extra['authentication.kubernetes.io/node-name'] = [k.node.name];
    if (k.node.uid) extra['authentication.kubernetes.io/node-uid'] = [k.node.uid];
  }
  if (claims.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${claims.jti}`];
  return {
    user: authenticated({
      username: `system:serviceaccount:${ns}:${saName}`,
      uid: sa.metadata.uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`],
      ...(Object.keys(extra).length ? { extra } : {}),
    }),
  };
}

/** kube-apiserver's TokenSuccessCacheTTL. */
export const TOKEN_SUCCESS_TTL_MS = 10_000;

/** Per authenticator (one per apiserver): successful token authentications by the token's SHA-256 (never the token itself), until when they hold. */
const tokenCaches = new WeakMap<AuthnConfig, Map<string, { user: UserInfo; until: number }>>();

/** The bearer token's user from `cfg`'s success cache, or from `lookup` (a success is then cached). */
async function cachedToken(cfg: AuthnConfig, token: string, lookup: () => Promise<AuthnResult | undefined>): Promise<AuthnResult | undefined> {
  let tokenCache = tokenCaches.get(cfg);
  if (!tokenCache) tokenCaches.set(cfg, (tokenCache = new Map()));
  const key = createHash('sha256').update(token).digest('hex');
  const now = Date.now();
  const hit = tokenCache.get(key);
  if (hit && hit.until > now) return { user: hit.user };
  const r = await lookup();
  if (r && 'user' in r) {
    if (tokenCache.size > 10_000) tokenCache.clear();
    tokenCache.set(key, { user: r.user, until: now + TOKEN_SUCCESS_TTL_MS });
  } else tokenCache.delete(key);
  return r;
}

/** Authenticate one request from its TLS socket and Authorization header. */
export async function authenticate(cfg: AuthnConfig, store: Store, sock: TLSSocket, authorization: string | undefined): Promise<AuthnResult> {
  const errors: string[] = [];
  const cert = sock.getPeerCertificate();
  if (cert && Object.keys(cert).length > 0) {
    if (sock.authorized) {
      const cn = cert.subject?.CN;
      const o = cert.subject?.O;
      const groups = asList(o).flatMap((g) => g.split('\n'));
      return { user: authenticated({ username: Array.isArray(cn) ? cn[0] : (cn ?? ''), groups }) };
    }
    errors.push(certError(sock));
  }
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (m) {
    const token = m[1];
    const bt = BOOTSTRAP_RE.exec(token);
    if (bt && cfg.bootstrapTokens) {
      const r = await cachedToken(cfg, token, () => bootstrapToken(store, bt[1], bt[2]));
      if (r && 'user' in r) return r;
      if (r) errors.push(r.error);
    } else if (looksLikeJwt(token)) {
      const r = (await cachedToken(cfg, token, () => serviceAccountToken(cfg, store, token)))!;
      if ('user' in r) return r;
      errors.push(r.error);
    } else errors.push('invalid bearer token');
  }
  if (errors.length) {
    info(`Unable to authenticate the request: [${errors.join(', ')}]`);
    return { error: errors.join(', ') };
  }
  if (!cfg.anonymous) return { error: 'anonymous requests are disabled' };
  return { user: ANONYMOUS };
}
