/**
 * Object storage in etcd, as the real apiserver does it: JSON values under `/registry/...`,
 * `metadata.resourceVersion` = the key's mod_revision, `uid` and `creationTimestamp` set at create,
 * compare-and-swap on mod_revision for updates (409 Conflict when stale).
 */
import { randomUUID } from 'node:crypto';
import type { WatchCache } from './cache.js';
import { type Etcd, EtcdError, type KV } from './etcd.js';
import { type ResourceDef, apiVersionOf, keyOf, prefixOf } from './resources.js';
import { ApiError, alreadyExists, conflict, notFound, storageError } from './status.js';

/** A Kubernetes object as JSON. */
export type Obj = Record<string, any>;

/** Decode a stored value into an object with its resourceVersion. */
export function decode(kv: KV): Obj {
  const obj = JSON.parse(kv.value.toString('utf8'));
  obj.metadata = obj.metadata ?? {};
  obj.metadata.resourceVersion = String(kv.modRevision);
  return obj;
}

function encode(obj: Obj): string {
  const copy = { ...obj, metadata: { ...obj.metadata } };
  delete copy.metadata.resourceVersion;
  return JSON.stringify(copy);
}

async function wrap<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ApiError) throw e;
    if (e instanceof EtcdError) throw storageError(new Error(`${what}: ${e.message}`));
    throw e;
  }
}

/** Objects of every resource, kept in etcd; lists served by the watch cache when there is one. */
export class Store {
  constructor(
    readonly etcd: Etcd,
    readonly cache?: WatchCache,
  ) {}

  /** Get one object or throw 404. */
  async get(r: ResourceDef, ns: string | undefined, name: string): Promise<Obj> {
    const kv = await wrap(`get ${r.plural} ${name}`, () => this.etcd.get(keyOf(r, ns, name)));
    if (!kv) throw notFound(r.group, r.plural, name);
    return decode(kv);
  }

  /** Get one object or throw 404, from the watch cache when it runs (`resourceVersion=0`: any version will do), else from etcd. */
  async getAnyVersion(r: ResourceDef, ns: string | undefined, name: string): Promise<Obj> {
    const kv = this.cache?.peek(keyOf(r, ns, name));
    // no watch running, or absent from the cache (it may be just made): etcd says
    if (kv === null || kv === undefined) return this.get(r, ns, name);
    return decode(kv);
  }

  /** Get one object or undefined. */
  async tryGet(r: ResourceDef, ns: string | undefined, name: string): Promise<Obj | undefined> {
    const kv = await wrap(`get ${r.plural} ${name}`, () => this.etcd.get(keyOf(r, ns, name)));
    return kv ? decode(kv) : undefined;
  }

  /** List objects (one namespace, or all when `ns` is undefined), with the revision read at. */
  async list(r: ResourceDef, ns?: string): Promise<{ items: Obj[]; revision: number }> {
    const prefix = prefixOf(r, ns);
    const { kvs, revision } = await wrap(`list ${r.plural}`, () => (this.cache ? this.cache.list(prefix) : this.etcd.list(prefix)));
    // A cluster-scoped prefix must not match deeper keys; a namespaced all-ns prefix keeps ns/name keys.
    const depth = r.namespaced ? 2 : 1;
    const base = prefixOf(r).length;
    const items = kvs.filter((kv) => kv.key.slice(base).split('/').length === depth).map(decode);
    return { items, revision };
  }

  /** Create an object (uid, creationTimestamp assigned); 409 AlreadyExists if present. */
  async create(r: ResourceDef, obj: Obj): Promise<Obj> {
    const md = obj.metadata;
    obj.apiVersion = apiVersionOf(r);
    obj.kind = r.kind;
    md.uid = randomUUID();
    md.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    delete md.resourceVersion;
    delete md.deletionTimestamp;
    const rev = await wrap(`create ${r.plural} ${md.name}`, () => this.etcd.putIf(keyOf(r, md.namespace, md.name), encode(obj), 0));
    if (rev === undefined) throw alreadyExists(r.group, r.plural, md.name);
    md.resourceVersion = String(rev);
    return obj;
  }

  /** Replace an object; with `expectRv`, only if unchanged since (409 Conflict otherwise). */
  async update(r: ResourceDef, obj: Obj, expectRv: number): Promise<Obj> {
    const md = obj.metadata;
    obj.apiVersion = apiVersionOf(r);
    obj.kind = r.kind;
    const rev = await wrap(`update ${r.plural} ${md.name}`, () => this.etcd.putIf(keyOf(r, md.namespace, md.name), encode(obj), expectRv));
    if (rev === undefined) {
      const now = await this.tryGet(r, md.namespace, md.name);
      if (!now) throw notFound(r.group, r.plural, md.name);
      throw conflict(r.group, r.plural, md.name);
    }
    md.resourceVersion = String(rev);
    return obj;
  }

  /** Read-modify-write with retries on conflict: `fn` gets the current object and returns the new one. */
  async guaranteedUpdate(r: ResourceDef, ns: string | undefined, name: string, fn: (cur: Obj) => Obj | Promise<Obj>): Promise<Obj> {
    for (let attempt = 0; ; attempt++) {
      const cur = await this.get(r, ns, name);
      const rv = Number(cur.metadata.resourceVersion);
      const next = await fn(structuredClone(cur));
      try {
        return await this.update(r, next, rv);
      } catch (e) {
        if (e instanceof ApiError && e.reason === 'Conflict' && attempt < 10) continue;
        throw e;
      }
    }
  }

  /** Delete an object (only at `expectRv` when given); returns it, or throws 404. */
  async delete(r: ResourceDef, ns: string | undefined, name: string, expectRv?: number): Promise<Obj> {
    const res = await wrap(`delete ${r.plural} ${name}`, () => this.etcd.deleteIf(keyOf(r, ns, name), expectRv));
    if (!res) {
      if (expectRv !== undefined && (await this.tryGet(r, ns, name))) throw conflict(r.group, r.plural, name);
      throw notFound(r.group, r.plural, name);
    }
    const obj = decode(res.kv);
    return obj;
  }
}
