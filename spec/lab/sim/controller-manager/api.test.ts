/**
 * Unit tests of the controller-manager's Api: lists shared between controllers for listCacheMs (they
 * read informer caches in the real one), dropped by any write through the same Api, a failed list
 * not kept; without listCacheMs every list asks the apiserver.
 */
import test from 'ava';
import type { KubeClient } from '../kubeclient.js';
import { Api } from './api.js';

function rig(listCacheMs?: number) {
  const calls: string[] = [];
  let fail = false;
  let n = 0;
  const client = {
    async request(method: string, path: string) {
      calls.push(`${method} ${path}`);
      if (fail) throw new Error('connect ECONNREFUSED');
      n++;
      return { status: 200, body: method === 'GET' ? { items: [{ metadata: { name: `p${n}` } }] } : {}, text: '' };
    },
  } as unknown as KubeClient;
  return { api: new Api(client, { listCacheMs }), calls, fail: (f: boolean) => (fail = f) };
}

test('a list is shared for listCacheMs, each caller gets its own copy', async (t) => {
  const r = rig(60_000);
  const [a, b] = await Promise.all([r.api.list('pods', '/api/v1/pods'), r.api.list('pods', '/api/v1/pods')]);
  const c = await r.api.list('pods', '/api/v1/pods');
  t.deepEqual(r.calls, ['GET /api/v1/pods']);
  t.deepEqual(a, c);
  a[0].metadata.name = 'changed';
  t.is(b[0].metadata.name, 'p1');
  await r.api.list('nodes', '/api/v1/nodes');
  t.is(r.calls.length, 2, 'another path is its own list');
});

test('a write through the Api drops the shared lists: a controller sees what this process wrote', async (t) => {
  const r = rig(60_000);
  await r.api.list('pods', '/api/v1/pods');
  await r.api.create('pod', '/api/v1/namespaces/apps/pods', { metadata: { name: 'x' } });
  const after = await r.api.list('pods', '/api/v1/pods');
  t.deepEqual(r.calls, ['GET /api/v1/pods', 'POST /api/v1/namespaces/apps/pods', 'GET /api/v1/pods']);
  t.is(after[0].metadata.name, 'p3');
});

test('a failed list is not kept; without listCacheMs every list asks', async (t) => {
  const r = rig(60_000);
  r.fail(true);
  await t.throwsAsync(() => r.api.list('pods', '/api/v1/pods'), { message: /list pods: connect ECONNREFUSED/ });
  r.fail(false);
  t.is((await r.api.list('pods', '/api/v1/pods'))[0].metadata.name, 'p1');
  const plain = rig();
  await plain.api.list('pods', '/api/v1/pods');
  await plain.api.list('pods', '/api/v1/pods');
  t.is(plain.calls.length, 2);
});
