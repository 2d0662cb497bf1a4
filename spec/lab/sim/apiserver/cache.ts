/**
 * The apiserver's watch cache, as far as lists go: every key under `/registry/` held in memory,
 * kept current by one etcd watch of the whole keyspace, and a LIST answered from it once it has
 * caught up with etcd's current revision. That is the real kube-apiserver's consistent list from
 * cache (feature ConsistentListFromCache, on by default since v1.31: the current revision is read
 * from etcd, the cache waits until it has seen it, then serves the list;
 * staging/src/k8s.io/apiserver/pkg/storage/cacher/cacher.go, GetList). So every list still asks
 * etcd (a `count_only` range: etcd down or unreachable fails the list as before) but no longer has
 * etcd read, encode and send every object of the collection. A GET of one object still reads etcd,
 * as the real one does without `resourceVersion=0`.
 *
 * Without a running watch (not yet started, etcd restarted, the watch cut, a lagging member) a
 * list reads etcd directly, and the cache starts again, at most once a second.
 */
import { type Etcd, type KV, type WatchEvent, prefixEnd } from './etcd.js';
import { info } from './log.js';

/** What the cache holds: the objects' keys. */
const CACHED = '/registry/';
/** How long a list waits for the watch to deliver etcd's current revision before it reads etcd itself (and the cache starts again). */
const CATCH_UP_MS = 1000;
/** The least time between two starts of the cache. */
const RESTART_MS = 1000;

/** One start of the cache: its keys, the revision they are current at, its watch. */
interface Generation {
  kvs: Map<string, KV>;
  revision: number;
  stop: () => void;
  /** Lists waiting for `revision` to reach theirs. */
  waiters: { revision: number; done: (caughtUp: boolean) => void }[];
}

/** Lists of etcd keys served from memory, consistent with etcd's current revision. */
export class WatchCache {
  #gen?: Generation;
  #starting = false;
  #lastStart = 0;
  #closed = false;
  constructor(readonly etcd: Etcd) {}

  /** Every key under `prefix`, sorted as etcd sorts them, with the revision they are current at. */
  async list(prefix: string): Promise<{ kvs: KV[]; revision: number }> {
    const gen = this.#gen;
    // the revision is read only when the cache could answer: without it the list itself reads etcd
    if (gen && prefix.startsWith(CACHED) && (await this.#caughtUp(gen, await this.etcd.revision())))
      return { kvs: scan(gen.kvs, prefix), revision: gen.revision };
    void this.#start();
    return this.etcd.list(prefix);
  }

  /**
   * The key as the cache holds it (undefined: absent there), or null when no watch runs: a GET with
   * `resourceVersion=0` ("any version", served from the real watch cache without asking etcd).
   */
  peek(key: string): KV | undefined | null {
    return this.#gen ? this.#gen.kvs.get(key) : null;
  }

  /** Stops the watch for good (the apiserver is shutting down). */
  close(): void {
    this.#closed = true;
    this.#drop(this.#gen);
  }

  /** Whether `gen` has seen `revision` (waits up to CATCH_UP_MS for its watch); a generation that does not catch up is dropped. */
  #caughtUp(gen: Generation, revision: number): Promise<boolean> {
    if (gen.revision >= revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        info(`watch cache: no event up to revision ${revision} within ${CATCH_UP_MS} ms (at ${gen.revision}); reading etcd and starting again`);
        this.#drop(gen);
      }, CATCH_UP_MS);
      gen.waiters.push({
        revision,
        done: (ok) => {
          clearTimeout(timer);
          resolve(ok);
        },
      });
    });
  }

  /** Reads every cached key and watches all keys from the next revision; at most one start at a time, once a second. */
  async #start(): Promise<void> {
    if (this.#gen || this.#starting || this.#closed || Date.now() - this.#lastStart < RESTART_MS) return;
    this.#starting = true;
    this.#lastStart = Date.now();
    try {
      const { kvs, revision } = await this.etcd.list(CACHED);
      if (this.#closed) return;
      const gen: Generation = { kvs: new Map(kvs.map((kv) => [kv.key, kv])), revision, stop: () => {}, waiters: [] };
      // all keys, not only /registry/: every new revision then reaches the cache as an event
      gen.stop = this.etcd.watch(
        '',
        revision + 1,
        (evs) => apply(gen, evs),
        (err) => {
          if (this.#gen === gen) info(`watch cache: etcd watch ended${err ? `: ${err.message}` : ''}; lists read etcd until it runs again`);
          this.#drop(gen);
        },
        false,
      );
      this.#gen = gen;
    } catch (e) {
      info(`watch cache: start: ${(e as Error).message}`);
    } finally {
      this.#starting = false;
    }
  }

  /** Stops `gen`'s watch and releases its waiters unanswered (they read etcd). */
  #drop(gen: Generation | undefined): void {
    if (!gen) return;
    if (this.#gen === gen) this.#gen = undefined;
    gen.stop();
    for (const w of gen.waiters.splice(0)) w.done(false);
  }
}

/** Applies one batch of watch events to `gen`, then answers the lists waiting for what it reached. */
function apply(gen: Generation, evs: WatchEvent[]): void {
  for (const ev of evs) {
    if (ev.kv.key.startsWith(CACHED)) {
      if (ev.type === 'DELETE') gen.kvs.delete(ev.kv.key);
      else gen.kvs.set(ev.kv.key, ev.kv);
    }
    // a DELETE event's kv carries the revision of the deletion
    gen.revision = Math.max(gen.revision, ev.kv.modRevision);
  }
  const ready = gen.waiters.filter((w) => w.revision <= gen.revision);
  gen.waiters = gen.waiters.filter((w) => w.revision > gen.revision);
  for (const w of ready) w.done(true);
}

/** The keys of `kvs` under `prefix`, in etcd's (byte) order. */
function scan(kvs: Map<string, KV>, prefix: string): KV[] {
  const end = prefixEnd(prefix);
  const out: KV[] = [];
  for (const [k, kv] of kvs) if (k >= prefix && k < end) out.push(kv);
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
