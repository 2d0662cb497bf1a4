/** Strategies: serial stops at the first failure, parallel honours concurrency, rolling batches, gates and failure budgets. */
import test from 'ava';
import { runPlaybook } from '../../lib/core/runner.js';
import type { StampedEvent } from '../../lib/core/events.js';
import { formatFailures } from '../../lib/core/errors.js';
import type { Playbook, Strategy } from '../../lib/core/types.js';
import type { Host } from '../../lib/inventory/types.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

/** A playbook with one phase over the workers that runs `work NAME` on each, then a second phase. */
function twoPhases(strategy: Strategy): Playbook {
  return {
    name: 't',
    description: 't',
    destructive: true,
    phases: [
      {
        id: 'workers/do',
        title: 'do',
        hosts: (c) => c.hosts.filter((h) => h.role === 'worker'),
        strategy,
        async run(h) {
          await h.run(['work', h.host.name]);
        },
      },
      {
        id: 'after',
        title: 'after',
        hosts: (c) => c.hosts,
        strategy: { kind: 'serial' },
        async run(h) {
          await h.run(['after', h.host.name]);
        },
      },
    ],
  };
}

async function go(pb: Playbook, fake: FakeTransport, workers = 6, concurrency = 20) {
  const events: StampedEvent[] = [];
  const inv = fakeInventory(0, workers);
  const r = await runPlaybook({ playbook: pb, inventory: inv, transport: fake, options: {}, dryRun: false, concurrency, sinks: [(e) => events.push(e)] });
  return { r, events, ran: fake.calls.filter((c) => c.command.startsWith('work ')).map((c) => c.command.slice(5)) };
}

test('serial runs one host at a time and stops at the first failure; the run stops before the next phase', async (t) => {
  const fake = new FakeTransport().on(/^work /, { delayMs: 5 }).on('work w3', { exitCode: 1, stderr: 'boom\nexploded' });
  const { r, ran } = await go(twoPhases({ kind: 'serial' }), fake);
  t.deepEqual(ran, ['w1', 'w2', 'w3']);
  t.is(fake.maxInFlight, 1);
  t.is(r.exitCode, 1);
  t.is(r.status, 'failed');
  t.is(r.stoppedAt, 'workers/do');
  t.false(fake.calls.some((c) => c.command.startsWith('after')));
  t.deepEqual(r.failures, [{ host: 'w3', phase: 'workers/do', error: 'work w3: exit 1: boom / exploded' }]);
  t.is(formatFailures(r.failures), 'failed on 1 host:\n - w3: workers/do: work w3: exit 1: boom / exploded');
});

test('parallel honours the concurrency cap (max in flight observed) and runs every host', async (t) => {
  const fake = new FakeTransport().on(/^work /, { delayMs: 20 });
  const { r, ran } = await go(twoPhases({ kind: 'parallel', concurrency: 10 }), fake, 12, 3);
  t.is(r.exitCode, 0);
  t.is(ran.length, 12);
  t.is(fake.maxInFlight, 3);
  const fake2 = new FakeTransport().on(/^work /, { delayMs: 20 });
  await go(twoPhases({ kind: 'parallel', concurrency: 2 }), fake2, 12, 20);
  t.is(fake2.maxInFlight, 2);
});

test('parallel: a failure beyond the budget starts no new host and stops the run', async (t) => {
  const fake = new FakeTransport().on(/^work /, { delayMs: 30 }).on('work w1', { exitCode: 2 });
  const { r, ran } = await go(twoPhases({ kind: 'parallel', concurrency: 2 }), fake, 8, 20);
  t.is(r.exitCode, 1);
  t.true(ran.length < 8, `ran ${ran.join(',')}`);
  t.false(fake.calls.some((c) => c.command.startsWith('after')));
});

test('rolling: batch sizes by number and by percentage, gate after each batch with the passed hosts', async (t) => {
  for (const [batch, expected] of [
    [2, [['w1', 'w2'], ['w3', 'w4'], ['w5']]],
    ['40%', [['w1', 'w2'], ['w3', 'w4'], ['w5']]],
    [
      '50%',
      [
        ['w1', 'w2', 'w3'],
        ['w4', 'w5'],
      ],
    ],
  ] as const) {
    const gates: string[][] = [];
    const fake = new FakeTransport();
    const { r, events } = await go(twoPhases({ kind: 'rolling', batch, gate: async (_c, b: Host[]) => void gates.push(b.map((h) => h.name)) }), fake, 5);
    t.is(r.exitCode, 0);
    const got = events.filter((e) => e.kind === 'batch').map((e) => (e as { hosts: string[] }).hosts);
    t.deepEqual(
      got,
      expected.map((b) => [...b]),
      `batch ${batch}`,
    );
    t.deepEqual(gates, got, 'gate called after each batch with its hosts');
    const order = events.filter((e) => e.kind === 'batch' || e.kind === 'gate' || (e.kind === 'host-start' && e.phase === 'workers/do')).map((e) => e.kind);
    t.deepEqual(order.slice(0, 4), ['batch', ...Array(got[0].length).fill('host-start'), 'gate'].slice(0, 4));
  }
});

test('rolling: maxUnavailable caps hosts worked on at once inside a batch', async (t) => {
  const fake = new FakeTransport().on(/^work /, { delayMs: 15 });
  const { r } = await go(twoPhases({ kind: 'rolling', batch: 6, maxUnavailable: 2 }), fake, 6);
  t.is(r.exitCode, 0);
  t.is(fake.maxInFlight, 2);
  const fake2 = new FakeTransport().on(/^work /, { delayMs: 15 });
  await go(twoPhases({ kind: 'rolling', batch: '50%' }), fake2, 6);
  t.is(fake2.maxInFlight, 3);
});

test('rolling: failures within budget leave the run and are reported; later phases skip them; the run ends failed', async (t) => {
  const fake = new FakeTransport().on('work w2', { exitCode: 1, stderr: 'join failed' });
  const { r } = await go(twoPhases({ kind: 'rolling', batch: 2, maxFailures: 1 }), fake, 6);
  t.deepEqual(fake.calls.filter((c) => c.command.startsWith('work')).length, 6, 'every worker was tried');
  t.deepEqual(
    fake.calls.filter((c) => c.command.startsWith('after')).map((c) => c.host),
    ['w1', 'w3', 'w4', 'w5', 'w6'],
  );
  t.is(r.exitCode, 1);
  t.is(r.stoppedAt, undefined);
  t.deepEqual(
    r.failures.map((f) => f.host),
    ['w2'],
  );
});

test('rolling: failure budget exceeded (number and percentage) stops after the batch, names the hosts, exit 1', async (t) => {
  for (const maxFailures of [1, '10%'] as const) {
    const fake = new FakeTransport().on(/^work w[24]$/, { exitCode: 1, stderr: 'kubelet-start failed' });
    const { r, ran } = await go(twoPhases({ kind: 'rolling', batch: 2, maxFailures }), fake, 10);
    t.deepEqual(ran, ['w1', 'w2', 'w3', 'w4'], `maxFailures ${maxFailures}`);
    t.is(r.exitCode, 1);
    t.is(r.stoppedAt, 'workers/do');
    t.is(
      formatFailures(r.failures),
      'failed on 2 hosts:\n - w2: workers/do: work w2: exit 1: kubelet-start failed\n - w4: workers/do: work w4: exit 1: kubelet-start failed',
    );
    t.false(fake.calls.some((c) => c.command.startsWith('after')));
  }
});

test('rolling: a gate reporting a host counts against the budget; a gate that throws stops the run', async (t) => {
  const fake = new FakeTransport();
  const { r } = await go(
    twoPhases({
      kind: 'rolling',
      batch: 2,
      maxFailures: 0,
      gate: async (_c, b) => (b.some((h) => h.name === 'w3') ? [{ host: 'w3', reason: 'node not Ready after 60s' }] : undefined),
    }),
    fake,
    6,
  );
  t.deepEqual(r.failures, [{ host: 'w3', phase: 'workers/do', error: 'gate: node not Ready after 60s' }]);
  t.is(r.stoppedAt, 'workers/do');
  const fake2 = new FakeTransport();
  const { r: r2, ran } = await go(
    twoPhases({
      kind: 'rolling',
      batch: 2,
      gate: async () => {
        throw new Error('apiserver unreachable');
      },
    }),
    fake2,
    6,
  );
  t.deepEqual(ran, ['w1', 'w2']);
  t.is(r2.exitCode, 1);
  t.regex(formatFailures(r2.failures), /workers\/do: gate: apiserver unreachable/);
});

test('a transport error is wrapped with host and phase once', async (t) => {
  const fake = new FakeTransport().on('work w1', { transportError: 'connect' });
  const { r } = await go(twoPhases({ kind: 'serial' }), fake, 2);
  t.is(r.failures[0].error, 'work w1: connect');
  t.is(formatFailures(r.failures), 'failed on 1 host:\n - w1: workers/do: work w1: connect');
});

test('a dry run plans rolling batches without calling the gate', async (t) => {
  let gates = 0;
  const events: StampedEvent[] = [];
  const r = await runPlaybook({
    playbook: twoPhases({ kind: 'rolling', batch: 2, gate: async () => void gates++ }),
    inventory: fakeInventory(0, 4),
    transport: new FakeTransport(),
    options: {},
    dryRun: true,
    sinks: [(e) => events.push(e)],
  });
  t.is(r.exitCode, 0);
  t.is(gates, 0);
  t.is(events.filter((e) => e.kind === 'batch').length, 2);
});
