/**
 * `POST /api/v1/namespaces/NS/serviceaccounts/SA/token` (TokenRequest), as kube-apiserver 1.32
 * serves it (pkg/registry/core/serviceaccount/storage/token.go, pkg/serviceaccount/claims.go):
 * audiences default to the apiserver's; a token bound to a Pod needs the pod to run as that
 * service account (and the given uid to match); a pod-bound token asking for exactly 3607 s with
 * the apiserver's own audiences is issued for a year with `warnafter` at 3607 s
 * (`--service-account-extend-token-expiration`, on by default); `status.expirationTimestamp` is
 * always now + the requested seconds. Signed with `--service-account-signing-key-file`.
 */
import { type KeyObject, randomUUID } from 'node:crypto';
import { signJwt } from '../controller-manager/jws.js';
import { WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS } from './admission.js';
import { findResource } from './resources.js';
import { ApiError, badRequest } from './status.js';
import type { Obj, Store } from './store.js';

/** pkg/serviceaccount ExpirationExtensionSeconds: the extended lifetime (one year). */
export const EXPIRATION_EXTENSION_SECONDS = 24 * 365 * 60 * 60;

/** What the apiserver signs tokens with, from its flags. */
export interface TokenIssuer {
  /** `--service-account-signing-key-file`, read at start. */
  key: KeyObject;
  /** The first `--service-account-issuer` (the one tokens are issued with). */
  issuer: string;
  /** `--api-audiences` (default: the issuers). */
  audiences: string[];
  /** `--service-account-extend-token-expiration` (default true). */
  extendExpiration: boolean;
  /** `--service-account-max-token-expiration` in seconds (0: none). */
  maxExpirationSeconds: number;
}

const serviceaccounts = findResource('', 'v1', 'serviceaccounts')!;
const pods = findResource('', 'v1', 'pods')!;
const secrets = findResource('', 'v1', 'secrets')!;
const nodes = findResource('', 'v1', 'nodes')!;
const time = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');

function invalidRequest(field: string, value: unknown, why: string): ApiError {
  return new ApiError(422, 'Invalid', `TokenRequest.authentication.k8s.io "" is invalid: ${field}: Invalid value: ${value}: ${why}`, {
    group: 'authentication.k8s.io',
    kind: 'TokenRequest',
    causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${why}`, field }],
  });
}

/** Create a token for service account `name` in `ns` from the TokenRequest `body`. */
export async function createToken(store: Store, iss: TokenIssuer, ns: string, name: string, body: Obj | undefined, now = new Date()): Promise<Obj> {
  const req: Obj = structuredClone(body ?? {});
  if (req.metadata?.name && req.metadata.name !== name)
    throw invalidRequest('metadata.name', JSON.stringify(req.metadata.name), 'must match the service account name if specified');
  if (req.metadata?.namespace && req.metadata.namespace !== ns)
    throw invalidRequest('metadata.namespace', JSON.stringify(req.metadata.namespace), 'must match the service account namespace if specified');
  const sa = await store.get(serviceaccounts, ns, name);
  const spec: Obj = (req.spec = req.spec ?? {});
  if (!spec.audiences?.length) spec.audiences = [...iss.audiences];
  spec.expirationSeconds ??= 3600; // SetDefaults_TokenRequestSpec
  const seconds = Number(spec.expirationSeconds);
  if (seconds < 600) throw invalidRequest('spec.expirationSeconds', seconds, 'may not specify a duration less than 10 minutes');
  if (seconds > 2 ** 32) throw invalidRequest('spec.expirationSeconds', seconds, 'may not specify a duration larger than 2^32 seconds');
  let pod: Obj | undefined;
  let secret: Obj | undefined;
  let node: { name: string; uid?: string } | undefined;
  const ref = spec.boundObjectRef;
  if (ref) {
    let uid: string;
    const group = String(ref.apiVersion ?? '').includes('/') ? String(ref.apiVersion).split('/')[0] : '';
    if (group === '' && ref.kind === 'Pod') {
      pod = await store.get(pods, ns, ref.name);
      if (pod.spec?.serviceAccountName !== name)
        throw badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
      uid = pod.metadata.uid;
      if (pod.spec?.nodeName) {
        const n = await store.tryGet(nodes, undefined, pod.spec.nodeName);
        node = { name: pod.spec.nodeName, ...(n ? { uid: n.metadata.uid } : {}) };
      }
    } else if (group === '' && ref.kind === 'Secret') {
      secret = await store.get(secrets, ns, ref.name);
      uid = secret.metadata.uid;
    } else throw badRequest(`cannot bind token to object of type ${ref.apiVersion ?? ''}, Kind=${ref.kind ?? ''}`);
    if (ref.uid && ref.uid !== uid) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${ref.kind} "${ref.name}": the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
        { name: ref.name, kind: ref.kind },
      );
    }
  }
  let requested = seconds;
  if (iss.maxExpirationSeconds > 0 && requested > iss.maxExpirationSeconds) requested = spec.expirationSeconds = iss.maxExpirationSeconds;
  let exp = requested;
  let warnAfter = 0;
  const kubeAudiences = (spec.audiences as string[]).every((a) => iss.audiences.includes(a));
  if (iss.extendExpiration && pod && requested === WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS && kubeAudiences) {
    warnAfter = requested;
    exp = EXPIRATION_EXTENSION_SECONDS;
  }
  const t = Math.floor(now.getTime() / 1000);
  const k: Obj = { namespace: ns, serviceaccount: { name: sa.metadata.name, uid: sa.metadata.uid } };
  if (pod) k.pod = { name: pod.metadata.name, uid: pod.metadata.uid };
  else if (secret) k.secret = { name: secret.metadata.name, uid: secret.metadata.uid };
  if (node) k.node = node;
  if (warnAfter) k.warnafter = t + warnAfter;
  const claims = {
    aud: spec.audiences,
    exp: t + exp,
    iat: t,
    iss: iss.issuer,
    jti: randomUUID(),
    'kubernetes.io': k,
    nbf: t,
    sub: `system:serviceaccount:${ns}:${sa.metadata.name}`,
  };
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: sa.metadata.name, namespace: ns, creationTimestamp: time(now) },
    spec,
    status: { token: signJwt(claims, iss.key), expirationTimestamp: time(new Date(now.getTime() + requested * 1000)) },
  };
}
