/**
 * Unit tests of the controller-manager's Api and its informers, against a tiny HTTPS apiserver (lists with a
 * resourceVersion, `?watch=true` streams the test drives, writes): a list answered from the cache makes no request, watch
 * events update it, a write through the Api is in the next list, a watch that ends (or the resync time) makes the next list
 * ask the server again and a server that is gone makes it throw; without informers every list asks.
 */
import test from 'ava';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KubeClient } from '../kubeclient.js';
import { newCA, newKey, signCert } from '../pki.js';
import { Api, type KObject, resourceOf } from './api.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A fake apiserver holding pods (one namespace each), with the knobs the tests turn. */
async function fakeApiserver() {
  const ca = await newCA('test-ca');
  const key = await newKey();
  const cert = await signCert({ ca, key, cn: 'apiserver', ips: ['127.0.0.1'], usages: ['server'] });
  let rev = 10;
  const pods = new Map<string, KObject>();
  const requests: string[] = [];
  const watches = new Set<ServerResponse>();
  const s = {
    requests,
    watches,
    /** Whether writes are sent to the watches (off: a watch that lags behind the writes). */
    emitOnWrite: true,
    /** Milliseconds a list answer waits (events sent meanwhile land during the relist). */
    listDelayMs: 0,
    put(name: string, labels: Record<string, string> = {}): KObject {
      const type = pods.has(name) ? 'MODIFIED' : 'ADDED';
      const o: KObject = { metadata: { name, namespace: 'apps', labels, resourceVersion: String(++rev) } };
      pods.set(name, o);
      s.emit(type, o);
      return o;
    },
    remove(name: string): void {
      const o = pods.get(name)!;
      pods.delete(name);
      s.emit('DELETED', { ...o, metadata: { ...o.metadata, resourceVersion: String(++rev) } });
    },
    emit(type: string, object: KObject): void {
      for (const w of watches) w.write(JSON.stringify({ type, object }) + '\n');
    },
    /** Ends every watch as the apiserver does at its timeoutSeconds. */
    endWatches(): void {
      for (const w of watches) w.end();
      watches.clear();
    },
    server: undefined as unknown as https.Server,
    client: undefined as unknown as KubeClient,
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, 'https://x');
    const watch = url.searchParams.get('watch') === 'true';
    requests.push(`${req.method} ${url.pathname}${watch ? ' watch' : ''}`);
    const body = await new Promise<string>((r) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => r(b));
    });
    const send = (code: number, obj: unknown) => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    if (req.method === 'GET' && watch) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
      watches.add(res);
      res.on('close', () => watches.delete(res));
      return;
    }
    if (req.method === 'GET') {
      const snapshot = { metadata: { resourceVersion: String(rev) }, items: [...pods.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1)) };
      if (s.listDelayMs) await sleep(s.listDelayMs);
      return send(200, snapshot);
    }
    const name = url.pathname.split('/')[6] ?? JSON.parse(body).metadata.name;
    const emit = s.emitOnWrite;
    const save = (o: KObject) => {
      o.metadata.resourceVersion = String(++rev);
      pods.set(o.metadata.name, o);
      if (emit) s.emit('MODIFIED', o);
      return o;
    };
    if (req.method === 'POST') return send(201, save(JSON.parse(body)));
    if (req.method === 'PUT') return send(200, save(JSON.parse(body)));
    if (req.method === 'DELETE') {
      const gone = pods.get(name);
      if (!gone) return send(404, { kind: 'Status', code: 404 });
      pods.delete(name);
      rev++;
      if (emit) s.emit('DELETED', { ...gone, metadata: { ...gone.metadata, resourceVersion: String(rev) } });
      return send(200, gone);
    }
    send(405, {});
  };
  s.server = https.createServer({ cert, key: key.keyPem }, (req, res) => void handle(req, res));
  await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', r));
  const port = (s.server.address() as AddressInfo).port;
  s.client = new KubeClient({ server: `https://127.0.0.1:${port}`, ca: Buffer.from(ca.certPem) }, 2000);
  return s;
}

const PODS = '/api/v1/pods';
const names = (items: KObject[]) => items.map((o) => o.metadata.name);

async function rig(t: { teardown(fn: () => void): void }, resyncMs = 60_000) {
  const s = await fakeApiserver();
  const api = new Api(s.client, { informers: true, resyncMs: () => resyncMs });
  t.teardown(() => {
    api.close();
    s.client.close();
    s.server.closeAllConnections();
    s.server.close();
  });
  return { s, api };
}

test('a list answered from the cache makes no request; each caller gets its own copy', async (t) => {
  const { s, api } = await rig(t);
  s.put('a');
  s.put('b');
  const [x, y] = await Promise.all([api.list('pods', PODS), api.list('pods', PODS)]);
  t.deepEqual(s.requests, ['GET /api/v1/pods', 'GET /api/v1/pods watch']);
  t.deepEqual(names(x), ['a', 'b']);
  x[0].metadata.name = 'changed';
  t.is(y[0].metadata.name, 'a');
  t.deepEqual(names(await api.list('pods', PODS)), ['a', 'b']);
  t.is(s.requests.length, 2, 'no request once the watch runs');
});

test('watch events update the cache', async (t) => {
  const { s, api } = await rig(t);
  s.put('a');
  s.put('b');
  await api.list('pods', PODS);
  s.put('c');
  s.put('a', { changed: 'yes' });
  s.remove('b');
  await until('the events', async () => names(await api.list('pods', PODS)).join() === 'a,c');
  t.is((await api.list('pods', PODS))[0].metadata.labels?.changed, 'yes');
  t.is(s.requests.length, 2);
});

test('onChange hears each watch event that changed the items, with the path listed (the kubelet syncs on it)', async (t) => {
  const s = await fakeApiserver();
  const heard: string[] = [];
  const api = new Api(s.client, { informers: true, onChange: (path) => heard.push(path) });
  t.teardown(() => {
    api.close();
    s.client.close();
    s.server.closeAllConnections();
    s.server.close();
  });
  s.put('a');
  await api.list('pods', PODS);
  t.deepEqual(heard, [], 'the list itself is no change');
  s.put('b');
  s.remove('a');
  await until('two events heard', () => heard.length === 2);
  t.deepEqual(heard, [PODS, PODS]);
  s.emit('MODIFIED', { metadata: { name: 'b', namespace: 'apps', resourceVersion: '1' } });
  s.put('c');
  await until('the next event', () => heard.length >= 3);
  t.is(heard.length, 3, 'an event the cache already holds (an older revision) is not a change');
});

test('events that come while a relist runs are not lost', async (t) => {
  const { s, api } = await rig(t);
  s.emitOnWrite = false;
  await api.list('pods', PODS);
  await api.delete('pod apps/none', '/api/v1/namespaces/apps/pods/none'); // a delete: the next list relists
  s.listDelayMs = 200;
  const relisted = api.list('pods', PODS);
  await sleep(50);
  s.put('late'); // after the list's snapshot, before its answer
  t.deepEqual(names(await relisted), ['late'], 'the relist answered without it, the watch brought it');
  t.is(s.requests.filter((r) => r === 'GET /api/v1/pods').length, 2);
});

test('a write through the Api is in the next list, from the watch or else a relist', async (t) => {
  const { s, api } = await rig(t);
  await api.list('pods', PODS);
  // the watch lags: the write's revision is not in the cache, so the next list asks
  s.emitOnWrite = false;
  await api.create('pod', '/api/v1/namespaces/apps/pods', { metadata: { name: 'mine', namespace: 'apps' } });
  t.deepEqual(names(await api.list('pods', PODS)), ['mine']);
  t.deepEqual(s.requests.slice(2), ['POST /api/v1/namespaces/apps/pods', 'GET /api/v1/pods']);
  // the watch brings the write first: no relist
  s.emitOnWrite = true;
  const before = s.requests.length;
  const saved = await api.update('pod', '/api/v1/namespaces/apps/pods/mine', { metadata: { name: 'mine', namespace: 'apps', labels: { v: '2' } } });
  await sleep(100); // the event reaches the watch
  t.is((await api.list('pods', PODS))[0]?.metadata.resourceVersion, saved.metadata.resourceVersion);
  t.is(s.requests.length, before + 1, 'only the PUT');
  // a delete answers with no new revision: the next list relists, whatever the watch did
  await api.delete('pod', '/api/v1/namespaces/apps/pods/mine');
  t.deepEqual(names(await api.list('pods', PODS)), []);
  t.is(s.requests.at(-1), 'GET /api/v1/pods');
  // a write elsewhere (another resource, another namespace) leaves the cache alone
  const other = '/api/v1/namespaces/other/pods';
  await api.list('pods in other', other);
  s.emitOnWrite = false;
  const n = s.requests.length;
  await api.create('pod', '/api/v1/namespaces/apps/pods', { metadata: { name: 'x', namespace: 'apps' } });
  await api.list('pods in other', other);
  t.is(s.requests.length, n + 1, 'only the POST');
});

test('a watch that ends drops the cache: the next list asks, and throws when the server is gone', async (t) => {
  const { s, api } = await rig(t);
  s.put('a');
  await api.list('pods', PODS);
  s.endWatches();
  await sleep(100);
  s.put('b'); // no watch sees it
  t.deepEqual(names(await api.list('pods', PODS)), ['a', 'b']);
  t.deepEqual(s.requests, ['GET /api/v1/pods', 'GET /api/v1/pods watch', 'GET /api/v1/pods', 'GET /api/v1/pods watch']);
  // the server goes away: the watch ends, the next list goes to it and fails loudly
  s.server.close();
  s.server.closeAllConnections();
  await until('the watch to end', () => s.watches.size === 0);
  await sleep(100);
  await t.throwsAsync(() => api.list('pods', PODS), { message: /^list pods: .*ECONNREFUSED/ });
  await t.throwsAsync(() => api.list('pods', PODS), { message: /^list pods: .*ECONNREFUSED/ }, 'a failed list is not kept');
});

test('a watch that cannot be opened still answers the list, and the next list asks again', async (t) => {
  const { s, api } = await rig(t);
  const handlers = s.server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  s.server.removeAllListeners('request');
  s.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.includes('watch=true')) {
      s.requests.push('GET watch refused');
      res.writeHead(410, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired' }));
    }
    for (const h of handlers) h(req, res);
  });
  s.put('a');
  t.deepEqual(names(await api.list('pods', PODS)), ['a']);
  t.deepEqual(names(await api.list('pods', PODS)), ['a']);
  t.deepEqual(s.requests, ['GET /api/v1/pods', 'GET watch refused', 'GET /api/v1/pods', 'GET watch refused']);
});

test('the resync time ends a watch: the next list asks again', async (t) => {
  const { s, api } = await rig(t, 150);
  await api.list('pods', PODS);
  await until('the watch to end', () => s.watches.size === 0);
  await api.list('pods', PODS);
  t.deepEqual(s.requests, ['GET /api/v1/pods', 'GET /api/v1/pods watch', 'GET /api/v1/pods', 'GET /api/v1/pods watch']);
});

test('close stops the watches; later lists ask the apiserver', async (t) => {
  const { s, api } = await rig(t);
  await api.list('pods', PODS);
  t.is(s.watches.size, 1);
  api.close();
  await until('the watch to close', () => s.watches.size === 0);
  await api.list('pods', PODS);
  await api.list('pods', PODS);
  t.deepEqual(s.requests.slice(2), ['GET /api/v1/pods', 'GET /api/v1/pods']);
});

test('without informers every list asks the apiserver', async (t) => {
  const s = await fakeApiserver();
  t.teardown(() => (s.client.close(), s.server.closeAllConnections(), s.server.close()));
  const api = new Api(s.client);
  await api.list('pods', PODS);
  await api.list('pods', PODS);
  t.deepEqual(s.requests, ['GET /api/v1/pods', 'GET /api/v1/pods']);
});

test('resourceOf names the resource and namespace of a path', (t) => {
  t.deepEqual(resourceOf('/api/v1/namespaces/apps/pods/p/status'), { gv: '/api/v1', namespace: 'apps', plural: 'pods' });
  t.deepEqual(resourceOf('/api/v1/pods?fieldSelector=x'), { gv: '/api/v1', plural: 'pods' });
  t.deepEqual(resourceOf('/api/v1/namespaces/apps'), { gv: '/api/v1', plural: 'namespaces' });
  t.deepEqual(resourceOf('/api/v1/namespaces/apps/finalize'), { gv: '/api/v1', plural: 'namespaces' });
  t.deepEqual(resourceOf('/apis/apps/v1/namespaces/kube-system/daemonsets/d'), { gv: '/apis/apps/v1', namespace: 'kube-system', plural: 'daemonsets' });
  t.is(resourceOf('/healthz'), undefined);
});
