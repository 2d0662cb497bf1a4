/**
 * The SSH transport over REAL ssh to lab hosts (net 71, 50 hosts, sudo users): commands,
 * timeouts, signals, bounded and redacted output, sudo (nopasswd and password), file transfer,
 * host keys, one connection per host under load, reconnection after a drop, clean exit.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import type { Host } from '../../lib/inventory/types.js';
import { Secret } from '../../lib/shell/secret.js';
import { fingerprint } from '../../lib/transport/hostkeys.js';
import type { TransportEvent } from '../../lib/transport/options.js';
import { createSshTransport } from '../../lib/transport/ssh.js';
import { TransportError } from '../../lib/transport/types.js';
import { type Lab, requireRoot, sharedLab } from '../helpers/lab.js';
import { hostOf, labInventory } from './fixture.js';

const DIR = '/tmp/h-transport/lab';
const SUDO_PW = 'lab-sudo-pw';
const getLab = () => sharedLab({ hosts: 50, net: 71, dir: DIR, sudoUser: true });

// the lab is taken down when the file is done (set KEEP_LAB=1 to keep it for the next run)
test.after.always(async () => {
  if (process.env.KEEP_LAB === '1') return;
  const lab = await getLab().catch(() => undefined);
  await lab?.down();
});

/** A transport on the lab with every event kept; closed after the test. */
async function setup(t: { teardown(fn: () => Promise<void>): void }, opts: Parameters<typeof createSshTransport>[1] = {}, knownHosts?: string) {
  const lab = await getLab();
  // generous connect timeout: the test machine is shared and may be heavily loaded
  const inv = labInventory(lab, { connectTimeoutMs: 90_000, ...(knownHosts ? { knownHosts } : {}) });
  const events: TransportEvent[] = [];
  const tr = createSshTransport(inv, { ...opts, onEvent: (e) => events.push(e) });
  t.teardown(() => tr.close());
  return { lab, inv, tr, events, host: (name: string, patch: Partial<Host> = {}) => hostOf(inv, name, patch) };
}

/** Established TCP connections to :22 seen inside the lab host (its own network namespace). */
async function sshdConnections(lab: Lab, host: string): Promise<string[]> {
  const r = await lab.exec(host, ['ss', '-Htn', 'state', 'established', '( sport = :22 )']);
  if (r.code !== 0) throw new Error(`ss on ${host}: exit ${r.code}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.trim());
}

/** Runs a shell command on the test machine; its stdout. */
function sh(cmd: string): Promise<string> {
  return new Promise((resolve) => execFile('sh', ['-c', cmd], (_e, out) => resolve(String(out))));
}

/** Polls cond every 100 ms, up to `tries` times. */
async function eventually(cond: () => Promise<boolean>, tries = 100): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

test.serial('exec: exit code, stdout, stderr, stdin and a signal', async (t) => {
  if (!requireRoot(t)) return;
  const { tr, host } = await setup(t);
  const h = host('h001');
  const r = await tr.run(h, ['sh', '-c', 'echo "out $1"; echo "err $1" >&2; exit 3', 'sh', "it's"]);
  t.like(r, { host: 'h001', exitCode: 3, signal: null, stdout: "out it's\n", stderr: "err it's\n", truncated: false });
  t.is(r.command, `sh -c 'echo "out $1"; echo "err $1" >&2; exit 3' sh 'it'\\''s'`);
  const k = await tr.run(h, ['sh', '-c', 'kill -TERM $$']);
  t.is(k.exitCode, null);
  t.is(k.signal, 'SIGTERM');
  const c = await tr.run(h, ['sh', '-c', 'cat; hostname'], { stdin: 'line one\n' });
  t.is(c.stdout, 'line one\nh001\n');
  // no input: the command reads /dev/null (exec.ts NO_INPUT), so no EOF goes on the wire, and a command
  // that reads stdin ends at once; with input, it reads the channel
  t.is((await tr.run(h, ['readlink', '/proc/self/fd/0'])).stdout, '/dev/null\n');
  t.is((await tr.run(h, ['cat'])).stdout, '');
  t.notRegex((await tr.run(h, ['sh', '-c', 'readlink /proc/self/fd/0; cat >/dev/null'], { stdin: 'x' })).stdout, /\/dev\/null/);
  // a shell builtin runs in the session's shell, not exec'ed as the binary of its name (exec.ts
  // sessionWire): the builtin echo prints its argument, GNU's /usr/bin/echo would print its version
  t.is((await tr.run(h, ['echo', '--version'])).stdout, '--version\n');
  t.regex((await tr.run(h, ['env', 'echo', '--version'])).stdout, /GNU coreutils/, 'the binary, for contrast');
});

test.serial('a command timeout kills the remote command and names host, command and timeout', async (t) => {
  if (!requireRoot(t)) return;
  const { tr, host, lab } = await setup(t);
  const h = host('h002');
  const marker = `sleep 30 # ${randomBytes(4).toString('hex')}`;
  const err = await t.throwsAsync(tr.run(h, ['sh', '-c', marker], { timeoutMs: 1000 }), { instanceOf: TransportError });
  t.is(err?.kind, 'timeout');
  t.true(err?.message.startsWith('h002: '));
  t.true(err?.message.includes(marker));
  t.true(err?.message.includes('1000 ms'));
  // the remote shell is gone, and the connection still works
  const gone = await eventually(async () => (await lab.exec('h002', ['pgrep', '-f', marker])).code === 1);
  t.true(gone, 'the timed-out command still runs on the host');
  t.is((await tr.run(h, ['true'])).exitCode, 0);
  // the same through sudo: the root-owned process dies too
  const kube = host('h002', { user: 'kube', sudo: 'nopasswd' });
  const m2 = `sleep 31 # ${randomBytes(4).toString('hex')}`;
  const e2 = await t.throwsAsync(tr.run(kube, ['sh', '-c', m2], { timeoutMs: 1000 }), { instanceOf: TransportError });
  t.is(e2?.kind, 'timeout');
  t.true(await eventually(async () => (await lab.exec('h002', ['pgrep', '-f', m2])).code === 1), 'the sudo command survived');
});

test.serial('an abort signal stops a running command', async (t) => {
  if (!requireRoot(t)) return;
  const { tr, host } = await setup(t);
  const ac = new AbortController();
  const p = tr.run(host('h003'), ['sleep', '30'], { signal: ac.signal });
  setTimeout(() => ac.abort(), 300);
  const err = await t.throwsAsync(p, { instanceOf: TransportError });
  t.is(err?.kind, 'aborted');
});

test.serial('output is bounded: the head is kept, the rest counted', async (t) => {
  if (!requireRoot(t)) return;
  const { tr, host } = await setup(t);
  const r = await tr.run(host('h004'), ['sh', '-c', 'seq 1 200000; echo done >&2'], { maxOutputBytes: 1000 });
  t.is(Buffer.byteLength(r.stdout), 1000);
  t.true(r.stdout.startsWith('1\n2\n3\n'));
  t.is(r.stderr, 'done\n');
  t.true(r.truncated);
  t.is(r.exitCode, 0);
});

test.serial('secrets are redacted from outputs, commands and events', async (t) => {
  if (!requireRoot(t)) return;
  const { tr, host, events } = await setup(t);
  const value = `tok-${randomBytes(8).toString('hex')}`;
  const s = new Secret('test-token', value);
  const r = await tr.run(host('h005'), ['sh', '-c', 'echo "got $1"; echo "err $1" >&2', 'sh', s]);
  t.is(r.stdout, 'got <test-token>\n');
  t.is(r.stderr, 'err <test-token>\n');
  t.true(r.command.includes('<test-token>'));
  t.false(JSON.stringify([r, events]).includes(value));
});

test.serial('sudo nopasswd (kube): root through sudo -n, the login user with sudo:false, sudo none runs as kube', async (t) => {
  if (!requireRoot(t)) return;
  const { tr, host } = await setup(t);
  const kube = host('h006', { user: 'kube', sudo: 'nopasswd' });
  t.is((await tr.run(kube, ['id', '-un'])).stdout, 'root\n');
  t.is((await tr.run(kube, ['id', '-un'], { sudo: false })).stdout, 'kube\n');
  t.is((await tr.run(host('h006', { user: 'kube', sudo: 'none' }), ['id', '-un'])).stdout, 'kube\n');
  // stdin reaches the command through sudo
  t.is((await tr.run(kube, ['cat'], { stdin: 'through sudo\n' })).stdout, 'through sudo\n');
});

test.serial('sudo with a password (kubepw): asked once, only on stdin, never in a result or event', async (t) => {
  if (!requireRoot(t)) return;
  let asked = 0;
  const { tr, host, events } = await setup(t, {
    sudoPassword: async () => {
      asked++;
      return SUDO_PW;
    },
  });
  const pw = host('h001', { user: 'kubepw', sudo: 'password' });
  const rs = await Promise.all([
    tr.run(pw, ['id', '-un']),
    tr.run(pw, ['cat'], { stdin: 'own stdin\n' }),
    tr.run(pw, ['sh', '-c', 'cat /proc/$$/cmdline | tr "\\0" " "; ps -eo args']),
  ]);
  t.is(asked, 1);
  t.is(rs[0].stdout, 'root\n');
  t.is(rs[1].stdout, 'own stdin\n');
  t.false(rs[2].stdout.includes(SUDO_PW), 'the password is on no command line on the host');
  const all = JSON.stringify([rs, events]);
  t.false(all.includes(SUDO_PW));
  // file transfer through the password sudo too
  const data = randomBytes(4096);
  await tr.upload(pw, '/root/pw-upload.bin', data, { mode: 0o600 });
  t.true((await tr.download(pw, '/root/pw-upload.bin')).equals(data));
});

test.serial('a wrong sudo password is refused with kind sudo, the password nowhere', async (t) => {
  if (!requireRoot(t)) return;
  const wrong = `wrong-${randomBytes(6).toString('hex')}`;
  let asked = 0;
  const { tr, host, events } = await setup(t, {
    sudoPassword: async () => {
      asked++;
      return wrong;
    },
  });
  const pw = host('h001', { user: 'kubepw', sudo: 'password' });
  const results = await Promise.allSettled([tr.run(pw, ['id']), tr.run(pw, ['cat'], { stdin: 'secret-ish stdin\n' })]);
  t.is(asked, 1);
  for (const r of results) {
    t.is(r.status, 'rejected');
    if (r.status === 'rejected') {
      t.true(r.reason instanceof TransportError);
      t.is((r.reason as TransportError).kind, 'sudo');
      t.regex((r.reason as Error).message, /^h001: sudo as kubepw: .*wrong password/);
      t.false((r.reason as Error).message.includes(wrong));
    }
  }
  t.false(JSON.stringify(events).includes(wrong));
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test.serial(
  'sudo: password in the inventory but NOPASSWD on the host (kube): the password is never sent; cat and uploads get exactly their own input',
  async (t) => {
    if (!requireRoot(t)) return;
    const PW = `never-sent-${randomBytes(6).toString('hex')}`;
    const { tr, host, lab, events } = await setup(t, { sudoPassword: async () => PW });
    const h = host('h009', { user: 'kube', sudo: 'password' });
    t.is((await tr.run(h, ['id', '-un'])).stdout, 'root\n');
    t.is((await tr.run(h, ['cat'], { stdin: 'own input\n' })).stdout, 'own input\n');
    t.is((await tr.run(h, ['wc', '-c'], { stdin: '' })).stdout.trim(), '0', 'empty input stays empty');
    t.is((await tr.run(h, ['wc', '-c'])).stdout.trim(), '0', 'no input at all: nothing on stdin');
    const bin = Buffer.concat([Buffer.from([0, 10, 13, 255]), randomBytes(70_000), Buffer.from('\n')]);
    t.is((await tr.run(h, ['sha256sum'], { stdin: bin })).stdout.split(' ')[0], sha(bin), 'binary input byte for byte');
    await tr.upload(h, '/etc/kubemend-nopw.bin', bin, { mode: 0o600 });
    t.is((await lab.exec('h009', ['sha256sum', '/etc/kubemend-nopw.bin'])).stdout.split(' ')[0], sha(bin));
    t.true((await tr.download(h, '/etc/kubemend-nopw.bin')).equals(bin));
    await tr.upload(h, '/etc/kubemend-nopw.empty', Buffer.alloc(0), { mode: 0o600 });
    t.is((await lab.exec('h009', ['stat', '-c', '%s %a %U', '/etc/kubemend-nopw.empty'])).stdout.trim(), '0 600 root');
    t.false(JSON.stringify(events).includes(PW));
  },
);

test.serial('sudo: a cached login (kubepw, timestamp_type=global): later commands get exactly their own input, the password line never', async (t) => {
  if (!requireRoot(t)) return;
  const { tr, host, lab } = await setup(t, { sudoPassword: async () => SUDO_PW });
  const conf = '/etc/sudoers.d/zz-kubemend-cached';
  const set = await lab.exec('h001', ['sh', '-c', `echo 'Defaults:kubepw timestamp_type=global' > ${conf} && chmod 0440 ${conf}`]);
  t.is(set.code, 0, set.stderr);
  t.teardown(async () => void (await lab.exec('h001', ['rm', '-rf', conf, '/run/sudo/ts/kubepw'])));
  const pw = host('h001', { user: 'kubepw', sudo: 'password' });
  t.is((await tr.run(pw, ['id', '-un'])).stdout, 'root\n');
  // the login is cached now: sudo on this host would not ask again
  t.is((await lab.exec('h001', ['runuser', '-u', 'kubepw', '--', 'sudo', '-n', 'true'])).code, 0, 'the login was not cached: this test would prove nothing');
  t.is((await tr.run(pw, ['cat'], { stdin: 'after a cached login\n' })).stdout, 'after a cached login\n');
  const bin = Buffer.concat([randomBytes(5000), Buffer.from([0, 10])]);
  await tr.upload(pw, '/root/cached-upload.bin', bin, { mode: 0o600 });
  t.is((await lab.exec('h001', ['sha256sum', '/root/cached-upload.bin'])).stdout.split(' ')[0], sha(bin));
  t.is((await tr.run(pw, ['wc', '-c'], { stdin: '' })).stdout.trim(), '0');
});

test.serial("an upload through sudo cut by its timeout leaves no temp file (SIGKILL skips the script's trap: the transport removes it)", async (t) => {
  if (!requireRoot(t)) return;
  const lab = await getLab();
  const inv = labInventory(lab, { connectTimeoutMs: 90_000, commandTimeoutMs: 8000 });
  const tr = createSshTransport(inv);
  t.teardown(() => tr.close());
  const kube = hostOf(inv, 'h010', { user: 'kube', sudo: 'nopasswd' });
  t.is((await tr.run(kube, ['sh', '-c', 'rm -f /etc/kubemend-cut*'])).exitCode, 0); // connected before the link is slowed
  const unslow = async () => void (await lab.lab(['fault', 'unslow', 'h010']));
  t.teardown(unslow);
  const slow = await lab.lab(['fault', 'slow', 'h010']);
  t.is(slow.code, 0, slow.stderr);
  // 4 MiB at 1 Mbit/s: still under way when the 8 s timeout comes
  const up = tr.upload(kube, '/etc/kubemend-cut.key', randomBytes(4 << 20), { mode: 0o600 });
  up.catch(() => undefined);
  const tmpName = async () => /kubemend-cut\.key\.kubemend-[0-9a-f]+\.tmp/.exec((await lab.exec('h010', ['ls', '/etc'])).stdout)?.[0];
  t.true(await eventually(async () => (await tmpName()) !== undefined, 60), 'the upload never started writing: this test would prove nothing');
  // freeze the upload's cat (its reads stop, so the SSH window fills and no more data is on the wire), then free the link:
  // the timeout's kill and the clean-up then reach the host at once instead of queueing behind megabytes of upload
  const tmp = (await tmpName())!;
  const stop = await lab.exec('h010', ['sh', '-c', 'for p in $(pgrep -f "$1"); do pkill -STOP -P "$p" -x cat; done; exit 0', 'sh', tmp]);
  t.is(stop.code, 0, stop.stderr);
  await unslow();
  const err = await t.throwsAsync(up, { instanceOf: TransportError });
  t.is(err?.kind, 'timeout');
  t.deepEqual(
    (await lab.exec('h010', ['ls', '/etc'])).stdout.split('\n').filter((f) => f.startsWith('kubemend-cut')),
    [],
    'part of the file is left on the host',
  );
});

test.serial('upload and download over SFTP as root: bytes, mode and owner as asked', async (t) => {
  if (!requireRoot(t)) return;
  const { tr, host, lab } = await setup(t);
  const h = host('h007');
  const data = randomBytes(300_000);
  await tr.upload(h, '/root/blob.bin', data, { mode: 0o640, owner: 'kube:kube' });
  const st = await lab.exec('h007', ['stat', '-c', '%a %U %G %s', '/root/blob.bin']);
  t.is(st.stdout.trim(), `640 kube kube ${data.length}`);
  t.true((await tr.download(h, '/root/blob.bin')).equals(data));
  // a second upload replaces the file atomically and leaves no temp file behind
  await tr.upload(h, '/root/blob.bin', 'v2\n', { mode: 0o600 });
  t.is((await tr.download(h, '/root/blob.bin')).toString(), 'v2\n');
  const ls = await lab.exec('h007', ['ls', '-a', '/root']);
  t.false(ls.stdout.includes('.tmp'));
  const err = await t.throwsAsync(tr.download(h, '/root/nope'), { instanceOf: TransportError });
  t.is(err?.kind, 'sftp');
  t.regex(err?.message ?? '', /^h007: download \/root\/nope: /);
});

test.serial('upload and download through sudo -n (kube): root-owned file, binary bytes intact', async (t) => {
  if (!requireRoot(t)) return;
  const { tr, host, lab } = await setup(t);
  const kube = host('h008', { user: 'kube', sudo: 'nopasswd' });
  const data = Buffer.concat([randomBytes(70_000), Buffer.from([0, 255, 10, 13, 0])]);
  await tr.upload(kube, '/etc/kubemend-test.bin', data, { mode: 0o600 });
  t.is((await lab.exec('h008', ['stat', '-c', '%a %U', '/etc/kubemend-test.bin'])).stdout.trim(), '600 root');
  t.true((await tr.download(kube, '/etc/kubemend-test.bin')).equals(data));
  await tr.upload(kube, '/etc/kubemend-owned', 'x', { mode: 0o644, owner: 'kube' });
  t.is((await lab.exec('h008', ['stat', '-c', '%a %U', '/etc/kubemend-owned'])).stdout.trim(), '644 kube');
  const err = await t.throwsAsync(tr.upload(kube, '/nonexistent-dir/x', 'x'), { instanceOf: TransportError });
  t.regex(err?.message ?? '', /^h008: upload \/nonexistent-dir\/x .*through sudo: exit/);
});

/** A copy of the lab's known_hosts for one test. */
function knownHostsCopy(lab: Lab, name: string): string {
  mkdirSync(join(DIR, 'kh'), { recursive: true });
  const f = join(DIR, 'kh', name);
  copyFileSync(lab.knownHosts, f);
  return f;
}

function labKey(lab: Lab, address: string): Buffer {
  const line = readFileSync(lab.knownHosts, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${address} `));
  if (!line) throw new Error(`${address} is not in ${lab.knownHosts}`);
  return Buffer.from(line.split(' ')[2]!, 'base64');
}

test.serial('a changed host key is refused with both fingerprints, even with acceptNewHostKeys', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await getLab();
  const kh = knownHostsCopy(lab, 'changed');
  const target = lab.hosts[9]!; // h010
  const other = lab.hosts[10]!;
  // h010's line now holds h011's key
  const text = readFileSync(kh, 'utf8').replace(
    new RegExp(`^${target.address.replace(/\./g, '\\.')} .*$`, 'm'),
    readFileSync(kh, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${other.address} `))!
      .replace(other.address, target.address),
  );
  writeFileSync(kh, text);
  const { tr, host, events } = await setup(t, { acceptNewHostKeys: true }, kh);
  const err = await t.throwsAsync(tr.run(host('h010'), ['true']), { instanceOf: TransportError });
  t.is(err?.kind, 'host-key-changed');
  t.true(err?.message.includes(fingerprint(labKey(lab, other.address))), 'expected fingerprint named');
  t.true(err?.message.includes(fingerprint(labKey(lab, target.address))), 'offered fingerprint named');
  t.is(readFileSync(kh, 'utf8'), text, 'known_hosts untouched');
  t.true(events.some((e) => e.type === 'connect-fail' && e.kind === 'host-key-changed'));
  // refused again for the next command, without a new handshake
  const again = await t.throwsAsync(tr.run(host('h010'), ['true']), { instanceOf: TransportError });
  t.is(again?.kind, 'host-key-changed');
});

test.serial('an unknown host is refused by default, accepted and recorded with acceptNewHostKeys', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await getLab();
  const kh = knownHostsCopy(lab, 'unknown');
  const target = lab.hosts[11]!; // h012
  const without = readFileSync(kh, 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith(`${target.address} `))
    .join('\n');
  writeFileSync(kh, without);
  const refuse = await setup(t, {}, kh);
  const err = await t.throwsAsync(refuse.tr.run(refuse.host('h012'), ['true']), { instanceOf: TransportError });
  t.is(err?.kind, 'host-key-unknown');
  const fp = fingerprint(labKey(lab, target.address));
  t.true(err?.message.includes(fp));
  t.true(err?.message.includes('--accept-new-host-keys'));
  t.is(readFileSync(kh, 'utf8'), without);

  const accept = await setup(t, { acceptNewHostKeys: true }, kh);
  t.is((await accept.tr.run(accept.host('h012'), ['hostname'])).stdout, 'h012\n');
  const recorded = readFileSync(kh, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(`${target.address} `));
  t.deepEqual(recorded, [`${target.address} ssh-ed25519 ${labKey(lab, target.address).toString('base64')}`]);
  t.true(accept.events.some((e) => e.type === 'host-key-accepted' && e.fingerprint === fp && e.host === 'h012'));
  // a later run trusts it without the flag
  const later = await setup(t, {}, kh);
  t.is((await later.tr.run(later.host('h012'), ['hostname'])).stdout, 'h012\n');
});

test.serial('50 hosts in parallel: one TCP connection per host while several commands run on each', async (t) => {
  if (!requireRoot(t)) return;
  const { tr, inv, lab } = await setup(t);
  const PER_HOST = 6;
  // every command blocks in a sleep of a duration unique to this run (no busy loop), released by pkill
  const dur = `600.${1000 + Math.floor(Math.random() * 8999)}`;
  const pattern = `^sleep ${dur.replace('.', '\\.')}$`;
  const running = inv.hosts.flatMap((h) =>
    Array.from({ length: PER_HOST }, (_, i) => tr.run(h, ['sh', '-c', 'sleep "$1" || true; echo "$2"', 'sh', dur, String(i)], { timeoutMs: 300_000 })),
  );
  // all 300 commands are running on their hosts (the root pid namespace sees the lab's processes)
  const count = async () => Number((await sh(`pgrep -c -f '${pattern}' || true`)).trim());
  const started = await eventually(async () => (await count()) === 50 * PER_HOST, 1800);
  t.true(started, `not every command started (${await count()} of ${50 * PER_HOST})`);
  const counts = await Promise.all(inv.hosts.map(async (h) => [h.name, (await sshdConnections(lab, h.name)).length] as const));
  t.deepEqual(
    counts.filter(([, n]) => n !== 1),
    [],
    'hosts whose sshd does not see exactly one connection',
  );
  await sh(`pkill -f '${pattern}'`);
  const results = await Promise.all(running);
  t.is(results.length, 50 * PER_HOST);
  t.true(results.every((r) => r.exitCode === 0));
  t.is(tr.connections.size, 50);
  t.true([...tr.connections.values()].every((c) => c.connects === 1));
});

test.serial('channels per host are capped at maxChannelsPerHost', async (t) => {
  if (!requireRoot(t)) return;
  const { tr, host, lab } = await setup(t, { maxChannelsPerHost: 3 });
  const h = host('h013');
  const tag = randomBytes(4).toString('hex');
  const runs = Array.from({ length: 8 }, () => tr.run(h, ['sh', '-c', `sleep 1 # ${tag}`]));
  let max = 0;
  const done = Promise.all(runs);
  let finished = false;
  void done.then(() => (finished = true));
  while (!finished) {
    const r = await lab.exec('h013', ['pgrep', '-c', '-f', `sleep 1 # ${tag}`]);
    max = Math.max(max, Number(r.stdout.trim() || '0'));
    await new Promise((r) => setTimeout(r, 50));
  }
  await done;
  t.true(max >= 1 && max <= 3, `at most 3 at once on the host, saw ${max}`);
});

test.serial('a dropped connection fails the running command and is made again for the next one', async (t) => {
  if (!requireRoot(t)) return;
  const { tr, host, lab, events } = await setup(t);
  const h = host('h014');
  t.is((await tr.run(h, ['true'])).exitCode, 0);
  const p = tr.run(h, ['sleep', '30']);
  await eventually(async () => (await lab.exec('h014', ['pgrep', '-x', 'sleep'])).code === 0);
  // kill the session's sshd processes on the host (not the listener, whose pid is in /run/sshd.pid)
  const k = await lab.exec('h014', ['sh', '-c', 'for p in $(pgrep -x sshd); do [ "$p" = "$(cat /run/sshd.pid)" ] || kill -9 "$p"; done']);
  t.is(k.code, 0);
  const err = await t.throwsAsync(p, { instanceOf: TransportError });
  t.is(err?.kind, 'disconnected');
  t.true(events.some((e) => e.type === 'disconnected' && e.host === 'h014'));
  t.is((await tr.run(h, ['hostname'])).stdout, 'h014\n');
  const conn = [...tr.connections.values()].find((c) => c.target.name === 'h014');
  t.is(conn?.connects, 2);
});

test.serial('connect failures name the host and what failed', async (t) => {
  if (!requireRoot(t)) return;
  const { tr, host } = await setup(t);
  const refused = await t.throwsAsync(tr.run(host('h015', { port: 2 }), ['true']), { instanceOf: TransportError });
  t.is(refused?.kind, 'connect');
  t.regex(refused?.message ?? '', new RegExp(`^h015: connect to root@${host('h015').address.replace(/\./g, '\\.')}:2: .*ECONNREFUSED`));
  const auth = await t.throwsAsync(tr.run(host('h015', { user: 'nobody-here' }), ['true']), { instanceOf: TransportError });
  t.is(auth?.kind, 'auth');
  t.regex(auth?.message ?? '', /^h015: connect to nobody-here@.*authentication failed/);
});

test.serial('close() ends every connection and the process exits on its own', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await getLab();
  const script = `
    import { createSshTransport } from ${JSON.stringify(new URL('../../lib/transport/ssh.ts', import.meta.url).pathname)};
    import { labInventory } from ${JSON.stringify(new URL('./fixture.ts', import.meta.url).pathname)};
    const lab = ${JSON.stringify({ dir: lab.dir, hosts: lab.hosts.slice(0, 5), key: lab.key, knownHosts: lab.knownHosts })};
    const inv = labInventory(lab, { connectTimeoutMs: 90000 });
    const tr = createSshTransport(inv);
    const f = await tr.forward(inv.hosts[0], '127.0.0.1', 22);
    const rs = await Promise.all(inv.hosts.map((h) => tr.run(h, ['hostname'])));
    console.log(rs.map((r) => r.stdout.trim()).join(','), f.localPort > 0);
    await tr.close();
  `;
  const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const c = spawn(process.execPath, ['--import=tsx', '--input-type=module', '-e', script]);
    let out = '';
    let err = '';
    const killer = setTimeout(() => c.kill('SIGKILL'), 240_000);
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    c.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, out, err });
    });
  });
  t.is(r.code, 0, `the child did not exit by itself: ${r.err}`);
  t.is(r.out.trim(), 'h001,h002,h003,h004,h005 true');
});
