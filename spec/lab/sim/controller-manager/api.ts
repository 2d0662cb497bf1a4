/**
 * The controllers' view of the apiserver: typed calls over the lab's KubeClient that throw
 * errors saying what was being done (`list nodes: 401 Unauthorized: ...`) on any non-2xx answer.
 */
import type { KubeClient, KubeResponse } from '../kubeclient.js';

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
   * How long a list is shared between callers (0: never). The controller-manager's controllers read
   * the shared informers' caches, not the apiserver, so their lists may be this stale; any write
   * made through this Api drops them, so a controller always sees what this process wrote.
   */
  listCacheMs?: number;
}

/** REST helpers for the controllers. */
export class Api {
  readonly #lists = new Map<string, { at: number; items: Promise<KObject[]> }>();
  readonly #listCacheMs: number;
  constructor(
    readonly client: KubeClient,
    opts: ApiOptions = {},
  ) {
    this.#listCacheMs = opts.listCacheMs ?? 0;
  }

  private async call<T>(what: string, method: string, path: string, body?: unknown, ct?: string): Promise<T> {
    if (method !== 'GET') this.#lists.clear();
    let res: KubeResponse;
    try {
      res = await this.client.request(method, path, body, ct);
    } catch (e) {
      throw new Error(`${what}: ${(e as Error).message}`);
    }
    if (res.status < 200 || res.status >= 300) throw new ApiError(`${what}: ${describe(res)}`, res.status);
    return res.body as T;
  }

  /** List objects at a collection path; returns the items. */
  async list(what: string, path: string): Promise<KObject[]> {
    if (!this.#listCacheMs) return this.#fetchList(what, path);
    const hit = this.#lists.get(path);
    if (hit && Date.now() - hit.at < this.#listCacheMs) return structuredClone(await hit.items);
    const entry = { at: Date.now(), items: this.#fetchList(what, path) };
    this.#lists.set(path, entry);
    // a failed list is not kept: the next caller asks again
    entry.items.catch(() => this.#lists.get(path) === entry && this.#lists.delete(path));
    return structuredClone(await entry.items);
  }
  async #fetchList(what: string, path: string): Promise<KObject[]> {
    const body = await this.call<{ items?: KObject[] }>(`list ${what}`, 'GET', path);
    return body?.items ?? [];
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
