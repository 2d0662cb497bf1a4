/**
 * Secrets never shown: two full `recover` runs on the net-98 lab cluster after `break pki-wipe`,
 * one with `--log-format json` through sudo (a password on m1, `sudo -n` on w1), one in a terminal
 * (tmux, whole scrollback). Then every secret value of the run (bootstrap/join tokens, certificate
 * keys, private keys under /etc/kubernetes/pki, client keys in the kubeconfigs and the kubelet's
 * pem, the sudo password) is looked for in the output, the terminal, and every file of the state
 * dir except the backup archives (which hold keys by design): zero hits.
 *
 * The values are read after the run from the hosts, and kubeadm on every host is wrapped (a bind
 * mount inside the host) to record what `certs certificate-key` and `token create` printed and
 * every argument it was given: the certificate key cannot be read back from the cluster.
 *
 * Issue 18 item 2: no secret on a host's command line either. Every host's process list is sampled
 * (at each kubeadm start and every 0.3 s: spec/security/host-record.ts) and sudo's log read; no
 * token (whole or its secret half), certificate key or the sudo password may be in them, nor in
 * kubeadm's own arguments. With this lab's one master recover joins no master, so it makes no
 * certificate key at all (steps 7-8 run only when a master is to join; spec/recover/recover.test.ts
 * scans the same on 3 masters, where one is made).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireRoot, type Lab } from '../helpers/lab.js';
import { pollUntil, sleep } from '../helpers/wait.js';
import { MAIN, ROOT, cli } from '../cli/run-cli.js';
import { acquireLab, releaseLab } from './shared-lab.js';
import { type HostRecord, certificateKeysIn, hostRecord, must, startRecording, stopSampler, tokensIn, unwrapKubeadm } from './host-record.js';
import { LAB_PROOF } from '../recover/recover-lab.js';

const execp = promisify(execFile);
mkdirSync('/tmp/h-sec', { recursive: true });
const LOCAL = tempDir('/tmp/h-sec/secrets-');
const SUDO_PASSWORD = 'lab-sudo-pw';
const TMUX = ['-L', 'kubemend-sec98', '-f', '/dev/null'];

/** A named secret value to look for. */
interface Needle {
  what: string;
  value: string;
}

/** Body lines of the PEM blocks of a text (base64 lines of 32+ characters: long enough to never match by chance). */
function pemBodyLines(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]*?)-----END/g)) {
    for (const l of m[1]!.split('\n').map((x) => x.trim())) if (l.length >= 32) out.push(l);
  }
  return out;
}

/** Every secret value of the run, read from the hosts and kubeadm's records. */
async function secretsOfRun(lab: Lab, sudo: boolean, records: Map<string, HostRecord>): Promise<Needle[]> {
  const needles: Needle[] = [];
  const add = (what: string, value: string) => {
    if (value && !needles.some((n) => n.value === value)) needles.push({ what, value });
  };
  // bootstrap and join tokens that exist now (id and secret), and every one kubeadm printed or was given
  const list = await must(lab, 'm1', 'kubeadm token list');
  const tokens = new Set<string>(tokensIn(list));
  for (const h of lab.hosts) {
    const rec = records.get(h.name)!;
    for (const t of tokensIn(rec.argv + rec.printed)) tokens.add(t);
    for (const k of rec.argv.match(/--certificate-key[ =]([0-9a-f]{64})/g) ?? []) add(`certificate key (kubeadm argv on ${h.name})`, k.slice(-64));
    for (const k of certificateKeysIn(rec.printed)) add(`certificate key (printed on ${h.name})`, k);
  }
  for (const t of tokens) {
    const [id, secret] = t.split('.');
    add('bootstrap token', t);
    add('bootstrap token id', id!);
    add('bootstrap token secret', secret!);
  }
  // private keys under /etc/kubernetes/pki, client keys in kubeconfigs, the kubelet's client key
  for (const h of lab.hosts) {
    const keys = await must(
      lab,
      h.name,
      'find /etc/kubernetes/pki -name "*.key" -type f -exec cat {} + 2>/dev/null; ' + 'cat /var/lib/kubelet/pki/kubelet-client-current.pem 2>/dev/null; exit 0',
    );
    for (const l of pemBodyLines(keys)) add(`private key line on ${h.name}`, l);
    const confs = await must(lab, h.name, 'cat /etc/kubernetes/*.conf 2>/dev/null; exit 0');
    for (const m of confs.matchAll(/client-key-data:\s*(\S+)/g)) {
      add(`client-key-data on ${h.name}`, m[1]!);
      for (const l of pemBodyLines(Buffer.from(m[1]!, 'base64').toString('utf8'))) add(`client key line (from client-key-data) on ${h.name}`, l);
    }
  }
  if (sudo) add('sudo password', SUDO_PASSWORD);
  return needles;
}

/** Every file under dir (recursively) except backup archives and etcd snapshots, as [path, text]. */
function stateFiles(dir: string): [string, string][] {
  const out: [string, string][] = [];
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    if (!statSync(p).isFile()) continue;
    if (/(^|\/)backups\/.*\.(tar\.gz|db)$/.test(name)) continue;
    out.push([p, readFileSync(p, 'latin1')]);
  }
  return out;
}

/** The records of every host, sampler stopped. */
async function records(lab: Lab): Promise<Map<string, HostRecord>> {
  await stopSampler(lab);
  return new Map(await Promise.all(lab.hosts.map(async (h) => [h.name, await hostRecord(lab, h.name)] as const)));
}

/**
 * Hits of the secrets a host could show (tokens whole or their secret half, certificate keys, the
 * sudo password; not a token's id, the public half kubeadm itself names tokens by) in every host's
 * sampled process lists, sudo's log and kubeadm's own arguments.
 */
function hostHits(needles: Needle[], recs: Map<string, HostRecord>): string[] {
  const secret = needles.filter((n) => n.what !== 'bootstrap token id');
  const hay: [string, string][] = [];
  for (const [h, r] of recs) hay.push([`${h}'s process list`, r.ps.join('\n')], [`${h}'s sudo log`, r.sudoLog], [`kubeadm's arguments on ${h}`, r.argv]);
  return hits(secret, hay);
}

/** Hits of every needle in every haystack, as `what in where`. */
function hits(needles: Needle[], hay: [string, string][]): string[] {
  const out: string[] = [];
  for (const n of needles) for (const [where, text] of hay) if (text.includes(n.value)) out.push(`${n.what} in ${where}`);
  return out;
}

/** An inventory for the lab where m1 goes through `sudo -S` (kubepw, password) and w1 through `sudo -n` (kube). */
function sudoInventory(lab: Lab): string {
  const [m1, w1, w2] = lab.hosts;
  const file = join(LOCAL, 'sudo-inventory.yaml');
  writeFileSync(
    file,
    [
      'cluster: lab',
      `controlPlaneEndpoint: ${m1!.address}:6443`,
      `kubeadmConfig: ${JSON.stringify(join(lab.dir, 'kubeadm-config.yaml'))}`,
      'ssh:',
      `  identityFile: ${JSON.stringify(lab.key)}`,
      `  knownHosts: ${JSON.stringify(lab.knownHosts)}`,
      'hosts:',
      `  - {name: ${m1!.name}, address: ${m1!.address}, role: master, user: kubepw, sudo: password}`,
      `  - {name: ${w1!.name}, address: ${w1!.address}, role: worker, user: kube, sudo: nopasswd}`,
      `  - {name: ${w2!.name}, address: ${w2!.address}, role: worker, user: root}`,
      '',
    ].join('\n'),
  );
  return file;
}

async function breakPki(lab: Lab): Promise<void> {
  const b = await lab.lab(['break', 'pki-wipe']);
  if (b.code !== 0) throw new Error(`lab break pki-wipe: exit ${b.code}: ${b.stderr}`);
}

async function assertHealthy(t: import('ava').ExecutionContext, lab: Lab): Promise<void> {
  const s = await lab.lab(['status']);
  t.is(s.code, 0, `lab status after recover: ${s.stdout}${s.stderr}`);
}

let lab: Lab;

test.before(async () => {
  if (process.getuid?.() !== 0) return;
  lab = await acquireLab();
});

test.serial('recover with --log-format json, through sudo (password on m1, -n on w1): no secret in stdout, stderr or the state dir', async (t) => {
  if (!requireRoot(t)) return;
  await breakPki(lab);
  await startRecording(lab);
  const dir = join(LOCAL, 'state-json');
  const r = await cli(MAIN, ['run', 'recover', '-i', sudoInventory(lab), '--yes', '--state-dir', dir, '--log-format', 'json', ...LAB_PROOF], {
    env: { KUBEMEND_SUDO_PASSWORD: SUDO_PASSWORD },
  });
  writeFileSync(join(LOCAL, 'json.stdout'), r.stdout);
  writeFileSync(join(LOCAL, 'json.stderr'), r.stderr);
  t.is(r.code, 0, `recover exit ${r.code}: ${r.stderr.slice(-3000)}`);
  t.true(
    r.stdout
      .split('\n')
      .filter(Boolean)
      .every((l) => l.startsWith('{')),
    'stdout is JSON lines',
  );
  const recs = await records(lab);
  await assertHealthy(t, lab);
  const needles = await secretsOfRun(lab, true, recs);
  writeFileSync(join(LOCAL, 'json.needles'), needles.map((n) => n.what).join('\n'));
  t.true(
    needles.some((n) => n.what === 'bootstrap token'),
    'a token was found to look for',
  );
  t.false(
    needles.some((n) => n.what.startsWith('certificate key')),
    'one master, no master to join: no certificate key made (steps 7-8 run only for a join)',
  );
  t.true(
    needles.some((n) => n.what.startsWith('private key line on m1')),
    'private keys were found to look for',
  );
  t.true(
    needles.some((n) => n.what.startsWith('client-key-data on m1')),
    'client keys were found to look for',
  );
  const files = stateFiles(dir);
  t.true(
    files.some(([p]) => p.endsWith('journal.jsonl')),
    'the journal was scanned',
  );
  t.deepEqual(hits(needles, [['stdout', r.stdout], ['stderr', r.stderr], ...files]), []);
  // issue 18 item 2: nothing secret on any host's command line, and the scan saw what it had to
  for (const w of ['w1', 'w2'])
    t.true(
      recs.get(w)!.ps.some((l) => /kubeadm join phase kubelet-start --config \/run\/kubemend-kubeadm\./.test(l)),
      `${w}'s process list was sampled while kubeadm joined it (with its config file)`,
    );
  t.regex(recs.get('m1')!.sudoLog, /COMMAND=.*kubeadm token create/, "m1's sudo log holds the commands run through sudo");
  t.regex(recs.get('w1')!.sudoLog, /COMMAND=.*kubeadm join phase kubelet-start/, "w1's sudo log holds the join");
  t.deepEqual(hostHits(needles, recs), []);
});

test.serial('recover in a terminal (tmux, whole scrollback), after a second pki-wipe: no secret on the screen or in the state dir', async (t) => {
  if (!requireRoot(t)) return;
  await breakPki(lab);
  await startRecording(lab);
  const dir = join(LOCAL, 'state-tty');
  const done = join(LOCAL, 'tty.exit');
  const cmd = `cd ${ROOT} && ${process.execPath} ${MAIN} run recover -i ${lab.inventoryPath} --yes --state-dir ${dir} ${LAB_PROOF.join(' ')}; echo "kubemend exit $?" > ${done}; sleep 3600`;
  await execp('tmux', [...TMUX, 'kill-server']).catch(() => undefined);
  await execp('tmux', [...TMUX, 'new-session', '-d', '-s', 'idle', 'sleep 3600']);
  await execp('tmux', [...TMUX, 'set-option', '-g', 'history-limit', '500000']);
  try {
    await execp('tmux', [...TMUX, 'new-session', '-d', '-s', 'recover', '-x', '160', '-y', '50', cmd]);
    const exit = await pollUntil(
      'kubemend in tmux to finish',
      () => {
        try {
          return readFileSync(done, 'utf8').trim();
        } catch {
          return undefined;
        }
      },
      9 * 60_000,
      2000,
    );
    await sleep(500);
    const screen = (await execp('tmux', [...TMUX, 'capture-pane', '-p', '-J', '-S', '-', '-E', '-', '-t', 'recover'], { maxBuffer: 64 << 20 })).stdout;
    writeFileSync(join(LOCAL, 'tty.screen'), screen);
    t.is(exit, 'kubemend exit 0', screen.slice(-3000));
    t.regex(screen, /run recover on lab/, 'the scrollback holds the whole run');
    const recs = await records(lab);
    await assertHealthy(t, lab);
    const needles = await secretsOfRun(lab, false, recs);
    t.true(needles.some((n) => n.what === 'bootstrap token'));
    t.deepEqual(hits(needles, [['terminal', screen], ...stateFiles(dir)]), []);
    t.deepEqual(hostHits(needles, recs), []);
  } finally {
    await execp('tmux', [...TMUX, 'kill-server']).catch(() => undefined);
  }
});

test.after.always(async () => {
  if (lab) await unwrapKubeadm(lab);
  await releaseLab(import.meta.url);
  // the state folders hold backup archives with private keys
  rmSync(LOCAL, { recursive: true, force: true });
});
