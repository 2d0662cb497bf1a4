/**
 * Issue 19 through the real CLI over the fake transport (spec/cli/fixtures/fake-main.ts): a
 * `first: true` on m2 while the control-plane endpoint is m1's address makes `plan recover` and
 * `run recover --yes` exit 2 before anything changes, saying why and which master the endpoint
 * leads to; without `first:` the plan names m1 first and why.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAKE_MAIN, cli } from '../cli/run-cli.js';

/** A ClusterConfiguration whose controlPlaneEndpoint is fakeInventory's m1 (10.0.1.1). */
function config(): string {
  const text = readFileSync(fileURLToPath(new URL('../../inventory/kubeadm-config.yaml', import.meta.url)), 'utf8');
  const f = join(tempDir('/tmp/kubemend-first-cli-'), 'kubeadm-config.yaml');
  writeFileSync(f, text.replace(/controlPlaneEndpoint: .*/, 'controlPlaneEndpoint: 10.0.1.1:6443'));
  return f;
}

test('first: true on m2 with the endpoint at m1: plan and run exit 2, nothing changed, the reason and m1 named', async (t) => {
  const env = {
    FAKE_MASTERS: '3',
    FAKE_WORKERS: '1',
    FAKE_KUBEADM_CONFIG: config(),
    FAKE_FIRST: 'm2',
    FAKE_CALLS: join(tempDir('/tmp/kubemend-first-cli-'), 'calls.json'),
  };
  const plan = await cli(FAKE_MAIN, ['plan', 'recover', '-i', 'x', '--state-dir', tempDir('/tmp/kubemend-first-cli-')], { env });
  t.is(plan.code, 2, plan.stderr);
  t.regex(
    plan.stderr,
    /refused: .*facts\/endpoint: the inventory marks m2 `first: true`, but the control-plane endpoint 10\.0\.1\.1:6443 .*10\.0\.1\.1 is m1's address.*must be m1\. Remove `first: true` from m2 \(or put it on m1\); nothing was changed/s,
  );
  const run = await cli(FAKE_MAIN, ['run', 'recover', '-i', 'x', '--yes', '--state-dir', tempDir('/tmp/kubemend-first-cli-')], { env });
  t.is(run.code, 2, run.stderr);
  t.regex(run.stderr, /refused \(stopped at phase facts\/endpoint\), nothing was changed: .*must be m1/s);
  const calls = JSON.parse(readFileSync(env.FAKE_CALLS, 'utf8')) as Array<{ op: string; command: string }>;
  // kubeadm as a command (step 0's shape probe names /etc/kubernetes/kubeadm-config.yaml, a path it only tests for)
  t.false(
    calls.some((c) => c.op === 'upload' || /(^|[\s;&|(])kubeadm\s|crictl (stop|rm)|\bmv\b/.test(c.command)),
    'only reads reached the hosts',
  );
});

test('without first: the plan says m1 goes first and why', async (t) => {
  const env = { FAKE_MASTERS: '3', FAKE_WORKERS: '1', FAKE_KUBEADM_CONFIG: config() };
  const plan = await cli(FAKE_MAIN, ['plan', 'recover', '-i', 'x', '--state-dir', tempDir('/tmp/kubemend-first-cli-')], { env });
  t.is(plan.code, 0, plan.stderr);
  t.regex(
    plan.stdout,
    /first master: m1: the control-plane endpoint 10\.0\.1\.1:6443 \(the ClusterConfiguration's and the inventory's\): 10\.0\.1\.1 is m1's address: the other masters join through it/,
  );
});
