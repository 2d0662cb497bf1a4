/** The REST verbs on resources: get, list, create, update, patch, delete, and the subresources. */
import { type Attributes, allowed } from './authz.js';
import { applyPatch } from './patch.js';
import { type ResourceDef, apiVersionOf, findResource } from './resources.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError, badRequest, conflict, methodNotAllowed } from './status.js';
import type { Obj, Store } from './store.js';
import { prepareCreate, prepareUpdate } from './strategy.js';
import { admitPod } from './admission.js';
import { evict } from './eviction.js';
import { type TokenIssuer, createToken } from './tokenrequest.js';
import { toTable, wantsTable } from './table.js';
import type { UserInfo } from './user.js';

/** One parsed resource request. */
export interface ResourceRequest {
  r: ResourceDef;
  verb: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  query: URLSearchParams;
  body?: any;
  contentType: string;
  accept?: string;
  user: UserInfo;
  /** Full authorization (built-in rules, then stored RBAC), for access reviews. */
  authorize?: (a: Attributes) => Promise<boolean>;
  /** What TokenRequests are signed with (absent: the token subresource is not served). */
  issuer?: TokenIssuer;
}

/** An HTTP result: status code and JSON body. */
export interface Result {
  code: number;
  body: unknown;
}

const namespaces = findResource('', 'v1', 'namespaces')!;

/** Render one object (or a Table of it when asked). */
function render(req: ResourceRequest, obj: Obj): unknown {
  if (wantsTable(req.accept)) return toTable(req.r, [obj], { resourceVersion: obj.metadata.resourceVersion }, req.query.get('includeObject') ?? undefined);
  return obj;
}

/** Filter a list by the request's label and field selectors. */
export function selectorFilter(query: URLSearchParams): (o: Obj) => boolean {
  const lab = parseLabelSelector(query.get('labelSelector'));
  const fld = parseFieldSelector(query.get('fieldSelector'));
  return (o) => lab(o.metadata?.labels) && fld(o);
}

async function list(store: Store, req: ResourceRequest): Promise<Result> {
  const { items, revision } = await store.list(req.r, req.namespace);
  const keep = selectorFilter(req.query);
  const selected = items
    .filter(keep)
    .sort((a, b) => (`${a.metadata.namespace ?? ''}/${a.metadata.name}` < `${b.metadata.namespace ?? ''}/${b.metadata.name}` ? -1 : 1));
  const meta = { resourceVersion: String(revision) };
  if (wantsTable(req.accept)) return { code: 200, body: toTable(req.r, selected, meta, req.query.get('includeObject') ?? undefined) };
  return { code: 200, body: { kind: `${req.r.kind}List`, apiVersion: apiVersionOf(req.r), metadata: meta, items: selected } };
}

async function create(store: Store, req: ResourceRequest): Promise<Result> {
  const body = req.body;
  if (!body || typeof body !== 'object') throw badRequest('the body of the request is not a JSON object');
  if (req.r.namespaced && body.metadata?.namespace && body.metadata.namespace !== req.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (req.r.namespaced && req.r.plural !== 'events') {
    const ns = await store.tryGet(namespaces, undefined, req.namespace!);
    if (!ns) throw new ApiError(404, 'NotFound', `namespaces "${req.namespace}" not found`, { name: req.namespace, kind: 'namespaces' });
  }
  if (req.r.plural === 'pods') await admitPod(store, body, req.namespace!);
  const obj = prepareCreate(req.r, body, req.namespace, req.user);
  if (req.query.get('dryRun') === 'All') return { code: 201, body: obj };
  const created = await store.create(req.r, obj);
  return { code: 201, body: render(req, created) };
}

async function update(store: Store, req: ResourceRequest): Promise<Result> {
  const body = req.body;
  if (!body || typeof body !== 'object') throw badRequest('the body of the request is not a JSON object');
  if (body.metadata?.name && body.metadata.name !== req.name)
    throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${req.name})`);
  const cur = await store.get(req.r, req.namespace, req.name!);
  const want = body.metadata?.resourceVersion;
  if (want && want !== cur.metadata.resourceVersion) throw conflict(req.r.group, req.r.plural, req.name!);
  const next = prepareUpdate(req.r, cur, body, req.subresource);
  const saved = await store.update(req.r, next, Number(cur.metadata.resourceVersion));
  return { code: 200, body: render(req, saved) };
}

async function patch(store: Store, req: ResourceRequest): Promise<Result> {
  const saved = await store.guaranteedUpdate(req.r, req.namespace, req.name!, (cur) => {
    const patched = applyPatch(req.contentType, cur, req.body);
    const want = patched?.metadata?.resourceVersion;
    if (want && want !== cur.metadata.resourceVersion) throw conflict(req.r.group, req.r.plural, req.name!);
    return prepareUpdate(req.r, cur, patched, req.subresource);
  });
  return { code: 200, body: render(req, saved) };
}

async function remove(store: Store, req: ResourceRequest): Promise<Result> {
  const pre = req.body?.preconditions;
  let expect: number | undefined;
  if (pre?.resourceVersion || pre?.uid) {
    const cur = await store.get(req.r, req.namespace, req.name!);
    if (pre.uid && pre.uid !== cur.metadata.uid) throw conflict(req.r.group, req.r.plural, req.name!);
    expect = Number(cur.metadata.resourceVersion);
    if (pre.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) throw conflict(req.r.group, req.r.plural, req.name!);
  }
  const gone = await store.delete(req.r, req.namespace, req.name!, expect);
  if (['pods', 'namespaces', 'nodes'].includes(req.r.plural)) return { code: 200, body: gone };
  return {
    code: 200,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: req.name, ...(req.r.group ? { group: req.r.group } : {}), kind: req.r.plural, uid: gone.metadata.uid },
    },
  };
}

async function deleteCollection(store: Store, req: ResourceRequest): Promise<Result> {
  const { items, revision } = await store.list(req.r, req.namespace);
  const keep = selectorFilter(req.query);
  const gone: Obj[] = [];
  for (const o of items.filter(keep)) {
    try {
      gone.push(await store.delete(req.r, o.metadata.namespace, o.metadata.name));
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  }
  return { code: 200, body: { kind: `${req.r.kind}List`, apiVersion: apiVersionOf(req.r), metadata: { resourceVersion: String(revision) }, items: gone } };
}

async function binding(store: Store, req: ResourceRequest): Promise<Result> {
  const target = req.body?.target?.name;
  if (!target) throw badRequest('binding: target.name is required');
  await store.guaranteedUpdate(req.r, req.namespace, req.name!, (pod) => {
    if (pod.spec?.nodeName)
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on pods/binding "${req.name}": pod ${req.name} is already assigned to node "${pod.spec.nodeName}"`,
      );
    pod.spec.nodeName = target;
    pod.status = pod.status ?? {};
    pod.status.conditions = [
      ...(pod.status.conditions ?? []).filter((c: any) => c.type !== 'PodScheduled'),
      { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
    ];
    return pod;
  });
  return { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
}

function selfSubjectReview(req: ResourceRequest): Result {
  const u = req.user;
  return {
    code: 201,
    body: {
      kind: 'SelfSubjectReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      status: { userInfo: { username: u.username, ...(u.uid ? { uid: u.uid } : {}), groups: u.groups, ...(u.extra ? { extra: u.extra } : {}) } },
    },
  };
}

async function selfSubjectAccessReview(req: ResourceRequest): Promise<Result> {
  const spec = req.body?.spec ?? {};
  const ra = spec.resourceAttributes;
  const nra = spec.nonResourceAttributes;
  const attrs: Attributes = ra
    ? {
        verb: ra.verb,
        resource: ra.resource,
        subresource: ra.subresource || undefined,
        group: ra.group ?? '',
        namespace: ra.namespace || undefined,
        name: ra.name || undefined,
      }
    : { verb: nra?.verb ?? 'get', path: nra?.path ?? '/' };
  const ok = req.authorize ? await req.authorize(attrs) : allowed(req.user, attrs);
  return {
    code: 201,
    body: {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec,
      status: { allowed: ok, ...(ok ? { reason: 'lab authorizer' } : {}) },
    },
  };
}

/** Serve one non-watch resource request. */
export async function serveResource(store: Store, req: ResourceRequest): Promise<Result> {
  const { r, verb, subresource } = req;
  if (r.plural === 'selfsubjectreviews' && verb === 'create') return selfSubjectReview(req);
  if (r.plural === 'selfsubjectaccessreviews' && verb === 'create') return await selfSubjectAccessReview(req);
  if (subresource && !r.subresources.includes(subresource)) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  if (!r.verbs.includes(verb) && !subresource) throw methodNotAllowed();
  if (subresource === 'eviction') {
    if (verb !== 'create') throw methodNotAllowed();
    await evict(store, req.namespace!, req.name!, req.body);
    return { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
  }
  if (subresource === 'token') {
    if (verb !== 'create') throw methodNotAllowed();
    if (!req.issuer) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    return { code: 201, body: await createToken(store, req.issuer, req.namespace!, req.name!, req.body) };
  }
  if (subresource === 'binding') {
    if (verb !== 'create') throw methodNotAllowed();
    return binding(store, req);
  }
  switch (verb) {
    case 'get':
      // resourceVersion=0: any version, from the watch cache (as the kubelet reads its Node: FromApiserverCache)
      return {
        code: 200,
        body: render(
          req,
          await (req.query.get('resourceVersion') === '0' ? store.getAnyVersion(r, req.namespace, req.name!) : store.get(r, req.namespace, req.name!)),
        ),
      };
    case 'list':
      return list(store, req);
    case 'create':
      return create(store, req);
    case 'update':
      return update(store, req);
    case 'patch':
      return patch(store, req);
    case 'delete':
      return remove(store, req);
    case 'deletecollection':
      return deleteCollection(store, req);
    default:
      throw methodNotAllowed();
  }
}
