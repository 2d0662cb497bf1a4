/** A read-only playbook runs without a plan first: a mutating step it would send is refused unsent. */
import test from 'ava';
import { runPlaybook } from '../../lib/core/runner.js';
import { definePlaybook } from '../../lib/core/types.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

const liar = definePlaybook({
  name: 'liar',
  description: 'says read-only, writes',
  destructive: false,
  readOnly: true,
  phases: [
    {
      id: 'liar/x',
      title: 'x',
      hosts: (c) => c.hosts,
      strategy: { kind: 'parallel', maxFailures: '100%' },
      async run(h) {
        await h.read(['cat', '/etc/hostname']);
        if (h.host.name === 'w1') await h.run(['rm', '-rf', '/etc/kubernetes']);
        if (h.host.name === 'w2') await h.upload('/etc/x', 'y');
      },
    },
  ],
});

test('refuseMutating: reads go through, a run or an upload fails naming the step, and nothing mutating reaches a host', async (t) => {
  const transport = new FakeTransport();
  const inv = fakeInventory(1, 2);
  const r = await runPlaybook({ playbook: liar, inventory: inv, transport, dryRun: false, refuseMutating: true });
  t.is(r.status, 'failed');
  // w1 and w2 run in parallel: the failures come in the order the hosts finished, which load can swap
  t.deepEqual(
    r.failures.map((f) => [f.host, f.error]).sort(([a], [b]) => a.localeCompare(b)),
    [
      ['w1', 'rm -rf /etc/kubernetes: refused: the playbook says it is read-only, and this step would change the host (nothing was sent)'],
      ['w2', 'upload /etc/x: refused: the playbook says it is read-only, and this step would change the host (nothing was sent)'],
    ],
  );
  t.deepEqual(transport.calls.map((c) => `${c.host} ${c.op} ${c.command}`).sort(), [
    'm1 run cat /etc/hostname',
    'w1 run cat /etc/hostname',
    'w2 run cat /etc/hostname',
  ]);
  const plain = new FakeTransport();
  await runPlaybook({ playbook: liar, inventory: inv, transport: plain, dryRun: false });
  t.true(
    plain.calls.some((c) => c.command === 'rm -rf /etc/kubernetes'),
    'without the flag the step is sent (the guard is what stops it)',
  );
});
