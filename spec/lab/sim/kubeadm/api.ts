/**
 * kubeadm's API side: a client from a kubeconfig, Go-style network error text, create-or-update
 * of objects, and waiting for the API server.
 */
import { existsSync } from 'node:fs';
import { KubeClient, type KubeCreds, type KubeResponse } from '../kubeclient.js';
import { paths } from '../paths.js';
import { displayPath } from './kubeconfig.js';

/** Turn a Node network error into Go's wording (`Get "URL": dial tcp H:P: connect: connection refused`). */
export function goNetError(method: string, url: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
  const u = new URL(url);
  const verb = method[0] + method.slice(1).toLowerCase();
  const hostPort = `${u.hostname}:${u.port || 443}`;
  let why = err.message;
  if (err.code === 'ECONNREFUSED') why = `dial tcp ${hostPort}: connect: connection refused`;
  else if (err.code === 'EHOSTUNREACH') why = `dial tcp ${hostPort}: connect: no route to host`;
  else if (err.code === 'ENETUNREACH') why = `dial tcp ${hostPort}: connect: network is unreachable`;
  else if (err.code === 'ECONNRESET') why = `read tcp ${hostPort}: read: connection reset by peer`;
  else if (/timed out/.test(err.message)) why = `net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)`;
  else if (err.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || err.code === 'SELF_SIGNED_CERT_IN_CHAIN' || err.code === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
    why = `tls: failed to verify certificate: x509: certificate signed by unknown authority`;
  } else if (err.code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    why = `tls: failed to verify certificate: x509: certificate is valid for other names, not ${u.hostname}`;
  else if (err.code === 'CERT_HAS_EXPIRED') why = `tls: failed to verify certificate: x509: certificate has expired or is not yet valid`;
  return Object.assign(new Error(`${verb} "${u.origin}${u.pathname}${u.search || '?timeout=10s'}": ${why}`), { cause: e, code: err.code });
}

/** A Kubernetes API error in client-go's wording from a non-2xx response. */
export function apiError(res: KubeResponse, what: string): Error {
  const msg = res.body?.message ?? res.text.trim();
  if (res.status === 401) return Object.assign(new Error(`${what}: Unauthorized`), { final: true });
  if (res.status === 403) return Object.assign(new Error(`${what}: ${msg || 'Forbidden'}`), { final: true });
  if (res.status === 400 || res.status === 422) return Object.assign(new Error(`${what}: ${msg}`), { final: true });
  if (res.status === 404) return Object.assign(new Error(msg || `${what}: the server could not find the requested resource`), { notFound: true });
  return new Error(`${what}: ${msg || `the server returned HTTP ${res.status}`}`);
}

/** An API client whose network errors read like client-go's. */
export class Api {
  constructor(readonly kc: KubeClient) {}

  /** Client from a kubeconfig file. */
  static fromFile(path: string): Api {
    if (!existsSync(path)) throw new Error(`failed to load admin kubeconfig: open ${displayPath(path)}: no such file or directory`);
    return new Api(KubeClient.fromFile(path));
  }

  /** Client from credentials. */
  static fromCreds(c: KubeCreds, timeoutMs = 10_000): Api {
    return new Api(new KubeClient(c, timeoutMs));
  }

  /** One request; network errors are rethrown with Go's wording. */
  async req(method: string, path: string, body?: unknown, contentType?: string): Promise<KubeResponse> {
    try {
      return await this.kc.request(method, path, body, contentType);
    } catch (e) {
      throw goNetError(method, new URL(path, this.kc.creds.server).toString(), e);
    }
  }

  /** GET an object; undefined when 404. */
  async get(path: string): Promise<any | undefined> {
    const r = await this.req('GET', path);
    if (r.status === 404) return undefined;
    if (r.status >= 300) throw apiError(r, `GET ${path}`);
    return r.body;
  }

  /** Retry `fn` every 500 ms for up to a minute (kubeadm's APICallRetryInterval and KubernetesAPICall timeout). */
  async retry<T>(fn: () => Promise<T>): Promise<T> {
    const limit = Number(process.env.LAB_KUBEADM_API_CALL_TIMEOUT_MS ?? 60_000);
    const start = Date.now();
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        if ((e as any).final || Date.now() - start >= limit) throw e;
      }
      await sleep(500);
    }
  }

  /** Create, or replace when it exists (client-go's CreateOrUpdate, retried like kubeadm's apiclient). */
  async createOrUpdate(collection: string, obj: any): Promise<any> {
    return this.retry(() => this.createOrUpdateOnce(collection, obj));
  }

  private async createOrUpdateOnce(collection: string, obj: any): Promise<any> {
    let r: KubeResponse;
    try {
      r = await this.req('POST', collection, obj);
    } catch (e) {
      throw new Error(`unable to create ${obj.kind}: ${(e as Error).message}`);
    }
    if (r.status < 300) return r.body;
    if (r.status !== 409) throw apiError(r, `unable to create ${obj.kind}`);
    const path = `${collection}/${obj.metadata.name}`;
    const cur = await this.get(path);
    const next = { ...obj, metadata: { ...obj.metadata, resourceVersion: cur?.metadata?.resourceVersion } };
    const u = await this.req('PUT', path, next);
    if (u.status >= 300) throw apiError(u, `unable to update ${obj.kind}`);
    return u.body;
  }

  /** Create only if missing (client-go's CreateOrRetain); API groups the server lacks are ignored. */
  async createIfMissing(collection: string, obj: any): Promise<void> {
    return this.retry(async () => {
      let r: KubeResponse;
      try {
        r = await this.req('POST', collection, obj);
      } catch (e) {
        throw new Error(`unable to create ${obj.kind}: ${(e as Error).message}`);
      }
      if (r.status < 300 || r.status === 409) return;
      if (r.status === 404 && !/namespaces? "[^"]+" not found/.test(r.body?.message ?? '')) return;
      // the lab apiserver's authorization is a fixed rule set: RBAC objects it cannot store change nothing
      if (collection.startsWith('/apis/rbac.authorization.k8s.io/') && r.status === 422) return;
      throw apiError(r, `unable to create ${obj.kind}`);
    });
  }

  /** DELETE; ignores 404. */
  async delete(path: string): Promise<void> {
    const r = await this.req('DELETE', path);
    if (r.status >= 300 && r.status !== 404) throw apiError(r, `DELETE ${path}`);
  }

  /** Close sockets. */
  close(): void {
    this.kc.close();
  }
}

/** The admin client kubeadm uses on a control-plane node (`/etc/kubernetes/admin.conf`). */
export function adminApi(): Api {
  return Api.fromFile(paths.adminConf);
}

/** Wait until GET /healthz answers 200, or throw the last error after `timeoutMs`. */
export async function waitHealthy(api: Api, timeoutMs: number): Promise<number> {
  const start = Date.now();
  let last: unknown;
  while (Date.now() - start < timeoutMs) {
    try {
      const r = await api.req('GET', '/healthz');
      if (r.status === 200) return Date.now() - start;
      last = new Error(`the API server /healthz answered ${r.status}: ${r.text.trim()}`);
    } catch (e) {
      last = e;
    }
    await sleep(500);
  }
  throw new Error(`API server is not healthy after ${Math.round(timeoutMs / 1000)}s: ${(last as Error)?.message ?? 'no answer'}`);
}

/** Sleep. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A base64 data map from strings. */
export function b64map(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
}

/** Decode a Secret's base64 data map. */
export function unb64map(m: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}
