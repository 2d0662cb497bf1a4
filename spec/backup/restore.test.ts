/**
 * backup then restore on a lab cluster (1 master, 1 worker, net 95), through the CLI over real ssh:
 * the etcd snapshot is pulled with a matching sha256 and is a valid snapshot; a damaged
 * /etc/kubernetes of w1 comes back byte for byte, the damaged copy kept aside, m1 untouched; a
 * corrupt archive, an unknown run, a missing --limit and a run without --yes or terminal are
 * refused with exit 2 and change nothing.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readJournal } from '../../lib/core/journal.js';
import { requireRoot, runLab, sharedLab, type Lab } from '../helpers/lab.js';
import { MAIN, cli } from '../cli/run-cli.js';

const LAB = { masters: 1, workers: 1, net: 95, dir: '/tmp/h-restore/lab' };
const exec = promisify(execFile);
mkdirSync('/tmp/h-restore', { recursive: true });
const STATE = tempDir('/tmp/h-restore/state-');

/** Every file (sha256 and mode) and symlink (target) under the folders a backup keeps, one line each. */
const FINGERPRINT = `find /etc/kubernetes /var/lib/kubelet/pki \\( -type f -o -type l \\) 2>/dev/null | sort | while read -r f; do
  if [ -L "$f" ]; then echo "link $f -> $(readlink "$f")"; else echo "file $f $(stat -c %a "$f") $(sha256sum < "$f" | cut -c1-64)"; fi
done`;

async function fingerprint(lab: Lab, host: string): Promise<string> {
  const r = await lab.exec(host, ['sh', '-c', FINGERPRINT]);
  if (r.code !== 0) throw new Error(`fingerprint ${host}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let backupRun = '';

test.before(async () => {
  if (process.getuid?.() !== 0) return; // each test fails on its own through requireRoot
  await sharedLab(LAB);
});

test.after.always(async () => {
  if (process.getuid?.() !== 0) return;
  await runLab(['down', '--dir', LAB.dir]);
  rmSync(STATE, { recursive: true, force: true }); // pulled archives hold the lab's private keys
});

test.serial('backup --limit m1,w1: archives of both hosts and an etcd snapshot pulled with matching sha256; the snapshot is valid', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await sharedLab(LAB);
  const r = await cli(MAIN, ['run', 'backup', '-i', lab.inventoryPath, '--yes', '--limit', 'm1,w1', '--state-dir', STATE]);
  t.is(r.code, 0, r.stdout + r.stderr);
  backupRun = (/done in \S+ \(run (\S+)\)/.exec(r.stdout) ?? [])[1] ?? '';
  t.regex(backupRun, /^\d{8}-\d{6}-[0-9a-f]{4}$/);
  const dir = join(STATE, backupRun, 'backups');
  for (const f of ['m1.tar.gz', 'w1.tar.gz', 'etcd-snapshot.db']) {
    const data = readFileSync(join(dir, f));
    t.is(readFileSync(join(dir, `${f}.sha256`), 'utf8').split(/\s/)[0], sha(data), `${f} matches its sha256`);
  }
  const st = await exec('/usr/bin/etcdctl', ['snapshot', 'status', join(dir, 'etcd-snapshot.db'), '-w', 'json'], { env: { ...process.env, ETCDCTL_API: '3' } });
  const status = JSON.parse(st.stdout) as { revision: number; totalKey: number };
  t.true(status.totalKey > 10, `the snapshot holds the cluster's keys (${st.stdout.trim()})`);
  const ls = await lab.exec('m1', ['ls', '/var/lib/etcd/member/snap/db']);
  t.is(ls.code, 0, 'etcd data left in place on m1');
});

test.serial("restore --limit w1 puts back w1's damaged /etc/kubernetes exactly, keeps the damaged copy aside, leaves m1 alone", async (t) => {
  if (!requireRoot(t)) return;
  t.truthy(backupRun, 'the backup test ran first');
  const lab = await sharedLab(LAB);
  const before = await fingerprint(lab, 'w1');
  const m1Before = await fingerprint(lab, 'm1');
  t.regex(before, /file \/etc\/kubernetes\/pki\/ca.crt /);
  const damage = await lab.exec('w1', [
    'sh',
    '-c',
    'rm /etc/kubernetes/pki/ca.crt && echo "# damaged" >> /etc/kubernetes/kubelet.conf && sha256sum < /etc/kubernetes/kubelet.conf | cut -c1-64',
  ]);
  t.is(damage.code, 0, damage.stderr);
  t.not(await fingerprint(lab, 'w1'), before, 'the damage shows');

  const r = await cli(MAIN, ['restore', '-i', lab.inventoryPath, '--run', backupRun, '--limit', 'w1', '--yes', '--state-dir', STATE]);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.is(await fingerprint(lab, 'w1'), before, 'every file, mode and link as before the damage');
  t.is(await fingerprint(lab, 'm1'), m1Before, 'm1 untouched');

  const aside = (/kept on w1 in (\S+)/.exec(r.stdout) ?? [])[1] ?? '';
  t.regex(aside, /^\/var\/backups\/kubemend\/\S+\/replaced$/, r.stdout);
  const kept = await lab.exec('w1', [
    'sh',
    '-c',
    `sha256sum < "$1/etc/kubernetes/kubelet.conf" | cut -c1-64; [ ! -e "$1/etc/kubernetes/pki/ca.crt" ] && echo no-ca`,
    'sh',
    aside,
  ]);
  t.is(kept.stdout, `${damage.stdout.trim()}\nno-ca\n`, 'the damaged folder was moved aside as it was');

  const restoreRun = (/done in \S+ \(run (\S+)\)/.exec(r.stdout) ?? [])[1] ?? '';
  const events = readJournal(join(STATE, restoreRun, 'journal.jsonl'));
  t.like(events[0], { kind: 'run-start', playbook: 'restore', options: { fromRun: backupRun }, selection: { limit: 'w1' } });
  t.like(events.at(-1), { kind: 'run-end', status: 'done' });
});

test.serial('a corrupt archive is refused with exit 2 before w1 is contacted: nothing changes', async (t) => {
  if (!requireRoot(t)) return;
  t.truthy(backupRun, 'the backup test ran first');
  const lab = await sharedLab(LAB);
  const archive = join(STATE, backupRun, 'backups', 'w1.tar.gz');
  const saved = `${archive}.good`;
  copyFileSync(archive, saved);
  try {
    const bytes = readFileSync(archive);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(archive, bytes);
    const before = await fingerprint(lab, 'w1');
    const backups = await lab.exec('w1', ['sh', '-c', 'find /var/backups/kubemend | sort']);
    const r = await cli(MAIN, ['restore', '-i', lab.inventoryPath, '--run', backupRun, '--limit', 'w1', '--yes', '--state-dir', STATE]);
    t.is(r.code, 2, r.stdout + r.stderr);
    t.regex(r.stderr, /w1.*sha256.*damaged; nothing was changed/);
    t.is(await fingerprint(lab, 'w1'), before);
    t.is((await lab.exec('w1', ['sh', '-c', 'find /var/backups/kubemend | sort'])).stdout, backups.stdout, 'nothing uploaded or moved');
  } finally {
    copyFileSync(saved, archive);
  }
});

test.serial('an unknown run, a missing --limit, and no --yes without a terminal: exit 2 with the reason', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await sharedLab(LAB);
  const runsBefore = readdirSync(STATE).sort();
  t.truthy(backupRun, 'the backup test ran first');
  const restore = (...args: string[]) => cli(MAIN, ['restore', '-i', lab.inventoryPath, '--state-dir', STATE, ...args]);
  // independent refusals (no host contacted): run together to save CLI start-ups
  const [unknown, noLimit, noYes] = await Promise.all([
    restore('--run', '20200101-000000-dead', '--limit', 'w1', '--yes'),
    restore('--run', backupRun, '--yes'),
    restore('--run', backupRun, '--limit', 'w1'),
  ]);
  t.is(unknown.code, 2, unknown.stderr);
  t.regex(unknown.stderr, /no run 20200101-000000-dead .*nothing was changed/);
  t.is(noLimit.code, 2, noLimit.stderr);
  t.regex(noLimit.stderr, /missing --limit .*never picks all hosts/);
  t.is(noYes.code, 2, noYes.stderr);
  t.regex(noYes.stderr, /needs confirmation, but there is no terminal/);
  t.deepEqual(readdirSync(STATE).sort(), runsBefore, 'no run folder made by a refused restore');
});

test.serial(
  'encrypted backups: only ciphertext pulled (archives and snapshot), the passphrase nowhere; restore refuses without it and restores w1 with it',
  async (t) => {
    if (!requireRoot(t)) return;
    const lab = await sharedLab(LAB);
    const pass = `restore-test-${createHash('sha256').update(String(Date.now())).digest('hex').slice(0, 12)}`;
    const passFile = join(tempDir('/tmp/h-restore/pass-'), 'passphrase');
    writeFileSync(passFile, `${pass}\n`, { mode: 0o600 });
    const r = await cli(MAIN, [
      'run',
      'backup',
      '-i',
      lab.inventoryPath,
      '--yes',
      '--limit',
      'm1,w1',
      '--state-dir',
      STATE,
      '--backup-passphrase-file',
      passFile,
    ]);
    t.is(r.code, 0, r.stdout + r.stderr);
    const run = (/done in \S+ \(run (\S+)\)/.exec(r.stdout) ?? [])[1] ?? '';
    const dir = join(STATE, run, 'backups');
    t.deepEqual(
      readdirSync(dir)
        .filter((f) => !f.endsWith('.sha256') && f !== 'ENCRYPTED.txt')
        .sort(),
      ['etcd-snapshot.db.enc', 'm1.tar.gz.enc', 'w1.tar.gz.enc'],
    );
    for (const f of ['m1.tar.gz.enc', 'w1.tar.gz.enc', 'etcd-snapshot.db.enc']) {
      t.is(readFileSync(join(dir, f)).subarray(0, 8).toString('latin1'), 'Salted__', `${f} is openssl-encrypted`);
    }
    // an operator decrypts by hand with openssl and checks it against the sha256 kubemend kept
    const plain = join(tempDir('/tmp/h-restore/plain-'), 'm1.tar.gz');
    await exec('openssl', [
      'enc',
      '-d',
      '-aes-256-cbc',
      '-pbkdf2',
      '-iter',
      '200000',
      '-md',
      'sha256',
      '-pass',
      `file:${passFile}`,
      '-in',
      join(dir, 'm1.tar.gz.enc'),
      '-out',
      plain,
    ]);
    t.is(sha(readFileSync(plain)), readFileSync(join(dir, 'm1.tar.gz.sha256'), 'utf8').split(/\s/)[0]);
    rmSync(plain);
    const logs = [r.stdout, r.stderr, readFileSync(join(STATE, run, 'journal.jsonl'), 'utf8'), readFileSync(join(STATE, run, 'run.log'), 'utf8')].join('\n');
    t.false(logs.includes(pass), 'the passphrase reached an output, the journal or the log');

    const before = await fingerprint(lab, 'w1');
    await lab.exec('w1', ['sh', '-c', 'echo "# damaged" >> /etc/kubernetes/kubelet.conf']);
    const without = await cli(MAIN, ['restore', '-i', lab.inventoryPath, '--run', run, '--limit', 'w1', '--yes', '--state-dir', STATE]);
    t.is(without.code, 2, without.stderr);
    t.regex(without.stderr, /w1\.tar\.gz\.enc is encrypted: pass --backup-passphrase-file/);
    const withIt = await cli(MAIN, [
      'restore',
      '-i',
      lab.inventoryPath,
      '--run',
      run,
      '--limit',
      'w1',
      '--yes',
      '--state-dir',
      STATE,
      '--backup-passphrase-file',
      passFile,
    ]);
    t.is(withIt.code, 0, withIt.stdout + withIt.stderr);
    t.is(await fingerprint(lab, 'w1'), before, 'w1 restored from the encrypted archive');
    t.false((withIt.stdout + withIt.stderr).includes(pass));
  },
);
