/**
 * Unit tests of the lab apiserver's service-account token and eviction rules against an in-memory
 * store: the ServiceAccount admission plugin's projected volume, TokenRequest (bound to a pod, the
 * 3607 s extension, refusals), bound-token authentication (signed by any --service-account-key-file,
 * dead with its pod), and the Eviction API honouring PodDisruptionBudgets with the real messages.
 */
import test from 'ava';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { admitPod, tokenVolumeSource } from './admission.js';
import { TOKEN_SUCCESS_TTL_MS, authenticate, type AuthnConfig } from './authn.js';
import { evict } from './eviction.js';
import { findResource, type ResourceDef } from './resources.js';
import { ApiError, notFound } from './status.js';
import type { Obj, Store } from './store.js';
import { EXPIRATION_EXTENSION_SECONDS, type TokenIssuer, createToken } from './tokenrequest.js';

/** A Store over a Map, with resourceVersions, enough for these rules. */
class MemStore {
  objs = new Map<string, Obj>();
  rv = 1;
  key = (r: ResourceDef, ns: string | undefined, name: string) => `${r.plural}/${ns ?? ''}/${name}`;
  put(r: ResourceDef, o: Obj): Obj {
    o.metadata.resourceVersion = String(++this.rv);
    o.metadata.uid ??= `uid-${o.metadata.name}`;
    this.objs.set(this.key(r, o.metadata.namespace, o.metadata.name), structuredClone(o));
    return o;
  }
  async get(r: ResourceDef, ns: string | undefined, name: string): Promise<Obj> {
    const o = this.objs.get(this.key(r, ns, name));
    if (!o) throw notFound(r.group, r.plural, name);
    return structuredClone(o);
  }
  async tryGet(r: ResourceDef, ns: string | undefined, name: string): Promise<Obj | undefined> {
    const o = this.objs.get(this.key(r, ns, name));
    return o ? structuredClone(o) : undefined;
  }
  async list(r: ResourceDef, ns?: string): Promise<{ items: Obj[]; revision: number }> {
    const items = [...this.objs.entries()].filter(([k]) => k.startsWith(`${r.plural}/${ns ?? ''}`)).map(([, o]) => structuredClone(o));
    return { items, revision: this.rv };
  }
  async update(r: ResourceDef, o: Obj, expectRv: number): Promise<Obj> {
    const cur = this.objs.get(this.key(r, o.metadata.namespace, o.metadata.name));
    if (!cur || Number(cur.metadata.resourceVersion) !== expectRv) throw new ApiError(409, 'Conflict', 'conflict');
    return this.put(r, o);
  }
  async delete(r: ResourceDef, ns: string | undefined, name: string, expectRv?: number): Promise<Obj> {
    const k = this.key(r, ns, name);
    const cur = this.objs.get(k);
    if (!cur) throw notFound(r.group, r.plural, name);
    if (expectRv !== undefined && Number(cur.metadata.resourceVersion) !== expectRv) throw new ApiError(409, 'Conflict', 'conflict');
    this.objs.delete(k);
    return cur;
  }
}

const R = {
  sa: findResource('', 'v1', 'serviceaccounts')!,
  pods: findResource('', 'v1', 'pods')!,
  pdbs: findResource('policy', 'v1', 'poddisruptionbudgets')!,
  nodes: findResource('', 'v1', 'nodes')!,
};
const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const keys = () => generateKeyPairSync('rsa', { modulusLength: 2048 });

function cluster() {
  const store = new MemStore();
  store.put(R.sa, { metadata: { name: 'web', namespace: 'apps', uid: 'sa-uid' } });
  store.put(R.sa, { metadata: { name: 'quiet', namespace: 'apps', uid: 'sa2' }, automountServiceAccountToken: false });
  store.put(R.nodes, { metadata: { name: 'w1', uid: 'node-uid' } });
  store.put(R.pods, {
    metadata: { name: 'web-1', namespace: 'apps', uid: 'pod-uid', labels: { app: 'web' } },
    spec: { serviceAccountName: 'web', nodeName: 'w1' },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  });
  return store;
}
const issuer = (key: KeyObject, extra: Partial<TokenIssuer> = {}): TokenIssuer => ({
  key,
  issuer: ISSUER,
  audiences: [ISSUER],
  extendExpiration: true,
  maxExpirationSeconds: 0,
  ...extra,
});
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
/** A TLS socket that presented no client certificate. */
const noCert = { getPeerCertificate: () => ({}), authorized: false } as unknown as TLSSocket;
const authn = (saKeys: KeyObject[]): AuthnConfig => ({ saKeys, issuers: [ISSUER], audiences: [ISSUER], bootstrapTokens: false, anonymous: false });

test('ServiceAccount admission: a kube-api-access-* projected volume (token 3607 s, kube-root-ca.crt, namespace) mounted in every container; none when automount is off', async (t) => {
  const store = cluster() as unknown as Store;
  const pod: Obj = {
    metadata: { name: 'p', namespace: 'apps' },
    spec: {
      serviceAccountName: 'web',
      initContainers: [{ name: 'i' }],
      containers: [{ name: 'a' }, { name: 'b', volumeMounts: [{ name: 'own', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }] }],
    },
  };
  await admitPod(store, pod, 'apps');
  const vol = pod.spec.volumes.find((v: Obj) => v.name.startsWith('kube-api-access-'));
  t.regex(vol.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  t.deepEqual(vol.projected, tokenVolumeSource());
  t.is(vol.projected.sources[0].serviceAccountToken.expirationSeconds, 3607);
  t.deepEqual(pod.spec.initContainers[0].volumeMounts, [{ name: vol.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
  t.is(pod.spec.containers[0].volumeMounts[0].name, vol.name);
  t.is(pod.spec.containers[1].volumeMounts.length, 1, 'a container with its own mount at that path keeps it');
  const quiet: Obj = { metadata: { name: 'q', namespace: 'apps' }, spec: { serviceAccountName: 'quiet', containers: [{ name: 'a' }] } };
  await admitPod(store, quiet, 'apps');
  t.is((quiet.spec.volumes ?? []).length, 0, "the service account's automountServiceAccountToken: false");
  const off: Obj = {
    metadata: { name: 'o', namespace: 'apps' },
    spec: { serviceAccountName: 'web', automountServiceAccountToken: false, containers: [{ name: 'a' }] },
  };
  await admitPod(store, off, 'apps');
  t.is((off.spec.volumes ?? []).length, 0, "the pod's own setting first");
  const err = await t.throwsAsync(admitPod(store, { metadata: { generateName: 'x-', namespace: 'apps' }, spec: { containers: [{ name: 'a' }] } }, 'apps'));
  t.is(err!.message, 'pods is forbidden: error looking up service account apps/default: serviceaccount "default" not found');
  t.is((err as ApiError).code, 403);
});

test('TokenRequest: bound to the pod (and its node), extended to a year with warnafter when it asks for 3607 s; expirationTimestamp is the requested time', async (t) => {
  const store = cluster() as unknown as Store;
  const { privateKey } = keys();
  const now = new Date('2026-12-04T10:00:00Z');
  const tr = await createToken(
    store,
    issuer(privateKey),
    'apps',
    'web',
    { spec: { expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web-1', uid: 'pod-uid' } } },
    now,
  );
  t.is(tr.status.expirationTimestamp, '2026-12-04T11:00:07Z');
  const c = claims(tr.status.token);
  const t0 = now.getTime() / 1000;
  t.deepEqual(c.aud, [ISSUER]);
  t.is(c.iss, ISSUER);
  t.is(c.exp, t0 + EXPIRATION_EXTENSION_SECONDS);
  t.is(c['kubernetes.io'].warnafter, t0 + 3607);
  t.deepEqual(c['kubernetes.io'].pod, { name: 'web-1', uid: 'pod-uid' });
  t.deepEqual(c['kubernetes.io'].node, { name: 'w1', uid: 'node-uid' });
  t.deepEqual(c['kubernetes.io'].serviceaccount, { name: 'web', uid: 'sa-uid' });
  t.is(c.sub, 'system:serviceaccount:apps:web');
  const plain = claims(
    (
      await createToken(
        store,
        issuer(privateKey, { extendExpiration: false }),
        'apps',
        'web',
        { spec: { expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web-1' } } },
        now,
      )
    ).status.token,
  );
  t.is(plain.exp, t0 + 3607, '--service-account-extend-token-expiration=false');
  t.is(plain['kubernetes.io'].warnafter, undefined);
  const hour = claims((await createToken(store, issuer(privateKey), 'apps', 'web', { spec: {} }, now)).status.token);
  t.is(hour.exp, t0 + 3600, 'expirationSeconds defaults to 1 h; not pod-bound: no extension');
  await t.throwsAsync(createToken(store, issuer(privateKey), 'apps', 'web', { spec: { expirationSeconds: 599 } }, now), {
    message: /spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes/,
  });
  await t.throwsAsync(
    createToken(store, issuer(privateKey), 'apps', 'quiet', { spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web-1' } } }, now),
    { message: 'cannot bind token for serviceaccount "quiet" to pod running with different serviceaccount name.' },
  );
  await t.throwsAsync(
    createToken(store, issuer(privateKey), 'apps', 'web', { spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web-1', uid: 'other' } } }, now),
    { message: /the UID in the bound object reference \(other\) does not match the UID in record/ },
  );
  await t.throwsAsync(createToken(store, issuer(privateKey), 'apps', 'nobody', { spec: {} }, now), { message: 'serviceaccounts "nobody" not found' });
});

test('bound tokens authenticate while their pod lives, signed by the key of ANY --service-account-key-file; a token from a lost key, a dead pod or a recreated pod is refused', async (t) => {
  const mem = cluster();
  const store = mem as unknown as Store;
  const old = keys();
  const cur = keys();
  const ref = { apiVersion: 'v1', kind: 'Pod', name: 'web-1', uid: 'pod-uid' };
  const oldToken = (await createToken(store, issuer(old.privateKey), 'apps', 'web', { spec: { expirationSeconds: 3607, boundObjectRef: ref } })).status.token;
  const newToken = (await createToken(store, issuer(cur.privateKey), 'apps', 'web', { spec: { expirationSeconds: 3607, boundObjectRef: ref } })).status.token;
  const bearer = (tk: string) => `Bearer ${tk}`;
  // two key files (e.g. a key rotation): both verify
  const both = await authenticate(authn([cur.publicKey, old.publicKey]), store, noCert, bearer(oldToken));
  t.true('user' in both);
  if ('user' in both) {
    t.is(both.user.username, 'system:serviceaccount:apps:web');
    t.deepEqual(both.user.extra?.['authentication.kubernetes.io/pod-name'], ['web-1']);
    t.true(both.user.groups.includes('system:serviceaccounts:apps'));
  }
  // only the new key: the old token is refused (what every pod holds after sa.key was made anew)
  const refused = await authenticate(authn([cur.publicKey]), store, noCert, bearer(oldToken));
  t.true('error' in refused && /cryptographic primitive/.test(refused.error));
  t.true('user' in (await authenticate(authn([cur.publicKey]), store, noCert, bearer(newToken))));
  // the pod is deleted: its token dies with it; a pod of the same name made again does not revive it
  await mem.delete(R.pods, 'apps', 'web-1');
  const gone = await authenticate(authn([cur.publicKey]), store, noCert, bearer(newToken));
  t.deepEqual(gone, { error: 'service account token has been invalidated' });
  mem.put(R.pods, { metadata: { name: 'web-1', namespace: 'apps', uid: 'pod-uid-2' }, spec: { serviceAccountName: 'web' } });
  const again = await authenticate(authn([cur.publicKey]), store, noCert, bearer(newToken));
  t.deepEqual(again, { error: 'pod UID (pod-uid-2) does not match service account pod ref claim (pod-uid)' });
});

test('a token that authenticated is taken again for 10 s without a lookup (kube-apiserver TokenSuccessCacheTTL), a refused one is looked up again at once (TokenFailureCacheTTL 0)', async (t) => {
  const mem = cluster();
  const store = mem as unknown as Store;
  const k = keys();
  const ref = { apiVersion: 'v1', kind: 'Pod', name: 'web-1', uid: 'pod-uid' };
  const token = (await createToken(store, issuer(k.privateKey), 'apps', 'web', { spec: { expirationSeconds: 3607, boundObjectRef: ref } })).status.token;
  const cfg = authn([k.publicKey]);
  const bearer = `Bearer ${token}`;
  t.true('user' in (await authenticate(cfg, store, noCert, bearer)));
  await mem.delete(R.pods, 'apps', 'web-1');
  // the same apiserver still takes it (cached success); a fresh one (a restarted apiserver) does not
  t.true('user' in (await authenticate(cfg, store, noCert, bearer)), 'cached for TOKEN_SUCCESS_TTL_MS');
  const fresh = authn([k.publicKey]);
  t.deepEqual(await authenticate(fresh, store, noCert, bearer), { error: 'service account token has been invalidated' });
  // a refusal is not cached: the pod made again with its uid, the same authenticator takes the token at once
  mem.put(R.pods, { metadata: { name: 'web-1', namespace: 'apps', uid: 'pod-uid' }, spec: { serviceAccountName: 'web' } });
  t.true('user' in (await authenticate(fresh, store, noCert, bearer)));
  t.is(TOKEN_SUCCESS_TTL_MS, 10_000);
});

test('Eviction API: a PodDisruptionBudget that allows no disruption refuses with 429 and the real cause; one that does is spent and the pod deleted', async (t) => {
  const mem = cluster();
  const store = mem as unknown as Store;
  mem.put(R.pods, {
    metadata: { name: 'web-2', namespace: 'apps', uid: 'p2', labels: { app: 'web' } },
    spec: {},
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  });
  mem.put(R.pdbs, {
    metadata: { name: 'web', namespace: 'apps', generation: 1 },
    spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
    status: { observedGeneration: 1, disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 },
  });
  await evict(store, 'apps', 'web-1', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-1', namespace: 'apps' } });
  t.is(await mem.tryGet(R.pods, 'apps', 'web-1'), undefined, 'evicted: deleted');
  const pdb = await mem.get(R.pdbs, 'apps', 'web');
  t.is(pdb.status.disruptionsAllowed, 0, 'the budget is spent');
  t.truthy(pdb.status.disruptedPods['web-1'], 'the eviction is recorded for the disruption controller');
  const err = (await t.throwsAsync(evict(store, 'apps', 'web-2', undefined))) as ApiError;
  t.is(err.code, 429);
  t.is(err.message, "Cannot evict pod as it would violate the pod's disruption budget.");
  t.deepEqual(err.details, { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 1 healthy pods and has 2 currently' }] });
  t.truthy(await mem.tryGet(R.pods, 'apps', 'web-2'), 'not deleted');
  // a budget whose status the controller has not observed yet
  const p = await mem.get(R.pdbs, 'apps', 'web');
  mem.put(R.pdbs, { ...p, metadata: { ...p.metadata, generation: 2 }, status: { ...p.status, disruptionsAllowed: 1 } });
  const stale = (await t.throwsAsync(evict(store, 'apps', 'web-2', undefined))) as ApiError;
  t.is(stale.code, 429);
  t.deepEqual(stale.details, {
    causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web is still being processed by the server.' }],
    retryAfterSeconds: 10,
  });
  // a pod no budget selects is deleted at once; the name in the body must match the URL
  mem.put(R.pods, { metadata: { name: 'solo', namespace: 'apps', uid: 's' }, spec: {}, status: { phase: 'Running' } });
  await t.throwsAsync(evict(store, 'apps', 'solo', { metadata: { name: 'other' } }), { message: 'name in URL does not match name in Eviction object' });
  await evict(store, 'apps', 'solo', { metadata: { name: 'solo' } });
  t.is(await mem.tryGet(R.pods, 'apps', 'solo'), undefined);
});
