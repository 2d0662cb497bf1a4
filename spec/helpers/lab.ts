/**
 * Test fixture: a lab (bare hosts or a cluster) brought up once per test file through
 * `scripts/lab`, or reused when one with the same shape is already up in the same folder.
 * Use a lab net id of your own per test file (see spec/lab/HOSTS.md); call `lab.down()` in
 * `test.after.always` unless you want to keep it for the next run.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ExecutionContext } from 'ava';
import type { KeyAlgorithm } from '../lab/sim/pki.js';

const run = promisify(execFile);

/** The checkout the lab's hosts see at /opt/kubemend when this fixture brings them up. */
const REPO = realpathSync(dirname(dirname(dirname(fileURLToPath(import.meta.url)))));

/** Absolute path of the lab command (scripts/lab of this checkout). */
export const LAB_CMD = fileURLToPath(new URL('../../scripts/lab', import.meta.url));

/** One host of a lab, as in DIR/hosts.json. */
export interface LabHost {
  name: string;
  address: string;
  role: 'master' | 'worker' | 'etcd';
}

/** What a command run inside a host returned. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A lab that is up. */
export interface Lab {
  dir: string;
  inventoryPath: string;
  knownHosts: string;
  /** The client private key (authorized for root on every host, and for kube/kubepw with sudoUser). */
  key: string;
  net: number;
  hosts: LabHost[];
  /** Runs argv inside HOST's namespaces (nsenter, not SSH: for setup and checks only). */
  exec(host: string, cmd: string[], opts?: { input?: string }): Promise<ExecResult>;
  /** Runs `scripts/lab ARGS --dir DIR` (for example ['fault', 'cut', 'w1']). */
  lab(args: string[]): Promise<ExecResult>;
  /** Takes the lab down (processes, namespaces, bridge, its folder). */
  down(): Promise<void>;
}

/** The shape of lab a test file wants. */
export interface LabOptions {
  /** Bare hosts h001..hNNN (first is master). Otherwise a cluster of masters + workers. */
  hosts?: number;
  masters?: number;
  workers?: number;
  /** Lab net id, 60..98, one per test file (shifted by KUBEMEND_LAB_SLOT). */
  net: number;
  /** Default /tmp/kubemend-lab-net<net>. */
  dir?: string;
  sudoUser?: boolean;
  /** Cluster mode only: `--serving-certs`. */
  servingCerts?: boolean;
  /** Cluster mode only: `--layout kubespray` (etcd as a host service, /etc/kubernetes/ssl, nginx-proxy; spec/lab/CLUSTER.md). */
  layout?: 'kubeadm' | 'kubespray';
  /** With layout kubespray: `--etcd-hosts N`, hosts e1..eN running etcd only. */
  etcdHosts?: number;
  /** With layout kubespray: `--etcd-masters K`, only the first K masters in kubespray's etcd group (default: all). */
  etcdMasters?: number;
  /** Cluster mode only: the controlPlaneEndpoint (`--endpoint`): m1's address (default), api.lab.test, or the load balancer. */
  endpoint?: 'address' | 'name' | 'lb';
  /** Cluster mode only: the load balancer in front of the masters (`--lb`; implied by endpoint 'lb'). */
  lb?: boolean;
  /**
   * Cluster mode only: the ClusterConfiguration's encryptionAlgorithm, the type of every key kubeadm
   * makes (`--encryption-algorithm`). Default here ECDSA-P256, not kubeadm's RSA-2048: an RSA 2048
   * key costs ~130 ms of CPU to make and a 3-master cluster makes ~45 at every bring-up and full
   * rebuild, which on 2 cores was about a tenth of the suite. The files that keep kubeadm's
   * default (no encryptionAlgorithm in the config) say `encryptionAlgorithm: 'RSA-2048'`.
   */
  encryptionAlgorithm?: KeyAlgorithm;
}

/** The lab tests' default encryptionAlgorithm (LabOptions.encryptionAlgorithm says why). */
export const LAB_KEY_ALGORITHM: KeyAlgorithm = 'ECDSA-P256';

/** The `--encryption-algorithm` a cluster of these options is made with; undefined for kubeadm's default (RSA-2048: none written). */
function keyAlgorithmFlag(opts: LabOptions): string | undefined {
  const alg = opts.encryptionAlgorithm ?? LAB_KEY_ALGORITHM;
  return alg === 'RSA-2048' ? undefined : alg;
}

/**
 * This checkout's lab slot (env KUBEMEND_LAB_SLOT, 0..5, default 0). Each slot shifts every test
 * file's net id and folder, so that several checkouts (git worktrees) can run lab tests at once
 * without sharing a bridge or a lab folder.
 */
export const LAB_SLOT = (() => {
  const v = process.env.KUBEMEND_LAB_SLOT ?? '0';
  if (!/^[0-5]$/.test(v)) throw new Error(`KUBEMEND_LAB_SLOT must be 0..5, got '${v}'`);
  return Number(v);
})();

/**
 * A test file's lab net id (60..98) as this checkout's slot shifts it: slot K uses 60+39K..98+39K,
 * wrapped into 20..255, so the six slots' ranges never meet.
 */
export function labNet(net: number): number {
  if (LAB_SLOT === 0 || net < 60 || net > 98) return net;
  return ((net - 20 + 39 * LAB_SLOT) % 236) + 20;
}

/** A lab folder as this checkout's slot moves it (`/tmp/x` becomes `/tmp/slotK/x`). */
export function labDir(dir: string): string {
  if (LAB_SLOT === 0 || dir.startsWith(`/tmp/slot${LAB_SLOT}/`)) return dir;
  return dir.replace(/^\/tmp\//, `/tmp/slot${LAB_SLOT}/`);
}

/** True when this process runs as root. */
export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

const NOT_ROOT = 'this test needs root (network namespaces, mounts, sshd): run the tests as root';

/**
 * Call first in a test that needs the lab. Returns true when it can go on; when not root it
 * fails the test under CI=true, and otherwise logs why and fails too (so it never passes silently).
 */
export function requireRoot(t: ExecutionContext): boolean {
  if (isRoot()) return true;
  t.fail(process.env.CI === 'true' ? `${NOT_ROOT} (CI=true)` : NOT_ROOT);
  return false;
}

/** The names a shape gives, in order. */
export function namesFor(opts: LabOptions): string[] {
  if (opts.hosts !== undefined) {
    return Array.from({ length: opts.hosts }, (_, i) => `h${String(i + 1).padStart(3, '0')}`);
  }
  const m = opts.masters ?? 3;
  const w = opts.workers ?? 3;
  return [
    ...Array.from({ length: m }, (_, i) => `m${i + 1}`),
    ...Array.from({ length: w }, (_, i) => `w${i + 1}`),
    ...Array.from({ length: opts.layout === 'kubespray' ? (opts.etcdHosts ?? 0) : 0 }, (_, i) => `e${i + 1}`),
  ];
}

function readEnv(dir: string): Record<string, string> | undefined {
  const f = join(dir, 'lab.env');
  if (!existsSync(f)) return undefined;
  const env: Record<string, string> = {};
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
  }
  return env;
}

/** Runs scripts/lab with args; never throws on a non-zero exit. */
export function runLab(args: string[], input?: string): Promise<ExecResult> {
  args = args.map((a, i) => (args[i - 1] === '--net' ? String(labNet(Number(a))) : args[i - 1] === '--dir' ? labDir(a) : a));
  return new Promise((resolve, reject) => {
    const child = spawn(LAB_CMD, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.end(input ?? '');
  });
}

/** True when every host of the lab in dir still has its init and sshd. */
async function alive(dir: string): Promise<boolean> {
  return (await runLab(['check', '--dir', dir])).code === 0;
}

function makeLab(dir: string, net: number): Lab {
  const hosts = JSON.parse(readFileSync(join(dir, 'hosts.json'), 'utf8')) as LabHost[];
  return {
    dir,
    net,
    inventoryPath: join(dir, 'inventory.yaml'),
    knownHosts: join(dir, 'known_hosts'),
    key: join(dir, 'id_ed25519'),
    hosts,
    exec: (host, cmd, opts) => runLab(['exec', host, '--dir', dir, '--', ...cmd], opts?.input),
    lab: (args) => runLab([...args, '--dir', dir]),
    down: async () => {
      const r = await runLab(['down', '--dir', dir]);
      if (r.code !== 0) throw new Error(`lab down --dir ${dir}: exit ${r.code}: ${r.stderr.trim()}`);
    },
  };
}

/** The line scripts/lab writes to DIR/cluster.up once the cluster part succeeded. */
function clusterShape(opts: LabOptions): string {
  const endpoint = opts.endpoint ?? 'address';
  const lb = opts.lb || endpoint === 'lb';
  const more = endpoint !== 'address' || lb ? ` endpoint=${endpoint} lb=${lb ? 1 : 0}` : '';
  const spray =
    opts.layout === 'kubespray'
      ? ` layout=kubespray etcd-hosts=${opts.etcdHosts ?? 0}${opts.etcdMasters === undefined ? '' : ` etcd-masters=${opts.etcdMasters}`}`
      : '';
  const alg = keyAlgorithmFlag(opts);
  return `masters=${opts.masters ?? 3} workers=${opts.workers ?? 3} serving=${opts.servingCerts ? 1 : 0}${more}${spray}${alg ? ` encryption-algorithm=${alg}` : ''}`;
}

function clusterUp(dir: string): string | undefined {
  const f = join(dir, 'cluster.up');
  return existsSync(f) ? readFileSync(f, 'utf8').trim() : undefined;
}

const cache = new Map<string, Promise<Lab>>();

/** The folder of the shared lab of these options (its net id and folder moved into this checkout's slot). */
function sharedDir(opts: LabOptions): string {
  return labDir(opts.dir ?? `/tmp/kubemend-lab-net${labNet(opts.net)}`);
}

/** Brings a lab of this shape up once per test file (process), or reuses the one already up. */
export function sharedLab(opts: LabOptions): Promise<Lab> {
  opts = { ...opts, net: labNet(opts.net) };
  const dir = sharedDir(opts);
  let p = cache.get(dir);
  if (!p) {
    p = bringUp(dir, opts);
    cache.set(dir, p);
    p.catch(() => cache.delete(dir));
  }
  return p;
}

/**
 * A test file's after.always: take its shared lab down (nothing as non-root or with KEEP_LAB=1).
 * It never brings a lab up to do so: the one this process holds goes down, else one left in the
 * folder (a failed `up`, an earlier run), else nothing.
 */
export async function downSharedLab(opts: LabOptions): Promise<void> {
  if (!isRoot() || process.env.KEEP_LAB === '1') return;
  const dir = sharedDir(opts);
  const held = await cache.get(dir)?.catch(() => undefined);
  cache.delete(dir);
  if (held) return held.down();
  if (readEnv(dir)) await runLab(['down', '--dir', dir]);
}

async function bringUp(dir: string, opts: LabOptions): Promise<Lab> {
  if (!isRoot()) throw new Error(`sharedLab(net ${opts.net}): ${NOT_ROOT}`);
  const names = namesFor(opts);
  const env = readEnv(dir);
  if (env) {
    const same =
      env.LAB_NET === String(opts.net) &&
      env.LAB_REPO === REPO &&
      env.LAB_NAMES === names.join(',') &&
      env.LAB_SUDO === (opts.sudoUser ? '1' : '0') &&
      existsSync(join(dir, 'hosts.json')) &&
      (opts.hosts !== undefined || clusterUp(dir) === clusterShape(opts));
    if (same && (await alive(dir))) return makeLab(dir, opts.net);
    const r = await runLab(['down', '--dir', dir]);
    if (r.code !== 0) throw new Error(`sharedLab: lab down --dir ${dir} (other shape): exit ${r.code}: ${r.stderr.trim()}`);
  }
  const args = ['up', '--dir', dir, '--net', String(opts.net)];
  if (opts.hosts !== undefined) args.push('--hosts', String(opts.hosts));
  else args.push('--masters', String(opts.masters ?? 3), '--workers', String(opts.workers ?? 3));
  if (opts.sudoUser) args.push('--sudo-user');
  if (opts.servingCerts && opts.hosts === undefined) args.push('--serving-certs');
  if (opts.endpoint && opts.hosts === undefined) args.push('--endpoint', opts.endpoint);
  if (opts.lb && opts.hosts === undefined) args.push('--lb');
  if (opts.layout === 'kubespray' && opts.hosts === undefined) args.push('--layout', 'kubespray', '--etcd-hosts', String(opts.etcdHosts ?? 0));
  if (opts.layout === 'kubespray' && opts.hosts === undefined && opts.etcdMasters !== undefined) args.push('--etcd-masters', String(opts.etcdMasters));
  const alg = keyAlgorithmFlag(opts);
  if (alg && opts.hosts === undefined) args.push('--encryption-algorithm', alg);
  try {
    await run(LAB_CMD, args, { maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { code?: number; stderr?: string };
    throw new Error(`sharedLab: scripts/lab ${args.join(' ')}: exit ${err.code}: ${String(err.stderr ?? e).trim()}`);
  }
  return makeLab(dir, opts.net);
}
