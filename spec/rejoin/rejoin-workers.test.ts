/** rejoin-workers against a lab cluster over real ssh, real kubectl as the witness (net 88). */
import test from 'ava';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readJournal } from '../../lib/core/journal.js';
import { downSharedLab, type Lab, requireRoot, sharedLab } from '../helpers/lab.js';
import { MAIN, cli } from '../cli/run-cli.js';
import { KUBECTL } from '../lab/cluster/kube.js';

const LAB = { masters: 1, workers: 3, net: 88, dir: '/tmp/h-recover-api/lab88' };

test.after.always(async () => {
  await downSharedLab(LAB);
});
const exec = promisify(execFile);

async function kubectl(lab: Lab, args: string[]): Promise<any> {
  const r = await exec(KUBECTL, ['--kubeconfig', join(lab.dir, 'admin.conf'), ...args, '-o', 'json'], { maxBuffer: 32 << 20 });
  return JSON.parse(r.stdout);
}

/** uid -> startedAt of every workload pod on a worker. */
async function workloadStarts(lab: Lab): Promise<Map<string, string>> {
  const pods = await kubectl(lab, ['get', 'pods', '-A']);
  const out = new Map<string, string>();
  for (const p of pods.items) {
    if (!String(p.spec.nodeName ?? '').startsWith('w') || p.metadata.namespace === 'kube-system') continue;
    out.set(`${p.metadata.namespace}/${p.metadata.name}`, p.status.containerStatuses?.[0]?.state?.running?.startedAt ?? 'not running');
  }
  return out;
}

test.serial('after break worker-pki: the broken worker comes back Ready, healthy ones are skipped, workload pods keep their start time', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await sharedLab(LAB);
  const broke = await lab.lab(['break', 'worker-pki']);
  t.is(broke.code, 0, broke.stderr);
  const before = await workloadStarts(lab);
  t.true(before.size >= 3);
  const state = tempDir('/tmp/h-recover-api/state-');
  const r = await cli(MAIN, ['run', 'rejoin-workers', '-i', lab.inventoryPath, '--yes', '--state-dir', state, '--batch-size', '1']);
  t.is(r.code, 0, r.stderr + r.stdout);
  t.regex(r.stdout, /w2 \| workers\/rejoin: skipped: kubelet cert chains to the current CA/);
  t.regex(r.stdout, /w3 \| workers\/rejoin: skipped/);
  t.notRegex(r.stdout, /w1 \| workers\/rejoin: skipped/);
  t.regex(r.stdout, /kube-controller-manager restored/);
  t.false((r.stdout + r.stderr).includes('--token ') && /--token [a-z0-9]{6}\.[a-z0-9]{16}/.test(r.stdout + r.stderr), 'no join token printed');
  const nodes = await kubectl(lab, ['get', 'nodes']);
  for (const n of nodes.items)
    t.true(
      n.status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True'),
      `${n.metadata.name} Ready`,
    );
  const after = await workloadStarts(lab);
  t.deepEqual(after, before, 'no workload pod evicted or restarted');
  const kcm = await lab.exec('m1', ['grep', '-c', 'node-lifecycle', '/etc/kubernetes/manifests/kube-controller-manager.yaml']);
  t.is(kcm.stdout.trim(), '0', 'controller-manager manifest restored');
});

/**
 * Every worker broken (so each batch does real work), then rejoin-workers one at a time; the
 * moment w1's batch is done, sshd is killed on `victim` with its sessions (kubemend's open
 * connection included: a plain listener stop would leave that one working). sshd is started
 * again before this returns.
 */
async function rollWithSshdKilled(t: any, lab: Lab, victim: string, maxFailures: string) {
  t.is((await lab.lab(['break', 'worker-pki', '--hosts', 'w1,w2,w3'])).code, 0);
  const state = tempDir('/tmp/h-recover-api/state-');
  let stopped: Promise<unknown> | undefined;
  try {
    const r = await cli(
      MAIN,
      ['run', 'rejoin-workers', '-i', lab.inventoryPath, '--yes', '--state-dir', state, '--batch-size', '1', '--max-failures', maxFailures],
      {
        onStdout: (text) => {
          if (!stopped && /w1 \| workers\/rejoin: ok/.test(text)) stopped = lab.lab(['fault', 'kill', victim, 'sshd']);
        },
      },
    );
    await stopped;
    t.truthy(stopped, 'sshd was stopped mid-run');
    t.is(r.code, 1, r.stdout + r.stderr);
    t.regex(r.stdout + r.stderr, new RegExp(`${victim}: workers/rejoin: `), `the failure names ${victim} and the phase`);
    return { r, state, runId: readdirSync(state)[0] };
  } finally {
    await lab.lab(['fault', 'sshd-start', victim]);
  }
}

/** Every Node of the lab Ready (real kubectl). */
async function assertAllReady(t: any, lab: Lab): Promise<void> {
  const nodes = await kubectl(lab, ['get', 'nodes']);
  for (const n of nodes.items)
    t.true(
      n.status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True'),
      `${n.metadata.name} Ready`,
    );
}

test.serial(
  'sshd stopped on w3 in the middle of the rolling rejoin: w1 and w2 finish, exit 1 naming w3; after sshd is back, resume completes w3 and skips what was done',
  async (t) => {
    if (!requireRoot(t)) return;
    const lab = await sharedLab(LAB);
    const { r, state, runId } = await rollWithSshdKilled(t, lab, 'w3', '1');
    t.regex(r.stdout, /w1 \| workers\/rejoin: ok/);
    t.regex(r.stdout, /w2 \| workers\/rejoin: ok/);
    const again = await cli(MAIN, ['resume', runId, '--state-dir', state, '--yes']);
    t.is(again.code, 0, again.stdout + again.stderr);
    t.regex(again.stdout, /w3 \| workers\/rejoin: ok/);
    t.notRegex(again.stdout, /w[12] \| workers\/rejoin: ok/, 'w1 and w2 are not rejoined again');
    await assertAllReady(t, lab);
  },
);

test.serial(
  'failure budget: with --max-failures 0, sshd killed on w2 as its batch comes stops the rolling rejoin there: w3 never started, exit 1; resume finishes',
  async (t) => {
    if (!requireRoot(t)) return;
    const lab = await sharedLab(LAB);
    const { r, state, runId } = await rollWithSshdKilled(t, lab, 'w2', '0');
    t.regex(r.stderr, /run stopped at phase workers\/rejoin/, 'the budget stopped the run');
    t.notRegex(r.stdout, /w3 \| workers\/rejoin: ok/, 'w3 was not rejoined');
    const events = readJournal(join(state, runId, 'journal.jsonl'));
    t.false(
      events.some((e) => e.kind === 'host-start' && e.phase === 'workers/rejoin' && e.host === 'w3'),
      'w3 never started: the budget was spent',
    );
    const again = await cli(MAIN, ['resume', runId, '--state-dir', state, '--yes']);
    t.is(again.code, 0, again.stdout + again.stderr);
    t.regex(again.stdout, /w2 \| workers\/rejoin: ok/);
    t.regex(again.stdout, /w3 \| workers\/rejoin: ok/);
    await assertAllReady(t, lab);
  },
);
