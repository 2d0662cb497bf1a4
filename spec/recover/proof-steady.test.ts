/** The proof rows of issue 13: one shared PKI on every master, workload pods Ready over a window. */
import test from 'ava';
import type { V1Pod } from '@kubernetes/client-node';
import { MASTER_CA_FILES } from '../../lib/facts/paths.js';
import { type PodSample, parseSha256, samplePods, sharedPkiRow, steadyPodsRow } from '../../playbooks/recover/proof-steady.js';

const h = (c: string) => c.repeat(64);
const sums = (over: Record<string, string | null> = {}) =>
  new Map(MASTER_CA_FILES.filter((f) => over[f] !== null).map((f) => [f, over[f] ?? h(String(MASTER_CA_FILES.indexOf(f)))]));

test('sha256sum lines parsed (text and binary mode), other lines ignored', (t) => {
  const m = parseSha256(`${h('a')}  ca.crt\n${h('b')} *etcd/ca.key\nsha256sum: sa.key: No such file or directory\n`);
  t.deepEqual(
    [...m],
    [
      ['ca.crt', h('a')],
      ['etcd/ca.key', h('b')],
    ],
  );
});

test('shared PKI: the same files everywhere pass; a split sa.key or a file missing on one master fails, named', (t) => {
  const ok = sharedPkiRow(
    new Map([
      ['m1', sums()],
      ['m2', sums()],
      ['m3', sums()],
    ]),
  );
  t.true(ok.ok, ok.detail);
  t.regex(ok.detail, /8 files, one sha256 each on 3 masters/);
  const split = sharedPkiRow(
    new Map([
      ['m1', sums()],
      ['m2', sums({ 'sa.key': h('f') })],
      ['m3', sums()],
    ]),
  );
  t.false(split.ok);
  t.regex(split.detail, /^sa\.key differs: m1,m3 444444444444 \/ m2 ffffffffffff$/);
  const missing = sharedPkiRow(
    new Map([
      ['m1', sums()],
      ['m2', sums({ 'front-proxy-ca.key': null })],
    ]),
  );
  t.false(missing.ok);
  t.regex(missing.detail, /front-proxy-ca\.key missing on m2/);
});

test("shared PKI: files on no master (etcd not kubeadm's) are named, not failed; no master at all fails", (t) => {
  const r = sharedPkiRow(
    new Map([
      ['m1', sums({ 'etcd/ca.crt': null, 'etcd/ca.key': null })],
      ['m2', sums({ 'etcd/ca.crt': null, 'etcd/ca.key': null })],
    ]),
  );
  t.true(r.ok, r.detail);
  t.regex(r.detail, /6 files, .* not on any master: etcd\/ca\.crt, etcd\/ca\.key$/);
  t.false(sharedPkiRow(new Map()).ok);
});

function pod(name: string, uid: string, ready = true): V1Pod {
  return {
    metadata: { namespace: 'apps', name, uid, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  } as V1Pod;
}
const look = (atMs: number, ...pods: V1Pod[]): PodSample => ({ atMs, pods });

test('steady pods: Ready at every look passes; one look not Ready, a replaced pod, an unanswered look each fail, named with when', (t) => {
  const a = pod('a', '1');
  const b = pod('b', '2');
  t.true(steadyPodsRow([look(0, a, b), look(3000, a, b), look(30000, a, b)]).ok);
  const blip = steadyPodsRow([look(0, a, b), look(3000, a, pod('b', '2', false)), look(6000, a, pod('b', '2', false)), look(9000, a, b)]);
  t.false(blip.ok);
  t.is(blip.detail, 'apps/b not Ready at +3 s', 'one line per pod, at the first look that saw it');
  const replaced = steadyPodsRow([look(0, a, b), look(3000, a, pod('b-2', '3'))]);
  t.false(replaced.ok);
  t.regex(replaced.detail, /apps\/b gone by \+3 s; apps\/b-2 new at \+3 s/);
  const silent = steadyPodsRow([look(0, a), { atMs: 6000, error: 'connect ECONNREFUSED' }, look(9000, a)]);
  t.false(silent.ok);
  t.regex(silent.detail, /API did not answer at \+6 s: connect ECONNREFUSED/);
  t.false(steadyPodsRow([{ atMs: 0, error: 'x' }]).ok, 'no answer at all is no proof');
  const dying = (p: V1Pod) => ({ ...p, metadata: { ...p.metadata, deletionTimestamp: new Date() } }) as V1Pod;
  t.true(
    steadyPodsRow([look(0, a, dying(pod('old', '7', false))), look(3000, a)]).ok,
    'a pod already terminating at the first look (a rollout ending) is left out',
  );
  const deleted = steadyPodsRow([look(0, a, b), look(3000, a, dying(b))]);
  t.false(deleted.ok);
  t.is(deleted.detail, 'apps/b being deleted at +3 s');
});

test('samplePods: looks every period over the window, the first at once; only workload pods; a failed list is a sample', async (t) => {
  let now = 0;
  const realNow = Date.now;
  Date.now = () => now;
  try {
    let n = 0;
    const mirror = {
      ...pod('static', '9'),
      metadata: { namespace: 'kube-system', name: 'static', uid: '9', annotations: { 'kubernetes.io/config.mirror': 'x' } },
    } as V1Pod;
    const samples = await samplePods(
      async () => {
        if (++n === 3) throw new Error('boom\nstack');
        return [pod('a', '1'), mirror];
      },
      30_000,
      3_000,
      async (ms) => void (now += ms),
    );
    t.is(samples.length, 11, 'at 0, 3, ..., 30 s');
    t.deepEqual(
      samples.map((s) => s.atMs),
      [0, 3000, 6000, 9000, 12000, 15000, 18000, 21000, 24000, 27000, 30000],
    );
    t.deepEqual(samples[2], { atMs: 6000, error: 'boom' });
    t.deepEqual(
      (samples[0] as { pods: V1Pod[] }).pods.map((p) => p.metadata?.name),
      ['a'],
    );
  } finally {
    Date.now = realNow;
  }
});
