/**
 * The lab cluster end to end (net 81): `scripts/lab up` gives a healthy 3+3 (real kubectl: every
 * Node Ready; `status --json` healthy and identical across a no-op); `break pki-wipe` breaks it
 * for the real reason; the article's commands (spec/lab/solve-by-hand.sh, no kubemend) bring it
 * back: every Node Ready, every cert chains to one NEW CA, etcd kept its data (the marker);
 * `scripts/lab down` leaves nothing behind.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { labDir, requireRoot, sharedLab, type Lab } from '../helpers/lab.js';
import { KUBECTL } from './cluster/kube.js';

const run = promisify(execFile);
const DIR = labDir('/tmp/h-labcluster/solvability-net81');
const SOLVE = new URL('./solve-by-hand.sh', import.meta.url).pathname;
let lab: Lab | undefined;

async function status(l: Lab) {
  const r = await l.lab(['status', '--json']);
  return { code: r.code, json: r.stdout, s: JSON.parse(r.stdout) };
}

test.serial('scripts/lab up: a healthy 3+3 where real kubectl shows every Node Ready; status --json is stable', async (t) => {
  if (!requireRoot(t)) return;
  lab = await sharedLab({ masters: 3, workers: 3, net: 81, dir: DIR });
  const { stdout } = await run(KUBECTL, ['--kubeconfig', `${DIR}/admin.conf`, 'get', 'nodes', '--no-headers'], { maxBuffer: 8 << 20 });
  t.deepEqual(
    stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/).slice(0, 2).join(' '))
      .sort(),
    ['m1 Ready', 'm2 Ready', 'm3 Ready', 'w1 Ready', 'w2 Ready', 'w3 Ready'],
  );
  const a = await status(lab);
  t.is(a.code, 0, a.s.problems?.join('\n'));
  t.true(a.s.healthy);
  t.is(Object.values(a.s.etcd).filter((v) => v === 'healthy').length, 3);
  // kube-proxy on 6 nodes, 2 CoreDNS, apps: web 2, agent 3, batch 2, sa-probe 3, plain 3, static 2
  t.is(Object.keys(a.s.workloads).length, 23, Object.keys(a.s.workloads).join(' '));
  t.true(Object.values(a.s.workloads).every((w: any) => w.ready));
  t.deepEqual(Object.values(a.s.cas).sort(), ['etcd-ca', 'front-proxy-ca', 'kubernetes']);
  const b = await status(lab);
  t.is(b.json, a.json, 'status --json identical before and after a no-op');
});

test.serial("pki-wipe, then the article's commands by hand: every Node Ready, one new CA everywhere, etcd data kept", async (t) => {
  if (!requireRoot(t)) return;
  lab ??= await sharedLab({ masters: 3, workers: 3, net: 81, dir: DIR });
  const before = await status(lab);
  t.true(before.s.healthy, before.s.problems?.join('\n'));
  const oldCa = Object.entries(before.s.cas).find(([, cn]) => cn === 'kubernetes')![0];
  const marker = before.s.marker;
  t.truthy(marker);

  const br = await lab.lab(['break', 'pki-wipe']);
  t.is(br.code, 0, br.stderr);
  const broken = await status(lab);
  t.is(broken.code, 1);
  t.false(broken.s.healthy);
  t.regex(broken.s.api, /refused|connect/i, 'no apiserver answers: its certs are gone');
  for (const m of ['m1', 'm2', 'm3']) {
    const r = await lab.exec(m, ['ls', '/etc/kubernetes']);
    t.not(r.code, 0, `${m}: /etc/kubernetes is gone`);
  }
  const workloadsRunning = await lab.exec('w1', ['crictl', 'ps', '-q']);
  const onW1 = Object.values(before.s.workloads).filter((w: any) => w.node === 'w1').length;
  t.is(workloadsRunning.stdout.trim().split('\n').filter(Boolean).length, onW1, 'every workload keeps running on the workers');

  const solved = await run(SOLVE, [DIR], { maxBuffer: 64 << 20, timeout: 20 * 60_000 }).catch((e) => e);
  t.falsy(solved.code, `solve-by-hand.sh: ${solved.stderr}\n${String(solved.stdout).slice(-3000)}`);

  const after = await status(lab);
  t.is(after.code, 0, after.s.problems?.join('\n'));
  t.deepEqual(Object.values(after.s.nodes), ['Ready', 'Ready', 'Ready', 'Ready', 'Ready', 'Ready']);
  const kubernetesCAs = Object.entries(after.s.cas)
    .filter(([, cn]) => cn === 'kubernetes')
    .map(([fp]) => fp);
  t.is(kubernetesCAs.length, 1, 'every cert and kubeconfig chains to one kubernetes CA');
  t.not(kubernetesCAs[0], oldCa, 'and it is a new CA');
  for (const [host, chains] of Object.entries(after.s.hosts as Record<string, Record<string, { ca: string; expired: boolean }>>)) {
    for (const [path, c] of Object.entries(chains)) {
      t.not(c.ca, oldCa, `${host}:${path} still chains to the old CA`);
      t.not(c.ca, 'none', `${host}:${path}`);
    }
  }
  t.is(after.s.marker, marker, 'etcd kept its data: the marker ConfigMap is still there, unchanged');
  t.is(Object.values(after.s.etcd).filter((v) => v === 'healthy').length, 3);
});

test.serial('scripts/lab down leaves nothing behind', async (t) => {
  if (!requireRoot(t)) return;
  lab ??= await sharedLab({ masters: 3, workers: 3, net: 81, dir: DIR });
  await lab.down();
  const ns = await run('ip', ['netns', 'list']);
  t.false(new RegExp(`^kmlab${lab.net}-`, 'm').test(ns.stdout), ns.stdout);
  const links = await run('ip', ['-o', 'link', 'show']);
  t.false(new RegExp(` kmlab${lab.net}[:@]| km${lab.net}-`).test(links.stdout));
  t.false(existsSync(DIR), `${DIR} removed`);
  const procs = await run('ps', ['-eo', 'args']);
  t.false(procs.stdout.includes(DIR), 'no process of the lab left');
});
