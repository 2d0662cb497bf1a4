/**
 * The HTTPS front of the simulated kube-apiserver: TLS with the serving cert and the client CA as
 * loaded at start, authentication, authorization, then health, discovery, or the REST handlers.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { type AuthnConfig, authenticate } from './authn.js';
import { type UserInfo, authenticated } from './user.js';
import { type Attributes, allowed, forbidden } from './authz.js';
import { VERSION, apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery.js';
import { info } from './log.js';
import { decodeProtobuf } from './protobuf.js';
import { openapiV3Doc, openapiV3Root } from './openapi.js';
import { serveResource } from './rest.js';
import type { Rbac } from './rbac.js';
import { route } from './router.js';
import { ApiError, badRequest, pathNotFound, unauthorized, unavailable } from './status.js';
import type { Store } from './store.js';
import { serveWatch } from './watch.js';
import type { TokenIssuer } from './tokenrequest.js';

/** What the server needs, loaded once at start. */
export interface ServerConfig {
  cert: Buffer;
  key: Buffer;
  clientCA?: Buffer;
  authn: AuthnConfig;
  store: Store;
  rbac: Rbac;
  serverAddress: string;
  /** TokenRequest signing (`--service-account-signing-key-file`, issuer, audiences). */
  issuer?: TokenIssuer;
  /** True while the lab's fault apiserver-blip makes this apiserver answer 503 (blip.ts). */
  unavailable?: () => boolean;
}

const HEALTH = new Set(['/healthz', '/livez', '/readyz']);

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

function sendError(res: ServerResponse, e: unknown): void {
  const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`);
  // errors.NewTooManyRequests' retryAfterSeconds becomes the Retry-After header
  const retry = Number(err.details?.retryAfterSeconds ?? 0);
  if (retry > 0 && !res.headersSent) res.setHeader('Retry-After', String(retry));
  if (!res.headersSent) sendJson(res, err.code, err.toStatus());
  else res.end();
}

async function readBody(req: IncomingMessage): Promise<any> {
  const ctype = req.headers['content-type'] ?? '';
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  if (chunks.length === 0) return undefined;
  if (ctype.startsWith('application/vnd.kubernetes.protobuf')) return decodeProtobuf(Buffer.concat(chunks));
  if (ctype.includes('cbor')) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`,
    );
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    const ct = req.headers['content-type'] ?? '';
    if (ct.includes('yaml'))
      throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json`);
    throw badRequest(`error decoding request body: invalid JSON`);
  }
}

async function health(cfg: ServerConfig, path: string, res: ServerResponse): Promise<void> {
  try {
    await cfg.store.etcd.revision();
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    res.end('ok');
  } catch (e) {
    info(`${path} check failed: etcd: ${(e as Error).message}`);
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    res.end(`[+]ping ok\n[-]etcd failed: reason withheld\n${path.slice(1)} check failed\n`);
  }
}

function nonResource(cfg: ServerConfig, path: string): unknown | undefined {
  if (path === '/version') return VERSION;
  if (path === '/openapi/v3') return openapiV3Root();
  if (path.startsWith('/openapi/v3/')) {
    const doc = openapiV3Doc(path.slice('/openapi/v3/'.length));
    return doc === undefined ? undefined : JSON.parse(doc);
  }
  if (path === '/api') return apiVersions(cfg.serverAddress);
  if (path === '/api/v1') return apiResourceList('', 'v1');
  if (path === '/apis') return apiGroupList();
  const segs = path.split('/').filter(Boolean);
  if (segs[0] === 'apis' && segs.length === 2) return apiGroup(segs[1]);
  if (segs[0] === 'apis' && segs.length === 3) return apiResourceList(segs[1], segs[2]);
  return undefined;
}

/** `Impersonate-User`/`Impersonate-Group` headers: allowed to whoever may `impersonate` users (and groups). */
async function impersonate(cfg: ServerConfig, user: UserInfo, req: IncomingMessage): Promise<UserInfo> {
  const as = req.headers['impersonate-user'];
  const groupsHeader = req.headers['impersonate-group'];
  if (!as) {
    if (groupsHeader) throw badRequest('requested impersonation without a user');
    return user;
  }
  const name = String(as);
  const groups = groupsHeader === undefined ? [] : Array.isArray(groupsHeader) ? groupsHeader : [groupsHeader];
  const can = async (a: Attributes) => allowed(user, a) || (await cfg.rbac.allowed(user, a));
  if (!(await can({ verb: 'impersonate', resource: 'users', group: '', name }))) {
    throw new ApiError(
      403,
      'Forbidden',
      `users "${name}" is forbidden: User "${user.username}" cannot impersonate resource "users" in API group "" at the cluster scope`,
      { name, kind: 'users' },
    );
  }
  for (const g of groups) {
    if (!(await can({ verb: 'impersonate', resource: 'groups', group: '', name: g }))) {
      throw new ApiError(
        403,
        'Forbidden',
        `groups "${g}" is forbidden: User "${user.username}" cannot impersonate resource "groups" in API group "" at the cluster scope`,
        { name: g, kind: 'groups' },
      );
    }
  }
  if (name === 'system:anonymous') return { username: name, groups: ['system:unauthenticated', ...groups] };
  return authenticated({ username: name, groups });
}

async function handle(cfg: ServerConfig, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://apiserver');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';
  const authn = await authenticate(cfg.authn, cfg.store, req.socket as TLSSocket, req.headers.authorization);
  if ('error' in authn) throw unauthorized();
  const user = await impersonate(cfg, authn.user, req);
  const authorize = async (a: Attributes) => allowed(user, a) || (await cfg.rbac.allowed(user, a));
  const rt = route(method, path, url.searchParams);
  if (!rt) {
    const attrs: Attributes = { verb: method === 'GET' || method === 'HEAD' ? 'get' : method.toLowerCase(), path };
    if (!(await authorize(attrs))) throw forbidden(user, attrs);
    if (HEALTH.has(path)) return health(cfg, path, res);
    const doc = method === 'GET' ? nonResource(cfg, path) : undefined;
    if (doc === undefined) throw pathNotFound();
    return sendJson(res, 200, doc);
  }
  const attrs: Attributes = { verb: rt.verb, resource: rt.r.plural, subresource: rt.subresource, group: rt.r.group, namespace: rt.namespace, name: rt.name };
  if (!(await authorize(attrs))) throw forbidden(user, attrs);
  const body = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) ? await readBody(req) : undefined;
  const rr = {
    ...rt,
    query: url.searchParams,
    body,
    contentType: req.headers['content-type'] ?? 'application/json',
    accept: req.headers.accept,
    user,
    authorize,
    issuer: cfg.issuer,
  };
  if (rt.verb === 'watch') return serveWatch(cfg.store, rr, res);
  const out = await serveResource(cfg.store, rr);
  sendJson(res, out.code, out.body);
}

/** Go's wording for the usual handshake failures (OpenSSL's alert names otherwise). */
function tlsReason(err: Error): string {
  const m = /alert ([a-z ]+?)(?::|$)/i.exec(err.message);
  const alert = m?.[1].trim().toLowerCase();
  if (alert === 'bad certificate') return 'remote error: tls: bad certificate';
  if (alert === 'unknown ca') return 'remote error: tls: unknown certificate authority';
  if (alert) return `remote error: tls: ${alert}`;
  return err.message.split('\n')[0];
}

/** Create the HTTPS server (not yet listening). */
export function createServer(cfg: ServerConfig): https.Server {
  const server = https.createServer(
    {
      cert: cfg.cert,
      key: cfg.key,
      ca: cfg.clientCA,
      // Like the real apiserver (tls.RequestClientCert): ask for a client cert, verify it at the HTTP layer (401).
      requestCert: !!cfg.clientCA,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
    },
    (req, res) => {
      if (cfg.unavailable?.()) return sendError(res, unavailable());
      handle(cfg, req, res).catch((e) => sendError(res, e));
    },
  );
  server.keepAliveTimeout = 60_000;
  server.on('tlsClientError', (err, sock) => info(`http: TLS handshake error from ${sock.remoteAddress}:${sock.remotePort}: ${tlsReason(err)}`));
  return server;
}
