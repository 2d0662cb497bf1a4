/**
 * recover's step 0: where the cluster's ClusterConfiguration comes from, in order (the inventory's
 * kubeadmConfig, the newest kubemend backup in the state dir, the cluster's kubeadm-config
 * ConfigMap), and a stop that changes nothing when there is none. Planned against the fake transport.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPlan } from '../../lib/core/plan.js';
import { parseOptions } from '../../lib/core/options.js';
import recover from '../../playbooks/recover.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

const CONFIG = fileURLToPath(new URL('../../inventory/kubeadm-config.yaml', import.meta.url));
const text = readFileSync(CONFIG, 'utf8');
const KUBEADM_CM = /get configmap kubeadm-config/;

/** Plan recover; returns the notes of backup/config, the failures and what reached the hosts. */
async function plan(opts: { kubeadmConfig?: string; stateDir?: string; cluster?: string }) {
  const fake = new FakeTransport();
  fake.on(KUBEADM_CM, opts.cluster ? { stdout: opts.cluster } : { exitCode: 1, stderr: 'The connection to the server 10.0.1.1:6443 was refused' });
  const inv = { ...fakeInventory(3, 2), ...(opts.kubeadmConfig ? { kubeadmConfig: opts.kubeadmConfig } : {}) };
  const { plan, result } = await buildPlan({ playbook: recover, inventory: inv, transport: fake, options: parseOptions(recover.options, {}, 'recover'), stateDir: opts.stateDir ?? mkdtempSync('/tmp/kubemend-cfg-empty-') });
  const notes = plan.phases.find((p) => p.id === 'backup/config')?.notes ?? [];
  return { notes: notes.join('\n'), result, fake, plan };
}

/** A state dir with kubemend backups holding a saved config, the newest one with `clusterName: newest`. */
function stateWithBackups(): string {
  const dir = mkdtempSync('/tmp/kubemend-cfg-state-');
  const runs: Array<[string, string, number]> = [['20260101-000000-aaaa', 'older', 1_000], ['20260102-000000-bbbb', 'newest', 2_000]];
  for (const [run, name, t] of runs) {
    mkdirSync(join(dir, run, 'backups'), { recursive: true });
    const f = join(dir, run, 'backups', 'kubeadm-config.yaml');
    writeFileSync(f, text.replace(/clusterName: .*/, `clusterName: ${name}`));
    utimesSync(f, t, t);
  }
  return dir;
}

test("the inventory's kubeadmConfig comes first, even when backups exist and the cluster answers", async (t) => {
  const r = await plan({ kubeadmConfig: CONFIG, stateDir: stateWithBackups(), cluster: text });
  t.is(r.result.exitCode, 0, JSON.stringify(r.result.failures));
  t.regex(r.notes, new RegExp(`from inventory kubeadmConfig ${CONFIG}`));
  t.false(r.fake.calls.some((c) => KUBEADM_CM.test(c.command)), 'the cluster was not asked');
});

test('without one in the inventory, the newest kubemend backup in the state dir is used', async (t) => {
  const state = stateWithBackups();
  const r = await plan({ stateDir: state, cluster: text });
  t.is(r.result.exitCode, 0, JSON.stringify(r.result.failures));
  t.regex(r.notes, new RegExp(`from kubemend backup ${state}/20260102-000000-bbbb/backups/kubeadm-config.yaml`));
});

test('without inventory config or backup, the kubeadm-config ConfigMap of a cluster that still answers', async (t) => {
  const r = await plan({ cluster: text });
  t.is(r.result.exitCode, 0, JSON.stringify(r.result.failures));
  t.regex(r.notes, /from configmap kube-system\/kubeadm-config \(read on m1\)/);
});

test('with none of them the run stops at step 0, says how to provide one, and nothing reaches a host but reads', async (t) => {
  const r = await plan({});
  t.is(r.result.exitCode, 1);
  t.is(r.result.stoppedAt, 'backup/config');
  const msg = JSON.stringify(r.result.failures);
  t.regex(msg, /no kubeadm ClusterConfiguration/);
  t.regex(msg, /kubeadmConfig: FILE/);
  t.regex(msg, /Nothing was changed/);
  // only the read-only kubectl probes of each master were sent: no phase after step 0 planned anything
  t.deepEqual([...new Set(r.fake.calls.map((c) => c.host))].sort(), ['m1', 'm2', 'm3']);
  t.true(r.fake.calls.every((c) => c.op === 'run' && KUBEADM_CM.test(c.command)), r.fake.calls.map((c) => c.command).join('\n'));
});
