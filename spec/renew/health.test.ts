/**
 * renew/health without a lab (issue 19): each renewed master's apiserver is asked at the master's
 * own address (lib/kube/own-apiserver.ts), not through admin.conf's server, which is the
 * control-plane endpoint: a load balancer or another master would answer /readyz for a master
 * whose own apiserver is down.
 */
import test from 'ava';
import { runPlaybook } from '../../lib/core/runner.js';
import { definePlaybook } from '../../lib/core/types.js';
import type { StampedEvent } from '../../lib/core/events.js';
import { renewHealthPhase } from '../../playbooks/renew/health.js';
import { keepState, renewOptions } from '../../playbooks/renew/options.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

const HEALTHY = [1, 2, 3].map((i) => `https://10.0.0.${i}:2379 is healthy: successfully committed proposal: took = 2.1ms`).join('\n') + '\n';
const NODES = JSON.stringify({
  items: ['m1', 'm2', 'm3'].map((n) => ({ metadata: { name: n }, status: { conditions: [{ type: 'Ready', status: 'True' }] } })),
});

test("each master's apiserver is waited for at its own address; the endpoint answering does not count", async (t) => {
  let m2Tries = 0;
  const fake = new FakeTransport()
    .on(/endpoint health --cluster/, { stdout: HEALTHY }, 'm1')
    .on(/get nodes -o json/, { stdout: NODES }, 'm1')
    // through the endpoint (no --server), /readyz always answers ok
    .on(/get --raw \/readyz/, { exitCode: 0, stdout: 'ok' })
    // m2's own apiserver refuses twice, then is ready
    .on(
      /--server https:\/\/10\.0\.0\.2:6443 .*get --raw \/readyz/,
      () => (++m2Tries <= 2 ? { exitCode: 1, stderr: 'The connection to the server 10.0.0.2:6443 was refused' } : { exitCode: 0, stdout: 'ok' }),
      'm2',
    );
  const events: StampedEvent[] = [];
  const playbook = definePlaybook({
    name: 'renew-health-test',
    description: 'x',
    destructive: false,
    options: renewOptions,
    phases: [
      {
        id: 'renew/facts',
        title: 'state',
        scope: 'cluster',
        run: async (ctx) => {
          keepState(ctx, { mode: 'rolling', reason: 'test', etcdMembers: 3, before: {} });
        },
      },
      renewHealthPhase,
    ],
  });
  const inventory = fakeInventory(3, 0);
  inventory.hosts.forEach((h, i) => {
    (h as { address: string }).address = `10.0.0.${i + 1}`;
  });
  const r = await runPlaybook({ playbook, inventory, transport: fake, dryRun: false, options: { waitSeconds: 30 }, sinks: [(e) => events.push(e)] });
  t.is(r.status, 'done', JSON.stringify(r.failures));
  for (const [i, m] of ['m1', 'm2', 'm3'].entries()) {
    const readyz = fake.commandsOn(m).filter((c) => c.includes('/readyz'));
    t.true(readyz.length > 0, `${m} was asked`);
    t.true(
      readyz.every((c) => c.includes(`--server https://10.0.0.${i + 1}:6443`) && c.includes('--tls-server-name kubernetes')),
      `${m}: ${readyz[0]}`,
    );
  }
  t.is(m2Tries, 3, "m2's own apiserver was waited for until it answered");
});
