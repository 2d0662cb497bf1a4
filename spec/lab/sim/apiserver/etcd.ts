/**
 * A client for etcd 3.4's v3 JSON gateway over mutual TLS (`POST /v3/kv/range|put|deleterange|txn`,
 * `/v3/watch`), the way the simulated apiserver stores objects in the real etcd.
 */
import https from 'node:https';
import { readResponse } from '../kubeclient.js';

/** One key-value as etcd returns it, decoded. */
export interface KV {
  key: string;
  value: Buffer;
  createRevision: number;
  modRevision: number;
}

/** One watch event, decoded. */
export interface WatchEvent {
  type: 'PUT' | 'DELETE';
  kv: KV;
  prevKv?: KV;
}

/** TLS material for talking to etcd (as loaded from --etcd-cafile/certfile/keyfile). */
export interface EtcdTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

function decodeKv(raw: any): KV {
  return {
    key: Buffer.from(raw.key ?? '', 'base64').toString('utf8'),
    value: Buffer.from(raw.value ?? '', 'base64'),
    createRevision: Number(raw.create_revision ?? 0),
    modRevision: Number(raw.mod_revision ?? 0),
  };
}

/** The end of the range of keys that start with `prefix`. */
export function prefixEnd(prefix: string): string {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i] < 0xff) {
      b[i]++;
      return b.subarray(0, i + 1).toString('latin1');
    }
  }
  return '\0';
}

/** An error from etcd or from reaching it. */
export class EtcdError extends Error {
  constructor(
    message: string,
    readonly unreachable: boolean,
  ) {
    super(message);
  }
}

/** etcd v3 over its JSON gateway, tried against each --etcd-servers URL in turn. */
export class Etcd {
  readonly agent: https.Agent;
  #next = 0;
  constructor(
    readonly servers: string[],
    tls: EtcdTls,
    readonly timeoutMs = 5000,
  ) {
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 32, ca: tls.ca, cert: tls.cert, key: tls.key });
  }

  /** POST a JSON body to one gateway path; fails over to the next server on network/TLS errors. */
  async call(path: string, body: unknown): Promise<any> {
    let lastErr: unknown;
    for (let i = 0; i < this.servers.length; i++) {
      const server = this.servers[(this.#next + i) % this.servers.length];
      try {
        const out = await this.#post(server, path, body);
        this.#next = (this.#next + i) % this.servers.length;
        return out;
      } catch (e) {
        lastErr = e;
        if (e instanceof EtcdError && !e.unreachable) throw e;
      }
    }
    throw lastErr;
  }

  #post(server: string, path: string, body: unknown): Promise<any> {
    const url = new URL(path, server);
    const payload = Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        { method: 'POST', agent: this.agent, timeout: this.timeoutMs, headers: { 'Content-Type': 'application/json', 'Content-Length': payload.length } },
        (res) =>
          readResponse(
            res,
            ({ status, body, text }) => {
              if (status !== 200 || !body || body.error) {
                reject(new EtcdError(`etcd ${server}${path}: HTTP ${status}: ${body?.error ?? body?.message ?? text.slice(0, 200)}`, false));
              } else resolve(body);
            },
            (e) => reject(new EtcdError(`etcd ${server}${path}: ${e.message}`, true)),
          ),
      );
      req.on('timeout', () => req.destroy(new Error(`timed out after ${this.timeoutMs} ms`)));
      req.on('error', (e) => reject(new EtcdError(`etcd ${server}${path}: ${e.message}`, true)));
      req.end(payload);
    });
  }

  /** Get one key. */
  async get(key: string): Promise<KV | undefined> {
    const r = await this.call('/v3/kv/range', { key: b64(key) });
    return r.kvs?.length ? decodeKv(r.kvs[0]) : undefined;
  }

  /** All keys under a prefix, with the store revision they were read at. */
  async list(prefix: string): Promise<{ kvs: KV[]; revision: number }> {
    const r = await this.call('/v3/kv/range', { key: b64(prefix), range_end: b64(prefixEnd(prefix)) });
    return { kvs: (r.kvs ?? []).map(decodeKv), revision: Number(r.header?.revision ?? 0) };
  }

  /** The current store revision (cheap range with count_only). */
  async revision(): Promise<number> {
    const r = await this.call('/v3/kv/range', { key: b64('/registry/health'), count_only: true });
    return Number(r.header?.revision ?? 0);
  }

  /** Put `value` at `key` if its mod revision is `expect` (0 = must not exist; undefined = unconditional); returns the new revision or undefined on conflict. */
  async putIf(key: string, value: string, expect?: number): Promise<number | undefined> {
    const put = { request_put: { key: b64(key), value: b64(value) } };
    if (expect === undefined) {
      const r = await this.call('/v3/kv/put', put.request_put);
      return Number(r.header.revision);
    }
    const compare =
      expect === 0
        ? { target: 'CREATE', result: 'EQUAL', key: b64(key), create_revision: '0' }
        : { target: 'MOD', result: 'EQUAL', key: b64(key), mod_revision: String(expect) };
    const r = await this.call('/v3/kv/txn', { compare: [compare], success: [put] });
    return r.succeeded ? Number(r.header.revision) : undefined;
  }

  /** Delete `key` if its mod revision is `expect` (undefined = unconditional); returns the deleted kv, or undefined when absent or changed. */
  async deleteIf(key: string, expect?: number): Promise<{ kv: KV; revision: number } | undefined> {
    const del = { request_delete_range: { key: b64(key), prev_kv: true } };
    if (expect === undefined) {
      const r = await this.call('/v3/kv/deleterange', del.request_delete_range);
      return r.prev_kvs?.length ? { kv: decodeKv(r.prev_kvs[0]), revision: Number(r.header.revision) } : undefined;
    }
    const r = await this.call('/v3/kv/txn', {
      compare: [{ target: 'MOD', result: 'EQUAL', key: b64(key), mod_revision: String(expect) }],
      success: [del],
    });
    if (!r.succeeded) return undefined;
    const prev = r.responses?.[0]?.response_delete_range?.prev_kvs?.[0];
    return prev ? { kv: decodeKv(prev), revision: Number(r.header.revision) } : undefined;
  }

  /**
   * Watch keys under `prefix` ('' = every key) from `startRevision`; calls onEvents per batch;
   * returns a stop function. onEnd gets the error, if any. `prevKv`: events carry the previous value.
   */
  watch(prefix: string, startRevision: number, onEvents: (evs: WatchEvent[]) => void, onEnd: (err?: Error) => void, prevKv = true): () => void {
    const server = this.servers[this.#next % this.servers.length];
    const url = new URL('/v3/watch', server);
    // etcd: key "\0" with range_end "\0" is every key
    const range = prefix ? { key: b64(prefix), range_end: b64(prefixEnd(prefix)) } : { key: b64('\0'), range_end: b64('\0') };
    const payload = Buffer.from(JSON.stringify({ create_request: { ...range, start_revision: String(startRevision), prev_kv: prevKv } }));
    let ended = false;
    const end = (err?: Error) => {
      if (ended) return;
      ended = true;
      onEnd(err);
    };
    const req = https.request(
      url,
      {
        method: 'POST',
        agent: false,
        ca: (this.agent.options as any).ca,
        cert: (this.agent.options as any).cert,
        key: (this.agent.options as any).key,
        headers: { 'Content-Type': 'application/json', 'Content-Length': payload.length },
      },
      (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          // The gateway streams one JSON object per message, newline separated.
          let idx: number;
          while ((idx = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, idx).trim();
            buf = buf.slice(idx + 1);
            if (!line) continue;
            let msg: any;
            try {
              msg = JSON.parse(line);
            } catch {
              continue;
            }
            if (msg.error) return end(new Error(`etcd watch: ${msg.error.message ?? JSON.stringify(msg.error)}`));
            const result = msg.result ?? {};
            if (result.compact_revision && result.compact_revision !== '0') return end(new Error(`etcd watch: revision ${startRevision} compacted`));
            if (result.canceled) return end(new Error(`etcd watch canceled: ${result.cancel_reason ?? ''}`));
            const evs: WatchEvent[] = (result.events ?? []).map((e: any) => ({
              type: e.type === 'DELETE' ? 'DELETE' : 'PUT',
              kv: decodeKv(e.kv),
              prevKv: e.prev_kv ? decodeKv(e.prev_kv) : undefined,
            }));
            if (evs.length) onEvents(evs);
          }
        });
        res.on('end', () => end());
        res.on('error', (e) => end(e));
      },
    );
    req.on('error', (e) => end(e));
    req.end(payload);
    return () => {
      ended = true;
      req.destroy();
    };
  }

  /** Close idle connections. */
  close(): void {
    this.agent.destroy();
  }
}
