/** The plan: one versioned JSON artifact, built by the dry-run executor, deterministic per host. */
import test from 'ava';
import { buildPlan, countChanges, formatPlan, formatPlanSummary } from '../../lib/core/plan.js';
import hello from '../../playbooks/hello.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

test('plan JSON is versioned and lists each phase, host and command; nothing mutating is sent', async (t) => {
  const fake = new FakeTransport().on(/kubemend-hello/, (h) => ({ stdout: h.name === 'w2' ? 'w2\n' : '' }));
  const { plan, result } = await buildPlan({ playbook: hello, inventory: fakeInventory(2, 2), transport: fake, options: {}, selection: {} });
  t.is(result.exitCode, 0);
  const json = JSON.parse(JSON.stringify(plan));
  t.like(json, { kind: 'kubemend-plan', version: 1, playbook: 'hello', inventory: { file: '/tmp/fake-inventory.yaml', cluster: 'fake' } });
  t.deepEqual(
    json.phases.map((p: { id: string }) => p.id),
    ['hello/token', 'hello/masters', 'hello/workers'],
  );
  t.deepEqual(
    json.phases[1].hosts.map((h: { host: string }) => h.host),
    ['m1', 'm2'],
  );
  const w1 = json.phases[2].hosts.find((h: { host: string }) => h.host === 'w1');
  t.deepEqual(
    w1.steps.map((s: { step: string }) => s.step),
    ['fact', 'run', 'run'],
  );
  t.regex(w1.steps[2].command, /'<hello-token>'/);
  const w2 = json.phases[2].hosts.find((h: { host: string }) => h.host === 'w2');
  t.deepEqual(
    w2.steps.map((s: { step: string }) => s.step),
    ['fact', 'run'],
    'w2 already has its file: only the token is written',
  );
  t.is(countChanges(plan), 1 + 2 * 2 + 2 + 1);
  t.true(
    fake.calls.every((c) => c.command.startsWith("sh -c 'cat")),
    'only the fact reached the hosts',
  );
  t.regex(formatPlanSummary(plan), /hello\/workers +2 hosts, 3 changes, parallel, 20 at a time/);
  t.regex(formatPlan(plan), /\* run +sh -c/);
});

test('plan records why a phase is skipped and which hosts cannot be planned', async (t) => {
  const fake = new FakeTransport().on(/kubemend-hello/, { transportError: 'connect' }, 'w1');
  const { plan, result } = await buildPlan({
    playbook: hello,
    inventory: fakeInventory(1, 2),
    transport: fake,
    options: {},
    selection: { skip: ['hello/masters'] },
  });
  t.is(plan.phases.find((p) => p.id === 'hello/masters')?.skipped, '--skip');
  t.is(result.exitCode, 1);
  t.regex(plan.phases[2].hosts.find((h) => h.host === 'w1')!.error!, /connect/);
  t.deepEqual(
    plan.failures.map((f) => f.host),
    ['w1'],
  );
});
