/** Test tokens: service-account JWTs as kube-controller-manager signs them, bootstrap token secrets, and waiting for a revoked one to be refused. */
import { createPrivateKey, sign } from 'node:crypto';
import { pollUntil } from '../../helpers/wait.js';
import { TOKEN_SUCCESS_TTL_MS } from '../sim/apiserver/authn.js';
import type { KubeClient } from '../sim/kubeclient.js';

const b64u = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** Sign JWT claims with an RSA private key (RS256). */
export function signJwt(claims: Record<string, unknown>, keyPem: string, kid = ''): string {
  const head = b64u({ alg: 'RS256', kid });
  const body = b64u(claims);
  const sig = sign('sha256', Buffer.from(`${head}.${body}`), createPrivateKey(keyPem)).toString('base64url');
  return `${head}.${body}.${sig}`;
}

/** The claims of a legacy (secret-based) service-account token. */
export function legacyClaims(ns: string, sa: string, saUid: string, secretName: string): Record<string, unknown> {
  return {
    iss: 'kubernetes/serviceaccount',
    'kubernetes.io/serviceaccount/namespace': ns,
    'kubernetes.io/serviceaccount/secret.name': secretName,
    'kubernetes.io/serviceaccount/service-account.name': sa,
    'kubernetes.io/serviceaccount/service-account.uid': saUid,
    sub: `system:serviceaccount:${ns}:${sa}`,
  };
}

/** A bootstrap token secret (kube-system/bootstrap-token-<id>) as kubeadm creates it. */
export function bootstrapTokenSecret(id: string, secret: string, o: { expiration?: Date; extraGroups?: string[] } = {}): Record<string, unknown> {
  const b = (s: string) => Buffer.from(s).toString('base64');
  const data: Record<string, string> = {
    'token-id': b(id),
    'token-secret': b(secret),
    'usage-bootstrap-authentication': b('true'),
    'usage-bootstrap-signing': b('true'),
    'auth-extra-groups': b((o.extraGroups ?? ['system:bootstrappers:kubeadm:default-node-token']).join(',')),
  };
  if (o.expiration) data.expiration = b(o.expiration.toISOString().replace(/\.\d+Z$/, 'Z'));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    data,
  };
}

/** Until a revoked token is refused (401): the apiserver takes a token that authenticated for 10 s more, as the real one (authn.ts). */
export function refusedSoon(c: KubeClient, path: string, what: string): Promise<true> {
  return pollUntil(`${what}: 401 for GET ${path}`, async () => (await c.get(path)).status === 401 || undefined, TOKEN_SUCCESS_TTL_MS + 5000, 500);
}
