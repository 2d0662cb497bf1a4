/**
 * A list kept current by a watch, as client-go's reflector and store: one list over HTTP (items and the list's
 * resourceVersion), then a watch of the same path from that resourceVersion whose ADDED/MODIFIED/DELETED events are
 * applied to the items by namespace/name. While the watch runs, reads are answered from memory. Once it ends (the
 * apiserver restarted, the connection was cut, a TLS or HTTP error, the resync time came), the informer is over: its
 * owner drops it and the next read lists over HTTP again, so errors surface where a list would have thrown.
 */
import type { KubeClient, KubeResponse, KubeStream } from '../kubeclient.js';
import type { KObject } from './api.js';

/** What an informer needs from its owner: how to list (throwing as Api.list does), and what to call when it ends. */
export interface InformerHooks {
  /** GET the list at `path`; throws `list WHAT: ...` on any failure. */
  list(what: string, path: string): Promise<{ items?: KObject[]; metadata?: { resourceVersion?: string } }>;
  /** Called once when the informer is over (watch ended or closed). */
  ended(inf: Informer): void;
  /** Called after a watch event changed the items (an event handler: its owner may sync now rather than at its next period). */
  changed?(inf: Informer): void;
}

/** One watch event as the apiserver streams it. */
interface WatchEvent {
  type: string;
  object: KObject;
}

const keyOf = (o: KObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const rvOf = (o: KObject) => Number(o.metadata?.resourceVersion ?? 0);

/**
 * The cache of one list path (a collection, maybe one namespace's, maybe with selectors). `read()` lists first when it
 * has to: never listed yet, or a write made through the Api may not be in the cache yet (see `wrote`).
 */
export class Informer {
  readonly #items = new Map<string, KObject>();
  /** The cache holds every change of its path up to this revision (watch events come in revision order). */
  #rv = 0;
  /** Events that arrived while a relist ran: applied over its answer (those after its revision). */
  #buffer: WatchEvent[] | undefined;
  /** The latest (re)list; reads wait for it. */
  #synced: Promise<void> | undefined;
  /** Writes of unknown revision (deletes, failures) since the last relist began: any means relist. */
  #dirty = true;
  /** The revision a write returned that the cache must reach before it is read; 0 when none. */
  #needRv = 0;
  #stream: KubeStream | undefined;
  #timer: NodeJS.Timeout | undefined;
  #over = false;

  constructor(
    readonly client: KubeClient,
    readonly path: string,
    readonly hooks: InformerHooks,
    /** How long one watch runs before the informer ends, so that the next read relists (a guard against a stalled watch). */
    readonly resyncMs: number,
  ) {}

  /** Whether the informer is over (its watch ended): its owner drops it. */
  get over(): boolean {
    return this.#over;
  }

  /** The items (copies: controllers mutate what they get), in the apiserver's list order; lists first if it has to. */
  async read(what: string): Promise<KObject[]> {
    if (this.#dirty || this.#rv < this.#needRv) {
      this.#dirty = false;
      this.#needRv = 0;
      const prev = this.#synced ?? Promise.resolve();
      this.#synced = prev.catch(() => {}).then(() => this.#relist(what));
    }
    await this.#synced;
    return [...this.#items.keys()].sort((a, b) => (a < b ? -1 : 1)).map((k) => structuredClone(this.#items.get(k)!));
  }

  /**
   * A write through the Api touched this path's resource: `obj` is what it returned (its resourceVersion is a revision
   * the cache must reach before the next read is answered from memory: the watch brings it, or a relist does), or
   * undefined when the write's revision is not known (a delete answers with a Status or the object as it was; a write
   * that failed) and the next read relists.
   */
  wrote(obj: KObject | undefined): void {
    const rv = obj?.metadata ? rvOf(obj) : 0;
    if (rv) this.#needRv = Math.max(this.#needRv, rv);
    else this.#dirty = true;
  }

  /** Stops the watch; the informer is over. */
  close(): void {
    this.#end();
  }

  async #relist(what: string): Promise<void> {
    if (this.#stream) this.#buffer = [];
    let list: Awaited<ReturnType<InformerHooks['list']>>;
    try {
      list = await this.hooks.list(what, this.path);
    } catch (e) {
      this.#end();
      throw e;
    }
    const rv = Number(list?.metadata?.resourceVersion ?? 0);
    this.#items.clear();
    for (const o of list?.items ?? []) this.#items.set(keyOf(o), o);
    this.#rv = rv;
    const buffered = this.#buffer ?? [];
    this.#buffer = undefined;
    for (const ev of buffered) this.#apply(ev);
    // a list without a resourceVersion cannot be watched from: served once, the informer ends
    if (!rv) return this.#end();
    if (!this.#stream && !this.#over) await this.#watch(rv);
  }

  /** Opens the watch from `rv`; a watch that cannot be opened ends the informer (the items just listed are still read once). */
  async #watch(rv: number): Promise<void> {
    const sep = this.path.includes('?') ? '&' : '?';
    const timeoutSeconds = Math.ceil(this.resyncMs / 1000) + 5; // the apiserver ends it too, should this process not
    let opened: KubeStream | KubeResponse;
    try {
      opened = await this.client.stream(`${this.path}${sep}watch=true&resourceVersion=${rv}&timeoutSeconds=${timeoutSeconds}`, (line) => this.#onLine(line));
    } catch {
      return this.#end();
    }
    if (!('ended' in opened)) return this.#end();
    if (this.#over) return opened.close();
    this.#stream = opened;
    this.#timer = setTimeout(() => this.#end(), this.resyncMs).unref();
    void opened.ended.then(() => this.#end());
  }

  #onLine(line: string): void {
    if (this.#over) return;
    let ev: WatchEvent;
    try {
      ev = JSON.parse(line);
    } catch {
      this.#end();
      return;
    }
    // an ERROR event (410 Gone, ...) ends the watch as the real reflector's does
    if (!['ADDED', 'MODIFIED', 'DELETED'].includes(ev?.type) || !ev.object?.metadata) {
      this.#end();
      return;
    }
    if (this.#buffer) this.#buffer.push(ev);
    else this.#apply(ev);
  }

  /** Applies one event unless the cache already holds its revision (a relist read after it). */
  #apply(ev: WatchEvent): void {
    const rv = rvOf(ev.object);
    if (rv <= this.#rv) return;
    if (ev.type === 'DELETED') this.#items.delete(keyOf(ev.object));
    else this.#items.set(keyOf(ev.object), ev.object);
    this.#rv = rv;
    if (!this.#buffer) this.hooks.changed?.(this);
  }

  #end(): void {
    if (this.#over) return;
    this.#over = true;
    clearTimeout(this.#timer);
    this.#stream?.close();
    this.#stream = undefined;
    this.#buffer = undefined;
    this.hooks.ended(this);
  }
}
