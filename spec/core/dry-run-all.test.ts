/**
 * EVERY registered playbook, in dry run, against the fake transport: no mutating command may
 * reach a host. The fake answers reads and facts plausibly (exit 0, empty output, unless a row
 * below says otherwise). Add rows here when a new playbook needs specific fact output to plan.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { buildPlan } from '../../lib/core/plan.js';
import { parseOptions } from '../../lib/core/options.js';
import { listPlaybooks } from '../../playbooks/index.js';
import { FakeTransport, type FakeRule, fakeInventory } from '../helpers/fake-transport.js';

/** Plausible answers for read-only probes of a healthy-looking kubeadm host. */
const rows: FakeRule[] = [
  { command: /^hostname$/, answer: (h) => ({ stdout: `${h.name}\n` }) },
  { command: /^systemctl is-active/, answer: { stdout: 'active\n' } },
];

const playbooks = listPlaybooks();
/** Options a playbook cannot plan without (prune must be told what to remove). */
const NEEDED: Record<string, Record<string, unknown>> = { prune: { keep: 0 } };

test('the registry lists playbooks with unique names', (t) => {
  t.true(playbooks.length >= 2);
  t.is(new Set(playbooks.map((p) => p.name)).size, playbooks.length);
});

for (const pb of playbooks) {
  test(`dry run of ${pb.name} sends nothing mutating to any host`, async (t) => {
    const fake = new FakeTransport([...rows]);
    // every command a playbook sends during a dry run must come from a read, fact or download
    // the cluster's own ClusterConfiguration, as an operator gives it (recover refuses to plan without one)
    const inv = { ...fakeInventory(3, 4), kubeadmConfig: fileURLToPath(new URL('../../inventory/kubeadm-config.yaml', import.meta.url)) };
    const readOnly = new Set<string>();
    const { plan, result } = await buildPlan({
      playbook: pb,
      inventory: inv,
      transport: fake,
      options: parseOptions(pb.options, NEEDED[pb.name] ?? {}, pb.name),
      sinks: [
        (e) => {
          if (e.kind === 'command' && (e.step === 'read' || e.step === 'fact' || e.step === 'download')) readOnly.add(`${e.host}\0${e.command}`);
        },
      ],
    });
    t.is(result.exitCode, 0, `dry run failed: ${JSON.stringify(result.failures)}`);
    t.false(
      fake.calls.some((c) => c.op === 'upload'),
      'an upload reached a host',
    );
    const sent = fake.calls.filter((c) => c.op === 'run');
    for (const c of sent) t.true(readOnly.has(`${c.host}\0${c.command}`), `${c.host}: mutating command reached the host: ${c.command}`);
    t.true(plan.phases.length > 0);
    t.pass();
  });
}
