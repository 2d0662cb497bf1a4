/** recover's rolling options: batch size, max unavailable and failure budget as numbers or percentages, shown in the plan. */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import { buildPlan, formatPlanSummary } from '../../lib/core/plan.js';
import { parseOptions } from '../../lib/core/options.js';
import recover from '../../playbooks/recover.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

test('batch size, max unavailable and max failures reach the rolling worker rejoin', async (t) => {
  const options = parseOptions(recover.options, { batchSize: '50%', maxUnavailable: '2', maxFailures: '25%' }, 'recover');
  const inv = { ...fakeInventory(3, 8), kubeadmConfig: fileURLToPath(new URL('../../inventory/kubeadm-config.yaml', import.meta.url)) };
  const { plan, result } = await buildPlan({ playbook: recover, inventory: inv, transport: new FakeTransport(), options, stateDir: mkdtempSync('/tmp/kubemend-opt-') });
  t.is(result.exitCode, 0, JSON.stringify(result.failures));
  const line = formatPlanSummary(plan).split('\n').find((l) => l.includes('workers/rejoin')) ?? '';
  t.regex(line, /rolling, batches of 50%, max unavailable 2, max failures 25%/);
});

test('a budget that is neither a number nor a percentage is refused, naming the option', (t) => {
  t.throws(() => parseOptions(recover.options, { maxUnavailable: 'half' }, 'recover'), { message: /maxUnavailable|max-unavailable/ });
  t.throws(() => parseOptions(recover.options, { batchSize: -1 }, 'recover'), { message: /batchSize|batch-size/ });
});
