/** --only / --skip / --from on hierarchical phase ids. */
import test from 'ava';
import { matchesId, selectPhases } from '../../lib/core/select.js';
import { runPlaybook } from '../../lib/core/runner.js';
import type { Playbook } from '../../lib/core/types.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

const ids = ['backup', 'etcd/ca', 'etcd/certs', 'etcd/start', 'control-plane/certs', 'workers/rejoin', 'workers/rejoin-check'];
const running = (sel: Parameters<typeof selectPhases>[1]) => [...selectPhases(ids, sel)].filter(([, v]) => v.run).map(([k]) => k);

test('an id matches itself and its sub-ids, not siblings that share a prefix', (t) => {
  t.true(matchesId('etcd/certs', 'etcd'));
  t.true(matchesId('etcd', 'etcd'));
  t.true(matchesId('etcd/certs', 'etcd/'));
  t.false(matchesId('etcdx', 'etcd'));
  t.false(matchesId('workers/rejoin-check', 'workers/rejoin'));
});

test('--only, --skip and --from select phases by hierarchical id', (t) => {
  t.deepEqual(running({}), ids);
  t.deepEqual(running({ only: ['etcd'] }), ['etcd/ca', 'etcd/certs', 'etcd/start']);
  t.deepEqual(running({ only: ['etcd/certs', 'backup'] }), ['backup', 'etcd/certs']);
  t.deepEqual(running({ skip: ['etcd'] }), ['backup', 'control-plane/certs', 'workers/rejoin', 'workers/rejoin-check']);
  t.deepEqual(running({ from: 'etcd/certs' }), ['etcd/certs', 'etcd/start', 'control-plane/certs', 'workers/rejoin', 'workers/rejoin-check']);
  t.deepEqual(running({ from: 'etcd', skip: ['etcd/start'], only: ['etcd', 'workers/rejoin'] }), ['etcd/ca', 'etcd/certs', 'workers/rejoin']);
  t.is(selectPhases(ids, { from: 'workers' }).get('etcd/ca')?.reason, 'before --from workers');
});

test('a pattern that matches no phase is a usage error naming the phases', (t) => {
  const e = t.throws(() => selectPhases(ids, { only: ['etc'] }));
  t.is((e as { code?: string }).code, 'EUSAGE');
  t.regex(e!.message, /--only etc: no phase has this id; phases: backup, etcd\/ca/);
  t.throws(() => selectPhases(ids, { from: 'nope' }), { message: /--from nope/ });
});

test('a selection whose patterns each match but that selects no phase is a usage error listing the phases in order', (t) => {
  const e = t.throws(() => selectPhases(ids, { only: ['etcd'], from: 'control-plane' }));
  t.is((e as { code?: string }).code, 'EUSAGE');
  t.is(
    e!.message,
    '--from control-plane --only etcd: selects no phase; phases in order: backup, etcd/ca, etcd/certs, etcd/start, control-plane/certs, workers/rejoin, workers/rejoin-check',
  );
  t.throws(() => selectPhases(ids, { skip: ['backup', 'etcd', 'control-plane', 'workers'] }), { message: /selects no phase/ });
});

test('the runner skips unselected phases and journals why', async (t) => {
  const pb: Playbook = {
    name: 's',
    description: '',
    destructive: false,
    phases: ids.map((id) => ({
      id,
      title: id,
      hosts: (c) => c.hosts.slice(0, 1),
      strategy: { kind: 'serial' as const },
      async run(h) {
        await h.run(['do', id]);
      },
    })),
  };
  const fake = new FakeTransport();
  const events: any[] = [];
  const r = await runPlaybook({
    playbook: pb,
    inventory: fakeInventory(1, 0),
    transport: fake,
    options: {},
    dryRun: false,
    selection: { skip: ['workers'], from: 'etcd/start' },
    sinks: [(e) => events.push(e)],
  });
  t.is(r.exitCode, 0);
  t.deepEqual(fake.commandsOn('m1'), ['do etcd/start', 'do control-plane/certs']);
  t.deepEqual(
    events.filter((e) => e.kind === 'phase-skip').map((e) => `${e.phase}: ${e.reason}`),
    [
      'backup: before --from etcd/start',
      'etcd/ca: before --from etcd/start',
      'etcd/certs: before --from etcd/start',
      'workers/rejoin: --skip',
      'workers/rejoin-check: --skip',
    ],
  );
});

test('a guard (a safety check) runs whatever --only and --from say, and --skip of it is a usage error', (t) => {
  const guarded = ['facts/shape', ...ids];
  const run = (sel: Parameters<typeof selectPhases>[1]) => [...selectPhases(guarded, sel, ['facts/shape'])].filter(([, v]) => v.run).map(([k]) => k);
  t.deepEqual(run({ only: ['etcd/certs'] }), ['facts/shape', 'etcd/certs']);
  t.deepEqual(run({ from: 'workers' }), ['facts/shape', 'workers/rejoin', 'workers/rejoin-check']);
  t.deepEqual(run({ skip: ['backup'] }), ['facts/shape', ...ids.slice(1)]);
  for (const skip of ['facts/shape', 'facts']) {
    const e = t.throws(() => selectPhases(guarded, { skip: [skip] }, ['facts/shape']));
    t.is((e as { code?: string }).code, 'EUSAGE');
    t.regex(e!.message, new RegExp(`^--skip ${skip}: facts/shape is a safety check that always runs .* cannot be skipped`));
  }
  // a selection that picks nothing but the guard is still one that selects no phase the user asked for
  t.throws(() => selectPhases(guarded, { only: ['etcd'], from: 'control-plane' }, ['facts/shape']), { message: /selects no phase/ });
  // without guards nothing changes
  t.deepEqual(
    [...selectPhases(guarded, { only: ['etcd/certs'] })].filter(([, v]) => v.run).map(([k]) => k),
    ['etcd/certs'],
  );
});
