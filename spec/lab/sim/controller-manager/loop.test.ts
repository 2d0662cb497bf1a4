/**
 * Unit tests of the controllers' loops: a change of a watched resource runs the sync at once rather
 * than at the end of its period, a burst of changes is one more sync, a change elsewhere wakes
 * nothing, and an error is logged once while it repeats.
 */
import test from 'ava';
import type { Controller } from './context.js';
import type { Logger } from '../component-base/log.js';
import { Wakers, runLoop } from './loop.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rig(watches: string[], fail?: () => string | undefined) {
  let syncs = 0;
  const errors: string[] = [];
  const log: Logger = { info: () => {}, warn: () => {}, error: (m) => errors.push(m), child: () => log };
  const c: Controller = {
    name: 'test-controller',
    periodMs: 60_000,
    watches,
    async sync() {
      syncs++;
      const msg = fail?.();
      if (msg) throw new Error(msg);
    },
  };
  const wakers = new Wakers();
  const stop = new AbortController();
  const done = runLoop(c, stop.signal, wakers, log);
  return { wakers, errors, syncs: () => syncs, stop: async () => (stop.abort(), wakers.changed('/api/v1/pods'), done) };
}

test('a change of a watched resource syncs at once; a burst is one more sync; other resources wake nothing', async (t) => {
  const r = rig(['pods']);
  await sleep(20);
  t.is(r.syncs(), 1, 'the first sync at start; the next would be a minute later');
  r.wakers.changed('/api/v1/namespaces/apps/configmaps');
  await sleep(150);
  t.is(r.syncs(), 1, 'configmaps are not watched');
  r.wakers.changed('/api/v1/pods?fieldSelector=spec.nodeName%3Dw1');
  r.wakers.changed('/api/v1/namespaces/apps/pods');
  r.wakers.changed('/api/v1/pods');
  await sleep(150);
  t.is(r.syncs(), 2, 'three changes of pods: one more sync');
  await r.stop();
});

test('an error is logged once while it repeats, and again once it changed', async (t) => {
  let msg = 'list pods: 401 Unauthorized';
  const r = rig(['pods'], () => msg);
  for (let i = 0; i < 3; i++) {
    r.wakers.changed('/api/v1/pods');
    await sleep(120);
  }
  t.true(r.syncs() >= 3);
  t.deepEqual(r.errors, ['list pods: 401 Unauthorized']);
  msg = 'list pods: connect ECONNREFUSED';
  r.wakers.changed('/api/v1/pods');
  await sleep(120);
  t.deepEqual(r.errors, ['list pods: 401 Unauthorized', 'list pods: connect ECONNREFUSED']);
  await r.stop();
});
