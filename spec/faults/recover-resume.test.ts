/**
 * Resume-safety of `recover` (issue 6) on one 2 + 1 lab cluster (net 85), over real SSH, with the
 * lab's own witnesses (`scripts/lab status --json`: kubectl, etcdctl, openssl):
 * - a master (m2) whose join fails between control-plane-prepare and control-plane-join: the run
 *   stops there naming m2 and the phase, nothing later ran on any host, every host's backup is in
 *   the run folder with its checksum; with the fault gone, `kubemend resume` completes;
 * - kubemend SIGKILLed (its whole process group) at seeded moments of a pki-wipe recover (a
 *   seeded phase, a seeded 0-1.5 s after the journal shows it started, so load does not move it), then one
 *   `kubemend resume`: exit 0, the proof of health passes, the cluster is healthy with one CA and
 *   its marker object. One seed also leaves a half-written journal line, as a kill mid-write would.
 * The tests share the lab and run in order; each starts from the healthy cluster the one before left.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { openJournal, readJournal } from '../../lib/core/journal.js';
import type { StampedEvent } from '../../lib/core/events.js';
import { requireRoot, sharedLab, type Lab } from '../helpers/lab.js';
import { MAIN, ROOT, cli } from '../cli/run-cli.js';
import { bootstrapTokens, leftoverJoinSecrets } from '../recover/scenario.js';
import { runPlaybook } from '../../lib/core/runner.js';
import { definePlaybook } from '../../lib/core/types.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';
import { LAB_PROOF } from '../recover/recover-lab.js';

const LAB = { masters: 2, workers: 1, net: 85, dir: '/tmp/h-resume/lab' };
const HOSTS = ['m1', 'm2', 'w1'];
/** Phases after others/join that change hosts (none may run once a join failed). */
const AFTER_JOIN = [
  'first/front-proxy-check',
  'masters/kubelet',
  'masters/controller-manager',
  'api/pods-before',
  'workers/rejoin',
  'api/serving-csrs',
  'api/sa-tokens',
  'api/restart-pods',
  'verify',
];
/** Phases of a full rebuild that change hosts or the cluster, in run order: where a kill may land. */
const KILL_PHASES = [
  'masters/clean',
  'etcd/ca',
  'etcd/start',
  'first/control-plane',
  'others/join',
  'masters/kubelet',
  'masters/controller-manager',
  'workers/rejoin',
  'api/sa-tokens',
  'api/restart-pods',
];
// Seed 11 (kill 0.8 s into etcd/ca) failed once on 2026-11-29 under load ~40: the resume's proof
// passed, then `lab status` found an apps/sa-probe pod not Ready. It passed 5 runs in a row after,
// and the lab's probe then turned a pod unready on ONE slow answer (now 3 in a row, a readiness
// probe's failureThreshold), so a transient is the likely cause; it is back in the list.
/** [seed, stratum]: the stratum is the third of KILL_PHASES the seed picks its phase from.
 * RESUME_SEEDS="11:0,29:1" runs other seeds instead (to reproduce one). */
const SEEDS: Array<[number, number]> = process.env.RESUME_SEEDS
  ? process.env.RESUME_SEEDS.split(',').map((p) => p.split(':').map(Number) as [number, number])
  : [
      [11, 0],
      [29, 1],
      [47, 2],
    ];
const STRATA = 3;

/** True once a test of this file used the lab (only then does the file take it down). */
let usedLab = false;

/** The file's lab (brought up once, or reused when it is already up). */
function getLab(): Promise<Lab> {
  usedLab = true;
  return sharedLab(LAB);
}

/** A new state folder for one run (its backups hold private keys: removed when the file's process ends, tempDir). */
function stateDir(): string {
  return tempDir('/tmp/kubemend-resume-state-');
}

interface Status {
  healthy: boolean;
  problems: string[];
  marker?: string;
  cas: Record<string, string>;
}

async function status(lab: Lab): Promise<Status> {
  const r = await lab.lab(['status', '--json']);
  return JSON.parse(r.stdout) as Status;
}

function clusterCa(s: Status): string[] {
  return Object.entries(s.cas)
    .filter(([, role]) => role === 'kubernetes')
    .map(([fp]) => fp);
}

/** mulberry32: a small deterministic PRNG, so a seed always kills at the same fraction of the run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** kubemend in its own process group (detached), so the whole group can be SIGKILLed. */
function startKubemend(args: string[]) {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const done = new Promise<{ code: number | null; signal: string | null; out: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out }));
  });
  return { child, done };
}

function runIdIn(state: string): string {
  const ids = readdirSync(state);
  if (ids.length !== 1) throw new Error(`expected one run folder in ${state}, found ${ids.join(', ') || 'none'}`);
  return ids[0];
}

function journalOf(state: string, runId: string): StampedEvent[] {
  return readJournal(join(state, runId, 'journal.jsonl'));
}

async function resume(state: string, runId: string) {
  const t0 = Date.now();
  const r = await cli(MAIN, ['resume', runId, '--state-dir', state, '--yes']);
  return { ...r, out: r.stdout + r.stderr, ms: Date.now() - t0 };
}

/** The proof of health printed no FAIL row and every host's certs chain to the one CA; its steady window was `seconds` long. */
function assertProof(t: any, out: string, seconds = 10): void {
  t.regex(out, /proof of health:/);
  t.notRegex(out, /^FAIL /m, out.slice(-3000));
  for (const row of [
    'nodes Ready',
    'etcd members healthy',
    "cluster's objects present",
    'shared PKI identical on masters',
    `workload pods stay Ready for ${seconds} s`,
    ...HOSTS.map((h) => `${h} certs chain to CA`),
  ]) {
    t.regex(out, new RegExp(`^PASS  ${row.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'), `proof row: ${row}`);
  }
}

/** The lab's own view after a repair: healthy, one cluster CA, the marker made at lab up kept. */
async function assertHealthy(t: any, lab: Lab, marker: string | undefined): Promise<void> {
  const s = await status(lab);
  t.true(s.healthy, s.problems.join('; '));
  t.is(clusterCa(s).length, 1, 'one cluster CA in use');
  t.truthy(marker);
  t.is(s.marker, marker, 'the marker object survived (etcd data kept)');
}

/** A kubeadm on m2 (bind-mounted over the real one, in m2's mount namespace only) whose control-plane-join fails. */
const FAULTY_KUBEADM = `#!/bin/sh
case " $* " in
  *" join phase control-plane-join "*)
    echo "error execution phase control-plane-join/etcd: error creating local etcd static pod manifest file: timeout waiting for etcd cluster to be available" >&2
    exit 1 ;;
esac
exec /usr/bin/node "\${LAB_SIM_DIST:-/opt/kubemend/dist-lab}/spec/lab/sim/kubeadm/main.js" "$@"
`;

test('a journal with a half-written last line (a kill mid-write) stays readable after a resume appends to it', (t) => {
  const dir = tempDir('/tmp/kubemend-journal-');
  const j = openJournal(dir);
  j.sink({ kind: 'log', phase: 'p', level: 'info', message: 'one', ts: '', seq: 0 } as StampedEvent);
  j.close();
  appendFileSync(join(dir, 'journal.jsonl'), '{"kind":"host-end","phase":"masters/cl');
  t.is(readJournal(join(dir, 'journal.jsonl')).length, 1, 'the partial line is ignored');
  const again = openJournal(dir);
  again.sink({ kind: 'log', phase: 'p', level: 'info', message: 'two', ts: '', seq: 1 } as StampedEvent);
  again.close();
  const events = readJournal(join(dir, 'journal.jsonl'));
  t.deepEqual(
    events.map((e) => (e as { message?: string }).message),
    ['one', 'two'],
  );
});

test('a resumed phase whose every host completed earlier still runs its cleanUp (a kill between the last host and the clean-up, e.g. eviction left paused)', async (t) => {
  let cleaned = 0;
  let ran = 0;
  const playbook = definePlaybook({
    name: 'clean-up-on-resume',
    description: 'test',
    destructive: false,
    phases: [
      {
        id: 'workers/rejoin',
        title: 'rejoin',
        hosts: (ctx) => ctx.hosts.filter((h) => h.role === 'worker'),
        strategy: { kind: 'serial' },
        run: async () => void ran++,
        cleanUp: async () => void cleaned++,
      },
    ],
  });
  const inv = fakeInventory(1, 2);
  const completed = new Set(['workers/rejoin\0w1', 'workers/rejoin\0w2']);
  const r = await runPlaybook({ playbook, inventory: inv, transport: new FakeTransport(), dryRun: false, completed });
  t.is(r.exitCode, 0);
  t.is(ran, 0, 'no host ran again');
  t.is(cleaned, 1, 'the clean-up ran');
});

test.serial('m2 fails in the middle of its join: the run stops there, nothing later ran, backups kept; resume completes', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await getLab();
  const marker = (await status(lab)).marker;
  const tokensBefore = await bootstrapTokens(lab);
  t.is((await lab.lab(['break', 'pki-wipe'])).code, 0);
  const put = await lab.exec(
    'm2',
    ['sh', '-c', 'cat > /root/kubeadm-faulty && chmod 0755 /root/kubeadm-faulty && mount --bind /root/kubeadm-faulty /usr/local/bin/kubeadm'],
    { input: FAULTY_KUBEADM },
  );
  t.is(put.code, 0, put.stderr);
  const state = stateDir();
  let t0 = Date.now();
  let r;
  try {
    const ran = await cli(MAIN, ['run', 'recover', '-i', lab.inventoryPath, '--yes', '--state-dir', state, ...LAB_PROOF]);
    r = { ...ran, out: ran.stdout + ran.stderr };
  } finally {
    await lab.exec('m2', ['sh', '-c', 'umount /usr/local/bin/kubeadm; rm -f /root/kubeadm-faulty']);
  }
  const failMs = Date.now() - t0;
  t.is(r.code, 1, r.out.slice(-3000));
  t.regex(r.out, /m2/);
  t.regex(r.out, /others\/join/);
  t.regex(r.out, /control-plane-join/);
  const runId = runIdIn(state);
  const events = journalOf(state, runId);
  t.true(
    events.some((e) => e.kind === 'host-end' && e.phase === 'others/join' && e.host === 'm2' && e.status === 'failed'),
    'the journal names m2 failing in others/join',
  );
  // issue 18 item 4: the failed phase's clean-up deleted its join token and kube-system/kubeadm-certs
  const left = await leftoverJoinSecrets(lab, tokensBefore);
  t.deepEqual(left.tokens, [], 'no bootstrap token of the failed run is left');
  t.false(left.kubeadmCerts, 'kube-system/kubeadm-certs is gone after the failure');
  const later = events.filter((e) => 'phase' in e && AFTER_JOIN.includes(e.phase) && e.kind !== 'phase-skip');
  t.deepEqual(
    later.map((e) => `${e.kind} ${'phase' in e ? e.phase : ''}`),
    [],
    'no phase after others/join ran on any host',
  );
  for (const h of HOSTS) {
    const file = join(state, runId, 'backups', `${h}.tar.gz`);
    t.true(existsSync(file), `backup of ${h} pulled`);
    const sum = readFileSync(`${file}.sha256`, 'utf8').split(/\s+/)[0];
    const { createHash } = await import('node:crypto');
    t.is(createHash('sha256').update(readFileSync(file)).digest('hex'), sum, `backup of ${h} matches its checksum`);
  }
  t0 = Date.now();
  const res = await resume(state, runId);
  t.is(res.code, 0, res.out.slice(-4000));
  t.regex(res.out, /path: full-rebuild/);
  assertProof(t, res.out);
  const after = journalOf(state, runId);
  t.true(
    after.some((e) => e.kind === 'host-end' && e.phase === 'others/join' && e.host === 'm2' && e.status === 'ok'),
    'm2 joined on resume',
  );
  t.true(
    after.some((e) => e.kind === 'host-end' && e.phase === 'etcd/ca' && e.status === 'skipped'),
    'completed phases skipped on resume',
  );
  await assertHealthy(t, lab, marker);
  // the run's own length (its two attempts, plans excluded), as the runner journals it
  const runMs = after.filter((e) => e.kind === 'run-end').reduce((sum, e) => sum + (e.kind === 'run-end' ? e.durationMs : 0), 0);
  t.log(`join failure: failed run ${(failMs / 1000).toFixed(0)}s, resume ${(res.ms / 1000).toFixed(0)}s (the run's phases: ${(runMs / 1000).toFixed(0)}s)`);
});

for (const [seed, i] of SEEDS) {
  test.serial(`seed ${seed}: recover SIGKILLed at a seeded moment, then one resume ends with a healthy cluster`, async (t) => {
    if (!requireRoot(t)) return;
    const lab = await getLab();
    const marker = (await status(lab)).marker;
    t.is((await lab.lab(['break', 'pki-wipe'])).code, 0);
    // the moment: a seeded phase of the full rebuild (each seed in its own third of the list), a
    // seeded 0-1.5 s after that phase starts: the same point of the run however loaded the machine is
    const rnd = prng(seed);
    const third = KILL_PHASES.slice(Math.floor((i * KILL_PHASES.length) / STRATA), Math.floor(((i + 1) * KILL_PHASES.length) / STRATA));
    const target = third[Math.floor(rnd() * third.length)];
    const delay = Math.round(rnd() * 1500);
    const state = stateDir();
    const run = startKubemend(['run', 'recover', '-i', lab.inventoryPath, '--yes', '--state-dir', state, ...LAB_PROOF]);
    const startedTarget = (): boolean => {
      try {
        return journalOf(state, runIdIn(state)).some((e) => e.kind === 'phase-start' && e.phase === target);
      } catch {
        return false; // no run folder yet, or a line being written
      }
    };
    while (!startedTarget() && run.child.exitCode === null) await new Promise((ok) => setTimeout(ok, 100));
    const timer = setTimeout(() => {
      try {
        process.kill(-run.child.pid!, 'SIGKILL');
      } catch {
        /* it ended already */
      }
    }, delay);
    const killed = await run.done;
    clearTimeout(timer);
    const runId = runIdIn(state);
    const events = journalOf(state, runId);
    const running = events.filter((e) => e.kind === 'host-start').at(-1);
    t.log(
      `seed ${seed}: kill ${delay} ms after ${target} started (${killed.signal ?? `exit ${killed.code}`}), last started: ${running && 'phase' in running ? `${running.phase} ${running.host}` : 'none'}`,
    );
    t.is(killed.signal, 'SIGKILL', `the run was killed mid-way (it ended by itself otherwise): ${killed.out.slice(-1500)}`);
    if (i === 1) appendFileSync(join(state, runId, 'journal.jsonl'), '{"kind":"command","phase":"x","host":"m1","step":"ru'); // as a kill mid-write leaves it
    const res = await resume(state, runId);
    t.is(res.code, 0, res.out.slice(-4000));
    assertProof(t, res.out);
    t.notThrows(() => journalOf(state, runId), 'the journal reads whole after the resume');
    await assertHealthy(t, lab, marker);
    t.log(`seed ${seed}: resume ${(res.ms / 1000).toFixed(0)}s`);
  });
}

/** `recover --only facts,verify`: the proof alone, read-only, on the cluster as it is (`extra`: more options). */
async function proofOnly(lab: Lab, extra: string[] = []) {
  const r = await cli(MAIN, ['run', 'recover', '-i', lab.inventoryPath, '--yes', '--state-dir', stateDir(), '--only', 'facts,verify', ...extra]);
  return { ...r, out: r.stdout + r.stderr };
}

test.serial('the proof FAILs on a cluster that is not whole: another sa.key on m2; a workload pod that turns not Ready inside the 30 s window', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await getLab();
  const healthy = await proofOnly(lab); // recover's default window, 30 s
  t.is(healthy.code, 0, healthy.out.slice(-3000));
  assertProof(t, healthy.out, 30);
  // a split key: m2 signs service-account tokens with a key m1 would not verify (issue 13)
  const sa = '/etc/kubernetes/pki/sa.key';
  t.is((await lab.exec('m2', ['sh', '-c', `cp -p ${sa} /root/sa.key.kept && openssl genrsa -out ${sa} 2048 2>/dev/null`])).code, 0);
  let split;
  try {
    split = await proofOnly(lab, LAB_PROOF);
  } finally {
    await lab.exec('m2', ['sh', '-c', `mv /root/sa.key.kept ${sa}`]);
  }
  t.is(split.code, 1, split.out.slice(-3000));
  t.regex(split.out, /^FAIL  shared PKI identical on masters +sa\.key differs: m1 [0-9a-f]{12} \/ m2 [0-9a-f]{12}$/m);
  t.regex(split.out, /^PASS  m2 certs chain to CA/m, 'every per-host row passes: only the new row sees it');
  // a pod that flaps: apps/plain's health on w1 is 'down' 6 s out of every 12 s while the proof runs,
  // so whenever the proof's wait for Ready passes, its 30 s window holds a down spell
  const flap = lab.exec('w1', [
    'sh',
    '-c',
    'while [ ! -e /root/stop-flap ]; do for f in /run/lab/workloads/apps_plain-*.health; do echo down > "$f"; done; sleep 6; for f in /run/lab/workloads/apps_plain-*.health; do echo ok > "$f"; done; sleep 6; done; rm -f /root/stop-flap',
  ]);
  let flapped;
  try {
    flapped = await proofOnly(lab);
  } finally {
    await lab.exec('w1', ['touch', '/root/stop-flap']);
    await flap;
  }
  t.is(flapped.code, 1, flapped.out.slice(-3000));
  t.regex(flapped.out, /^FAIL  workload pods stay Ready for 30 s +.*apps\/plain-\S+ not Ready at \+\d+ s/m);
  t.regex(flapped.out, /^PASS  shared PKI identical on masters/m);
  const after = await proofOnly(lab, LAB_PROOF);
  t.is(after.code, 0, `the cluster is whole again: ${after.out.slice(-2000)}`);
});

test.after.always(async () => {
  if (process.getuid?.() !== 0 || !usedLab || process.env.KEEP_LAB === '1') return;
  await (await sharedLab(LAB).catch(() => undefined))?.down();
});
