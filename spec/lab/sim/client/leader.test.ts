/**
 * Unit tests of the lab's leader election: a free Lease is taken, a held one is left alone until it
 * stops changing for its duration, and the leader renews without reading the Lease first (client-go's
 * optimistic fast path), reading it only when that update fails.
 */
import test from 'ava';
import type { Api, KObject } from './api.js';
import { ApiError } from './api.js';
import { LeaderElector } from './leader.js';
import type { Logger } from '../component-base/log.js';

/** An apiserver holding one Lease, recording the calls made to it; `conflictNext` fails the next update with 409. */
function rig() {
  const calls: string[] = [];
  const state = { lease: undefined as KObject | undefined, rv: 1, conflictNext: false };
  const api = {
    async get(_what: string, _path: string) {
      calls.push('GET');
      return state.lease && structuredClone(state.lease);
    },
    async create(_what: string, _path: string, obj: KObject) {
      calls.push('POST');
      state.lease = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++state.rv) } };
      return structuredClone(state.lease);
    },
    async update(_what: string, _path: string, obj: KObject) {
      calls.push('PUT');
      if (state.conflictNext || obj.metadata.resourceVersion !== state.lease?.metadata.resourceVersion) {
        state.conflictNext = false;
        throw new ApiError('update lease: 409 Conflict: the object has been modified', 409);
      }
      state.lease = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++state.rv) } };
      return structuredClone(state.lease);
    },
  } as unknown as Api;
  const lines: string[] = [];
  const log: Logger = { info: () => {}, warn: () => {}, error: (m) => lines.push(m), child: () => log };
  const opts = { namespace: 'kube-system', name: 'kube-controller-manager', leaseDurationMs: 6000, renewDeadlineMs: 4000, retryPeriodMs: 1 };
  return { api, calls, state, lines, elector: (identity: string) => new LeaderElector(api, { ...opts, identity }, log) };
}

/** Wait until `done()` (polled every ms), at most 10 s: a loaded machine may run the elector's 1 ms loop only a few times in 30 ms. */
async function until(done: () => boolean): Promise<void> {
  for (const end = Date.now() + 10_000; !done() && Date.now() < end; ) await new Promise((res) => setTimeout(res, 1));
}

test('the leader renews with one update and no read; a failed update falls back to reading the Lease', async (t) => {
  const r = rig();
  const a = r.elector('a');
  const stop = new AbortController();
  // a failed assertion throws: the renewal loop must stop all the same, or the test process never ends
  t.teardown(() => stop.abort());
  await a.acquire(stop.signal);
  t.deepEqual(r.calls, ['GET', 'POST'], 'no Lease: created');
  r.calls.length = 0;
  const renewing = a.holdUntilLost(stop.signal);
  await until(() => r.calls.length >= 3);
  t.true(r.calls.length >= 3, `renewed (${r.calls.join(' ')})`);
  t.false(r.calls.includes('GET'), 'the leader renews without reading the Lease');
  r.calls.length = 0;
  r.state.conflictNext = true;
  await until(() => r.calls.length >= 3);
  t.deepEqual(r.calls.slice(0, 3), ['PUT', 'GET', 'PUT'], 'a conflict: read, then update what was read');
  t.regex(r.lines.join('\n'), /Failed to update lock optimistically: update lease: 409 Conflict/);
  t.is(r.state.lease?.spec.holderIdentity, 'a');
  stop.abort();
  await renewing;
});

test('a Lease held and renewed by another is not taken; one that stopped changing for its duration is', async (t) => {
  const r = rig();
  const stop = new AbortController();
  await r.elector('a').acquire(stop.signal);
  const b = r.elector('b');
  t.false(await b.tryAcquireOrRenew(), "a's fresh Lease is left alone");
  t.is(r.state.lease?.spec.holderIdentity, 'a');
  r.calls.length = 0;
  t.false(await b.tryAcquireOrRenew());
  t.deepEqual(r.calls, ['GET'], 'a candidate only reads');
  // b last saw the record change more than a lease duration ago
  (b as unknown as { observedAt: number }).observedAt = Date.now() - 7000;
  t.true(await b.tryAcquireOrRenew(), 'an expired Lease is taken');
  t.is(r.state.lease?.spec.holderIdentity, 'b');
  t.is(r.state.lease?.spec.leaseTransitions, 1);
});
