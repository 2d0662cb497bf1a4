/**
 * recover's step 0: where the cluster's ClusterConfiguration comes from, in order (the inventory's
 * kubeadmConfig, the newest kubemend backup in the state dir, the cluster's kubeadm-config
 * ConfigMap), and a stop that changes nothing when there is none. Planned against the fake transport.
 */
import test from 'ava';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPlan } from '../../lib/core/plan.js';
import { parseOptions } from '../../lib/core/options.js';
import recover from '../../playbooks/recover.js';
import { runPlaybook } from '../../lib/core/runner.js';
import { newestSavedConfig } from '../../playbooks/recover/00-config.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

const CONFIG = fileURLToPath(new URL('../../inventory/kubeadm-config.yaml', import.meta.url));
const text = readFileSync(CONFIG, 'utf8');
const KUBEADM_CM = /get configmap kubeadm-config/;
/** What an attacker holding the old CA could have written into the ConfigMap (v1beta4 extraArgs). */
const planted = text.replace(/apiServer:\n/, 'apiServer:\n  extraArgs:\n    - name: authorization-mode\n      value: AlwaysAllow\n');

/** Plan recover; returns the notes of facts/config, the failures and what reached the hosts. */
async function plan(opts: { kubeadmConfig?: string; stateDir?: string; cluster?: string; replaceCa?: boolean }) {
  const fake = new FakeTransport();
  // the backups' endpoints (NAME.example) resolve on the masters to m1 (step 0 follows where they lead)
  fake.on(/^getent ahosts /, { stdout: '10.0.1.1        STREAM x.example\n10.0.1.1        DGRAM\n' });
  fake.on(KUBEADM_CM, opts.cluster ? { stdout: opts.cluster } : { exitCode: 1, stderr: 'The connection to the server 10.0.1.1:6443 was refused' });
  const inv = { ...fakeInventory(3, 2), ...(opts.kubeadmConfig ? { kubeadmConfig: opts.kubeadmConfig } : {}) };
  const { plan, result } = await buildPlan({
    playbook: recover,
    inventory: inv,
    transport: fake,
    options: parseOptions(recover.options, opts.replaceCa ? { replaceCa: true } : {}, 'recover'),
    stateDir: opts.stateDir ?? tempDir('/tmp/kubemend-cfg-empty-'),
  });
  const notes = plan.phases.find((p) => p.id === 'facts/config')?.notes ?? [];
  return { notes: notes.join('\n'), result, fake, plan };
}

/**
 * A state dir with kubemend backups holding a saved config: of this cluster (`fake`) an older and
 * the newest one (`clusterName: newest`); newer still, one of another cluster and one saved
 * before configs recorded their cluster: neither may ever be used.
 */
function stateWithBackups(): string {
  const dir = tempDir('/tmp/kubemend-cfg-state-');
  const runs: Array<[string, string, string | undefined, number]> = [
    ['20260101-000000-aaaa', 'older', 'fake', 1_000],
    ['20260102-000000-bbbb', 'newest', 'fake', 2_000],
    ['20260103-000000-cccc', 'other-cluster', 'prod-eu', 3_000],
    ['20260104-000000-dddd', 'unrecorded', undefined, 4_000],
  ];
  for (const [run, name, cluster, t] of runs) {
    mkdirSync(join(dir, run, 'backups'), { recursive: true });
    const f = join(dir, run, 'backups', 'kubeadm-config.yaml');
    writeFileSync(f, text.replace(/clusterName: .*/, `clusterName: ${name}`).replace(/controlPlaneEndpoint: .*/, `controlPlaneEndpoint: ${name}.example:6443`));
    if (cluster)
      writeFileSync(join(dir, run, 'backups', 'kubeadm-config.source.json'), JSON.stringify({ cluster, source: 'test', savedAt: '2026-01-01T00:00:00Z' }));
    utimesSync(f, t, t);
  }
  return dir;
}

test("the inventory's kubeadmConfig comes first, even when backups exist and the cluster answers", async (t) => {
  const r = await plan({ kubeadmConfig: CONFIG, stateDir: stateWithBackups(), cluster: text });
  t.is(r.result.exitCode, 0, JSON.stringify(r.result.failures));
  t.regex(r.notes, new RegExp(`from inventory kubeadmConfig ${CONFIG}`));
  t.false(
    r.fake.calls.some((c) => KUBEADM_CM.test(c.command)),
    'the cluster was not asked',
  );
});

test('without one in the inventory, the newest kubemend backup of this cluster is used, never one of another cluster', async (t) => {
  const state = stateWithBackups();
  const r = await plan({ stateDir: state, cluster: text });
  t.is(r.result.exitCode, 0, JSON.stringify(r.result.failures));
  t.regex(r.notes, new RegExp(`from kubemend backup ${state}/20260102-000000-bbbb/backups/kubeadm-config.yaml`));
  t.deepEqual(newestSavedConfig(state, 'prod-eu'), join(state, '20260103-000000-cccc/backups/kubeadm-config.yaml'));
  t.is(newestSavedConfig(state, 'staging'), undefined, 'no backup of that cluster: none, not the newest of another');
});

test("a config saved by another cluster's run is never used, even when it is the only one", async (t) => {
  const dir = tempDir('/tmp/kubemend-cfg-other-');
  mkdirSync(join(dir, 'r1', 'backups'), { recursive: true });
  writeFileSync(join(dir, 'r1', 'backups', 'kubeadm-config.yaml'), text);
  writeFileSync(join(dir, 'r1', 'backups', 'kubeadm-config.source.json'), JSON.stringify({ cluster: 'prod-eu', source: 'x', savedAt: 'y' }));
  const r = await plan({ stateDir: dir });
  t.is(r.result.stoppedAt, 'facts/config');
  t.regex(JSON.stringify(r.result.failures), /no kubemend backup of this cluster holds one/);
});

test("--replace-ca: the inventory's file is used as it is; a backup of the cluster is never used instead", async (t) => {
  const withInv = await plan({ kubeadmConfig: CONFIG, stateDir: stateWithBackups(), replaceCa: true });
  t.is(withInv.result.exitCode, 0, JSON.stringify(withInv.result.failures));
  t.regex(withInv.notes, new RegExp(`from inventory kubeadmConfig ${CONFIG}`));
  t.notRegex(withInv.notes, /replaced/);
  const state = stateWithBackups();
  const noInv = await plan({ stateDir: state, replaceCa: true, cluster: planted });
  t.is(noInv.result.exitCode, 0, JSON.stringify(noInv.result.failures));
  t.regex(noInv.notes, /from configmap kube-system\/kubeadm-config \(read on m1\)/, 'the backup is compared with, not used');
  t.regex(noInv.notes, /--replace-ca: the ClusterConfiguration comes from the cluster being replaced/);
  t.regex(noInv.notes, new RegExp(`differences from the backup ${state}/20260102-000000-bbbb/backups/kubeadm-config.yaml`));
  t.regex(noInv.notes, /controlPlaneEndpoint: "newest.example:6443" -> /);
  t.regex(noInv.notes, /apiServer.extraArgs.authorization-mode: \(absent\) -> AlwaysAllow/);
  t.regex(noInv.notes, /the run will ask to accept it on the terminal \(no --yes bypass\)/);
});

test('--replace-ca in a real run with a config read from the cluster: refused without a terminal (no --yes bypass), asked with one', async (t) => {
  const cluster = planted;
  const run = async (ask?: (q: string) => Promise<boolean>) => {
    const fake = new FakeTransport();
    fake.on(KUBEADM_CM, { stdout: cluster });
    const runDir = tempDir('/tmp/kubemend-cfg-run-');
    const questions: string[] = [];
    const res = await runPlaybook({
      playbook: { ...recover, phases: recover.phases.slice(0, 2) },
      inventory: fakeInventory(3, 2),
      transport: fake,
      dryRun: false,
      runDir, // phases facts/shape, facts/config
      stateDir: stateWithBackups(),
      options: parseOptions(recover.options, { replaceCa: true }, 'recover'),
      ...(ask
        ? {
            ask: async (q: string) => {
              questions.push(q);
              return ask(q);
            },
          }
        : {}),
    });
    return { res, questions, runDir };
  };
  const none = await run();
  t.is(none.res.exitCode, 1);
  t.regex(JSON.stringify(none.res.failures), /cannot be accepted without a terminal \(--yes does not accept it/);
  t.false(existsSync(join(none.runDir, 'backups', 'kubeadm-config.yaml')), 'nothing saved');
  const no = await run(async () => false);
  t.is(no.res.exitCode, 1);
  t.regex(no.questions[0], /Rebuild every master of fake with a new CA from this ClusterConfiguration/);
  t.regex(JSON.stringify(no.res.failures), /was not accepted; nothing was changed/);
  const yes = await run(async () => true);
  t.is(yes.res.exitCode, 0, JSON.stringify(yes.res.failures));
  t.regex(readFileSync(join(yes.runDir, 'backups', 'kubeadm-config.yaml'), 'utf8'), /AlwaysAllow/);
  t.is(JSON.parse(readFileSync(join(yes.runDir, 'backups', 'kubeadm-config.source.json'), 'utf8')).cluster, 'fake');
});

test('without inventory config or backup, the kubeadm-config ConfigMap of a cluster that still answers', async (t) => {
  const r = await plan({ cluster: text });
  t.is(r.result.exitCode, 0, JSON.stringify(r.result.failures));
  t.regex(r.notes, /from configmap kube-system\/kubeadm-config \(read on m1\)/);
});

test('with none of them the run stops at step 0, says how to provide one, and nothing reaches a host but reads', async (t) => {
  const r = await plan({});
  t.is(r.result.exitCode, 1);
  t.is(r.result.stoppedAt, 'facts/config');
  const msg = JSON.stringify(r.result.failures);
  t.regex(msg, /no kubeadm ClusterConfiguration/);
  t.regex(msg, /kubeadmConfig: FILE/);
  t.regex(msg, /Nothing was changed/);
  // only the layout probe of every host and the read-only kubectl probes of each master were sent: no phase after step 0 planned anything
  const SHAPE = /\/etc\/ssl\/etcd\/ssl/;
  t.deepEqual([...new Set(r.fake.calls.filter((c) => !SHAPE.test(c.command)).map((c) => c.host))].sort(), ['m1', 'm2', 'm3']);
  t.true(
    r.fake.calls.every((c) => c.op === 'run' && (SHAPE.test(c.command) || KUBEADM_CM.test(c.command) || /pgrep -x etcd/.test(c.command))),
    r.fake.calls.map((c) => c.command).join('\n'),
  );
});
