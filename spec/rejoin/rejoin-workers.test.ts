/** rejoin-workers against a lab cluster over real ssh, real kubectl as the witness (net 88). */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireRoot, sharedLab, type Lab } from '../helpers/lab.js';
import { MAIN, cli } from '../cli/run-cli.js';

const LAB = { masters: 1, workers: 3, net: 88, dir: '/tmp/h-recover-api/lab88' };
const exec = promisify(execFile);

async function kubectl(lab: Lab, args: string[]): Promise<any> {
  const r = await exec('/usr/bin/kubectl', ['--kubeconfig', join(lab.dir, 'admin.conf'), ...args, '-o', 'json'], { maxBuffer: 32 << 20 });
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
  const state = mkdtempSync('/tmp/h-recover-api/state-');
  const r = await cli(MAIN, ['run', 'rejoin-workers', '-i', lab.inventoryPath, '--yes', '--state-dir', state, '--batch-size', '1']);
  t.is(r.code, 0, r.stderr + r.stdout);
  t.regex(r.stdout, /w2 \| workers\/rejoin: skipped: kubelet cert chains to the current CA/);
  t.regex(r.stdout, /w3 \| workers\/rejoin: skipped/);
  t.notRegex(r.stdout, /w1 \| workers\/rejoin: skipped/);
  t.regex(r.stdout, /kube-controller-manager restored/);
  t.false((r.stdout + r.stderr).includes('--token ') && /--token [a-z0-9]{6}\.[a-z0-9]{16}/.test(r.stdout + r.stderr), 'no join token printed');
  const nodes = await kubectl(lab, ['get', 'nodes']);
  for (const n of nodes.items) t.true(n.status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True'), `${n.metadata.name} Ready`);
  const after = await workloadStarts(lab);
  t.deepEqual(after, before, 'no workload pod evicted or restarted');
  const kcm = await lab.exec('m1', ['grep', '-c', 'node-lifecycle', '/etc/kubernetes/manifests/kube-controller-manager.yaml']);
  t.is(kcm.stdout.trim(), '0', 'controller-manager manifest restored');
});

test.serial('rolling with sshd stopped on w3 and budget 1: the others finish, exit 1 naming w3', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await sharedLab(LAB);
  t.is((await lab.lab(['fault', 'sshd-stop', 'w3'])).code, 0);
  try {
    const state = mkdtempSync('/tmp/h-recover-api/state-');
    const r = await cli(MAIN, ['run', 'rejoin-workers', '-i', lab.inventoryPath, '--yes', '--state-dir', state, '--batch-size', '2', '--max-failures', '1']);
    t.is(r.code, 1, r.stdout + r.stderr);
    t.regex(r.stdout + r.stderr, /w3: /);
    t.regex(r.stdout, /w1 \| workers\/rejoin: ok/);
    t.regex(r.stdout, /w2 \| workers\/rejoin: ok/);
  } finally {
    await lab.lab(['fault', 'sshd-start', 'w3']);
  }
});
