/** recover's rolling options: batch size, max unavailable and failure budget as numbers or percentages, shown in the plan. */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.js';
import { buildPlan, formatPlanSummary } from '../../lib/core/plan.js';
import { parseOptions } from '../../lib/core/options.js';
import recover from '../../playbooks/recover.js';
import rejoinWorkers from '../../playbooks/rejoin-workers.js';
import { batchReadySeconds } from '../../playbooks/shared/workers-rejoin.js';
import { samplePods, steadyPodsRow } from '../../playbooks/recover/proof-steady.js';
import type { RecoverOptions } from '../../playbooks/recover/common.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

test('batch size, max unavailable and max failures reach the rolling worker rejoin', async (t) => {
  const options = parseOptions<RecoverOptions>(recover.options, { batchSize: '50%', maxUnavailable: '2', maxFailures: '25%' }, 'recover');
  const inv = { ...fakeInventory(3, 8), kubeadmConfig: fileURLToPath(new URL('../../inventory/kubeadm-config.yaml', import.meta.url)) };
  const { plan, result } = await buildPlan({
    playbook: recover,
    inventory: inv,
    transport: new FakeTransport(),
    options,
    stateDir: tempDir('/tmp/kubemend-opt-'),
  });
  t.is(result.exitCode, 0, JSON.stringify(result.failures));
  const line =
    formatPlanSummary(plan)
      .split('\n')
      .find((l) => l.includes('workers/rejoin')) ?? '';
  t.regex(line, /rolling, batches of 50%, max unavailable 2, max failures 25%/);
});

test('a budget that is neither a number nor a percentage is refused, naming the option', (t) => {
  t.throws(() => parseOptions(recover.options, { maxUnavailable: 'half' }, 'recover'), { message: /maxUnavailable|max-unavailable/ });
  t.throws(() => parseOptions(recover.options, { batchSize: -1 }, 'recover'), { message: /batchSize|batch-size/ });
});

test("recover's --wait-seconds reaches the rolling rejoin's wait for each batch's Nodes (it read an option recover does not have, and waited 180 s whatever was asked)", (t) => {
  t.is(batchReadySeconds(parseOptions(recover.options, { waitSeconds: 900 }, 'recover')), 900);
  t.is(batchReadySeconds(parseOptions(recover.options, {}, 'recover')), 300, "recover's default wait");
  t.is(batchReadySeconds(parseOptions(rejoinWorkers.options, {}, 'rejoin-workers')), 180, "rejoin-workers' own --ready-timeout default");
  t.is(batchReadySeconds(parseOptions(rejoinWorkers.options, { readyTimeout: 42 }, 'rejoin-workers')), 42);
});

test("--proof-seconds is the proof's steady window: 30 s by default, 0 is one look, refused outside 0-3600 naming the option", async (t) => {
  t.is(parseOptions<RecoverOptions>(recover.options, {}, 'recover').proofSeconds, 30);
  t.is(parseOptions<RecoverOptions>(recover.options, { proofSeconds: 0 }, 'recover').proofSeconds, 0);
  for (const bad of [-1, 3601, 1.5]) t.throws(() => parseOptions(recover.options, { proofSeconds: bad }, 'recover'), { message: /proofSeconds|proof-seconds/ });
  let looks = 0;
  const samples = await samplePods(
    async () => (looks++, []),
    0,
    3000,
    async () => t.fail('a 0 s window does not wait'),
  );
  t.is(looks, 1, 'one look');
  t.is(steadyPodsRow(samples, 0).check, 'workload pods stay Ready for 0 s');
});
