/**
 * renew-certs on one 3+1 lab (net 97), through the CLI over real ssh: a rolling renewal of a
 * healthy cluster with an apiserver answering at every second, then `break expired`: doctor names
 * the masters and renew-certs, and renew-certs brings the cluster back. Witnesses: node:crypto on
 * the files, the certificates the live servers present, real kubectl and etcdctl, `lab status`.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Lab, requireRoot, sharedLab } from '../helpers/lab.js';
import { pollUntil } from '../helpers/wait.js';
import { MAIN, cli } from '../cli/run-cli.js';
import { CA_FILES, LEAF_FILES, type Seen, certsOn, pollApiservers, servedSerial } from './witness.js';
import { etcdctlWitness } from '../lab/cluster/etcdctl.js';
import { KUBECTL } from '../lab/cluster/kube.js';

// 3 masters: etcd keeps quorum (2 of 3) while one master's static pods restart, so the API can
// answer throughout; with 2, every etcd restart would stop the API for a moment.
const LAB = { masters: 3, workers: 1, net: 97, dir: '/tmp/h-renew/lab' };
const MASTERS = ['m1', 'm2', 'm3'];
const DAY = 86_400_000;
const exec = promisify(execFile);
let lab: Lab | undefined;

test.before(async () => {
  if (process.getuid?.() === 0) lab = await sharedLab(LAB);
});
test.after.always(async () => {
  if (lab && !process.env.KEEP_LAB) await lab.down();
});

function stateDir(): string {
  mkdirSync('/tmp/h-renew', { recursive: true });
  // removed when the file's process ends (tempDir): the runs' folders hold the pulled backups, private keys included
  return tempDir('/tmp/h-renew/state-');
}

async function allCerts(l: Lab): Promise<Map<string, Map<string, Seen>>> {
  return new Map(await Promise.all(MASTERS.map(async (m) => [m, await certsOn(l, m)] as const)));
}

/** Every leaf of `before` renewed (new serial, later notAfter, valid for ~a year), every CA the same. */
function assertRenewed(t: any, before: Map<string, Map<string, Seen>>, after: Map<string, Map<string, Seen>>): void {
  for (const m of MASTERS) {
    const b = before.get(m)!;
    const a = after.get(m)!;
    for (const f of CA_FILES) t.is(a.get(f)?.fingerprint, b.get(f)!.fingerprint, `${m}:${f} CA unchanged`);
    const leaves = LEAF_FILES.filter((f) => b.has(f));
    t.true(leaves.length >= (m === 'm1' ? 11 : 10), `${m}: ${leaves.length} leaves seen`);
    for (const f of leaves) {
      t.not(a.get(f)?.serial, b.get(f)!.serial, `${m}:${f} new serial`);
      t.true(a.get(f)!.notAfter > b.get(f)!.notAfter, `${m}:${f} notAfter later`);
      t.true(a.get(f)!.notAfter > Date.now() + 300 * DAY, `${m}:${f} valid for about a year`);
    }
  }
}

/** The running apiserver and etcd of each master present the renewed certificates (they were restarted). */
async function assertServedRenewed(t: any, l: Lab, after: Map<string, Map<string, Seen>>): Promise<void> {
  for (const h of l.hosts.filter((x) => x.role === 'master')) {
    const certs = after.get(h.name)!;
    t.is(await servedSerial(h.address, 6443), certs.get('/etc/kubernetes/pki/apiserver.crt')!.serial, `${h.name}: the apiserver serves the renewed cert`);
    const pair = await l.exec(h.name, ['cat', '/etc/kubernetes/pki/etcd/healthcheck-client.crt', '/etc/kubernetes/pki/etcd/healthcheck-client.key']);
    const pem = pair.stdout;
    const cert = Buffer.from(pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 25));
    const key = Buffer.from(pem.slice(pem.indexOf('-----BEGIN', 10)));
    t.is(
      await servedSerial(h.address, 2379, { cert, key }),
      certs.get('/etc/kubernetes/pki/etcd/server.crt')!.serial,
      `${h.name}: etcd serves the renewed cert`,
    );
  }
}

async function kubectlJson(kubeconfig: string, args: string[]): Promise<any> {
  return JSON.parse((await exec(KUBECTL, ['--kubeconfig', kubeconfig, '--request-timeout=10s', ...args, '-o', 'json'], { maxBuffer: 32 << 20 })).stdout);
}

/** Every Node Ready and etcd 3/3 healthy, asked with real kubectl (the renewed admin.conf from m1) and etcdctl. */
async function assertHealthy(t: any, l: Lab, dir: string): Promise<void> {
  const conf = join(dir, 'admin.conf');
  const got = await l.exec('m1', ['cat', '/etc/kubernetes/admin.conf']);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(conf, got.stdout, { mode: 0o600 });
  const nodes = await pollUntil(
    'every Node Ready',
    async () => {
      const n = await kubectlJson(conf, ['get', 'nodes']);
      return n.items.every((x: any) => x.status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True')) ? n : undefined;
    },
    90_000,
    2000,
  );
  t.is(nodes.items.length, 4);
  // the machine's etcdctl, from outside the hosts (a kubeadm host has none)
  const r = await etcdctlWitness(l.dir, l.hosts.find((h) => h.name === 'm1')!, ['endpoint', 'health', '--cluster']);
  const e = { stdout: r.stdout + r.stderr };
  t.is((e.stdout.match(/is healthy/g) ?? []).length, 3, e.stdout);
}

test.serial(
  'rolling renewal of a healthy 3+1: every leaf renewed, CAs kept, components restarted, an apiserver answered every second, all healthy',
  async (t) => {
    if (!requireRoot(t) || !lab) return;
    const before = await allCerts(lab);
    const state = stateDir();
    // the lab's admin.conf points at m1:6443 (the controlPlaneEndpoint, no load balancer): m1's
    // apiserver is down while m1's pods restart, so the poller asks every master's own address
    const kubeconfig = join(state, 'poll.conf');
    copyFileSync(join(lab.dir, 'admin.conf'), kubeconfig);
    const poller = pollApiservers(
      kubeconfig,
      lab.hosts.filter((h) => h.role === 'master'),
    );
    let r;
    let ticks;
    try {
      r = await cli(MAIN, ['run', 'renew-certs', '-i', lab.inventoryPath, '--yes', '--state-dir', state]);
    } finally {
      ticks = await poller.stop();
    }
    t.is(r.code, 0, r.stdout + r.stderr);
    t.regex(r.stdout, /rolling: one master at a time/);
    t.regex(r.stdout, /w1: skipped: a worker has nothing for kubeadm to renew/);
    t.regex(r.stdout, /m1 \| renew\/verify: 11 certificates renewed/);
    const after = await allCerts(lab);
    assertRenewed(t, before, after);
    await assertServedRenewed(t, lab, after);
    const silent = ticks.filter((k) => k.ok.length === 0);
    const down = Object.fromEntries(MASTERS.map((m) => [m, ticks.filter((k) => k.failed[m]).length]));
    t.log(`${ticks.length} polls; seconds each apiserver did not answer: ${JSON.stringify(down)}`);
    t.true(ticks.length >= 20, `polled ${ticks.length} times`);
    t.deepEqual(silent, [], 'at every poll at least one apiserver answered /readyz');
    await assertHealthy(t, lab, state);
  },
);

test.serial('expired: doctor names the masters and renew-certs; renew-certs brings the cluster back', async (t) => {
  if (!requireRoot(t) || !lab) return;
  const b = await lab.lab(['break', 'expired']);
  t.is(b.code, 0, b.stderr);
  const before = await allCerts(lab);
  t.true(
    [...before.values()].every((c) => c.get('/etc/kubernetes/pki/apiserver.crt')!.notAfter < Date.now()),
    'break expired left expired certs',
  );
  const d = await cli(MAIN, ['doctor', '-i', lab.inventoryPath]);
  t.is(d.code, 1, d.stdout + d.stderr);
  t.regex(d.stdout, /certificates have expired on masters m1-m3/);
  t.regex(d.stdout, /kubemend run renew-certs -i INVENTORY --limit m1,m2,m3/);
  t.notRegex(d.stdout, /kubemend run (recover|rejoin-workers)/);
  const state = stateDir();
  const r = await cli(MAIN, ['run', 'renew-certs', '-i', lab.inventoryPath, '--yes', '--state-dir', state]);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /all at once: certificates already expired on m1-m3/);
  const after = await allCerts(lab);
  assertRenewed(t, before, after);
  await assertServedRenewed(t, lab, after);
  await assertHealthy(t, lab, state);
  const status = await pollUntil(
    'lab status HEALTHY',
    async () => {
      const s = await lab!.lab(['status']);
      return s.code === 0 ? s : undefined;
    },
    120_000,
    3000,
  );
  t.regex(status.stdout, /HEALTHY/);
  const d2 = await cli(MAIN, ['doctor', '-i', lab.inventoryPath]);
  t.is(d2.code, 0, d2.stdout + d2.stderr);
});
