/**
 * The lab components' view of the apiserver (client-go's role: the controller-manager, the
 * scheduler and the kubelet use it): typed calls over the lab's KubeClient that throw
 * errors saying what was being done (`list nodes: 401 Unauthorized: ...`) on any non-2xx answer.
 */
import type { KubeClient, KubeResponse } from '../kubeclient.js';
import { Informer } from './informer.js';

/** A Kubernetes object as the controllers see it (loose JSON). */
export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
    creationTimestamp?: string;
    deletionTimestamp?: string;
    generateName?: string;
    generation?: number;
  };
  [k: string]: any;
}

/** An HTTP error from the apiserver, with its status code. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

function describe(res: KubeResponse): string {
  const reason = res.body?.reason ?? '';
  const msg = res.body?.message ?? res.text.slice(0, 200);
  return `${res.status}${reason ? ' ' + reason : ''}: ${msg}`;
}

/** Options of an Api. */
export interface ApiOptions {
  /**
   * Answer lists from watch-fed caches (informer.ts), as the real controller-manager's controllers read their shared
   * informers: one cache per list path, listed once and then kept current by a watch of that path; the next list after
   * its watch ended goes to the apiserver again (and throws if that fails). Off: every list asks the apiserver.
   */
  informers?: boolean;
  /** How long one watch of an informer runs before its cache is dropped and listed again (default: 30 to 60 s, spread). */
  resyncMs?: () => number;
  /** Called when a watch event changed an informer's items (the path it lists). */
  onChange?: (path: string) => void;
}

/** The resource a REST path names (group/version prefix, plural) and its namespace, or undefined when it names none. */
export function resourceOf(path: string): { gv: string; plural: string; namespace?: string } | undefined {
  const seg = path.split('?')[0].split('/').filter(Boolean);
  const n = seg[0] === 'api' ? 2 : seg[0] === 'apis' ? 3 : 0;
  if (!n || seg.length <= n) return undefined;
  const gv = '/' + seg.slice(0, n).join('/');
  const rest = seg.slice(n);
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(gv === '/api/v1' && ['status', 'finalize'].includes(rest[2]))) {
    return { gv, namespace: rest[1], plural: rest[2] };
  }
  return { gv, plural: rest[0] };
}

/**
 * REST helpers for the controllers.
 *
 * A controller must see its own writes in the lists it reads next. With informers, a write (create, update, patch,
 * delete, success or failure) through this Api tells every cache of the same resource whose namespace could hold the
 * object: the revision the apiserver answered with must be in the cache before it is read again (the watch usually
 * brings it first; otherwise the next read relists), and a write of no known revision (a delete, a failed write) makes
 * the next read relist. A relist answers with what etcd holds at or after the write (etcd reads are linearizable).
 */
export class Api {
  readonly #informers = new Map<string, Informer>();
  readonly #useInformers: boolean;
  readonly #resyncMs: () => number;
  readonly #onChange?: (path: string) => void;
  #closed = false;
  constructor(
    readonly client: KubeClient,
    opts: ApiOptions = {},
  ) {
    this.#useInformers = opts.informers ?? false;
    this.#resyncMs = opts.resyncMs ?? (() => 30_000 + Math.floor(Math.random() * 30_000));
    this.#onChange = opts.onChange;
  }

  private async call<T>(what: string, method: string, path: string, body?: unknown, ct?: string): Promise<T> {
    let res: KubeResponse;
    try {
      res = await this.client.request(method, path, body, ct);
    } catch (e) {
      if (method !== 'GET') this.#wrote(path, undefined);
      throw new Error(`${what}: ${(e as Error).message}`);
    }
    const ok = res.status >= 200 && res.status < 300;
    if (method !== 'GET') this.#wrote(path, ok && method !== 'DELETE' ? res.body : undefined);
    if (!ok) throw new ApiError(`${what}: ${describe(res)}`, res.status);
    return res.body as T;
  }

  /** Tells the caches a write at `path` may touch what it wrote (`obj`: the answer; undefined: relist). */
  #wrote(path: string, obj: KObject | undefined): void {
    const w = resourceOf(path);
    for (const inf of this.#informers.values()) {
      const c = resourceOf(inf.path);
      const touches = !w || !c || (w.gv === c.gv && w.plural === c.plural && (!c.namespace || c.namespace === w.namespace));
      if (touches) inf.wrote(obj);
    }
  }

  /** List objects at a collection path; returns the items (the caller's own copies). */
  async list(what: string, path: string): Promise<KObject[]> {
    if (!this.#useInformers || this.#closed) return (await this.#fetchList(what, path))?.items ?? [];
    let inf = this.#informers.get(path);
    if (!inf || inf.over) {
      inf = new Informer(
        this.client,
        path,
        {
          list: (w, p) => this.#fetchList(w, p),
          ended: (i) => this.#informers.get(i.path) === i && this.#informers.delete(i.path),
          changed: (i) => this.#onChange?.(i.path),
        },
        this.#resyncMs(),
      );
      this.#informers.set(path, inf);
    }
    return inf.read(what);
  }
  #fetchList(what: string, path: string): Promise<{ items?: KObject[]; metadata?: { resourceVersion?: string } }> {
    return this.call(`list ${what}`, 'GET', path);
  }
  /** Stops every informer's watch (leadership lost, exiting); later lists ask the apiserver. */
  close(): void {
    this.#closed = true;
    for (const inf of [...this.#informers.values()]) inf.close();
  }
  /** Get one object, or undefined on 404. */
  async get(what: string, path: string): Promise<KObject | undefined> {
    try {
      return await this.call<KObject>(`get ${what}`, 'GET', path);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return undefined;
      throw e;
    }
  }
  /** Create an object by POST to a collection path. */
  create(what: string, path: string, obj: unknown): Promise<KObject> {
    return this.call(`create ${what}`, 'POST', path, obj);
  }
  /** Replace an object (PUT, resourceVersion conflict -> 409 ApiError). */
  update(what: string, path: string, obj: unknown): Promise<KObject> {
    return this.call(`update ${what}`, 'PUT', path, obj);
  }
  /** Merge-patch an object. */
  patch(what: string, path: string, patch: unknown): Promise<KObject> {
    return this.call(`patch ${what}`, 'PATCH', path, patch, 'application/merge-patch+json');
  }
  /** Delete an object; a 404 counts as done. */
  async delete(what: string, path: string): Promise<void> {
    try {
      await this.call(`delete ${what}`, 'DELETE', path);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return;
      throw e;
    }
  }
}

/** Whether a 409 Conflict (someone else wrote first; retry on the next sync). */
export function isConflict(e: unknown): boolean {
  return e instanceof ApiError && e.status === 409;
}
