/**
 * `?watch=true`: a chunked stream of watch events (`{"type":"ADDED","object":...}` per line) from an
 * etcd watch on the resource's key prefix, filtered by namespace and selectors.
 */
import type { ServerResponse } from 'node:http';
import type { KV, WatchEvent } from './etcd.js';
import { info } from './log.js';
import { prefixOf } from './resources.js';
import type { ResourceRequest } from './rest.js';
import { selectorFilter } from './rest.js';
import { type Obj, type Store, decode } from './store.js';
import { toTable, wantsTable } from './table.js';

/** Stream watch events to `res` until the client goes away, `timeoutSeconds` passes or etcd ends the watch. */
export async function serveWatch(store: Store, req: ResourceRequest, res: ServerResponse): Promise<void> {
  const keep = selectorFilter(req.query);
  const prefix = prefixOf(req.r, req.namespace);
  const depth = req.r.namespaced ? 2 : 1;
  const base = prefixOf(req.r).length;
  const inScope = (kv: KV) => kv.key.slice(base).split('/').length === depth;
  const rvParam = req.query.get('resourceVersion');
  const table = wantsTable(req.accept);
  const includeObject = req.query.get('includeObject') ?? undefined;
  const initial: Obj[] = [];
  let start: number;
  if (!rvParam || rvParam === '0') {
    // No resourceVersion: synthetic ADDED events for what exists now, then changes after that.
    const { items, revision } = await store.list(req.r, req.namespace);
    initial.push(...items.filter(keep));
    start = revision + 1;
  } else start = Number(rvParam) + 1;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders(); // clients wait for the headers before they read events
  const send = (type: string, obj: Obj) => {
    const o = table ? toTable(req.r, [obj], { resourceVersion: obj.metadata.resourceVersion }, includeObject) : obj;
    res.write(JSON.stringify({ type, object: o }) + '\n');
  };
  for (const o of initial) send('ADDED', o);
  const timeout = Number(req.query.get('timeoutSeconds') ?? 0) || 1800;
  await new Promise<void>((resolve) => {
    let stop = () => {};
    const finish = () => {
      clearTimeout(timer);
      stop();
      if (!res.writableEnded) res.end();
      resolve();
    };
    const timer = setTimeout(finish, timeout * 1000);
    res.on('close', finish);
    const onEvents = (evs: WatchEvent[]) => {
      for (const ev of evs) {
        if (!inScope(ev.kv)) continue;
        const prev = ev.prevKv ? decode(ev.prevKv) : undefined;
        const prevIn = prev ? keep(prev) : false;
        if (ev.type === 'DELETE') {
          if (prev && prevIn) {
            prev.metadata.resourceVersion = String(ev.kv.modRevision);
            send('DELETED', prev);
          }
          continue;
        }
        const obj = decode(ev.kv);
        const nowIn = keep(obj);
        if (nowIn && (!prev || !prevIn)) send('ADDED', obj);
        else if (nowIn) send('MODIFIED', obj);
        else if (prevIn) send('DELETED', obj);
      }
    };
    stop = store.etcd.watch(prefix, start, onEvents, (err) => {
      if (err) info(`watch ${req.r.plural}: ${err.message}`);
      finish();
    });
  });
}
