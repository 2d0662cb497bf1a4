/**
 * Restore without a lab: the local checks that refuse before any host is contacted, and what
 * the restore run sends to a host (fake transport): upload, then one script that checks the
 * sha256 on the host and moves the current folders aside (never deletes them) before extracting.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../../lib/backup/archive.js';
import { RESTORE_SCRIPT, checkRunDir, pulledArchive, restorePlaybook } from '../../lib/backup/restore.js';
import { runPlaybook } from '../../lib/core/runner.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

function runFolder(): string {
  const dir = tempDir(join(tmpdir(), 'kubemend-restore-'));
  mkdirSync(join(dir, 'backups'));
  return dir;
}

test('a run folder without pulled backups, or none at all, is refused with a usage error naming it', (t) => {
  const dir = runFolder();
  t.throws(() => checkRunDir(join(dir, 'nope'), 'nope'), { code: 'EUSAGE', message: /no run nope .*nothing was changed/ } as any);
  t.throws(() => checkRunDir(dir, 'r1'), { message: /run r1 pulled no backup/ });
  writeFileSync(join(dir, 'backups', 'w1.tar.gz'), 'x');
  t.notThrows(() => checkRunDir(dir, 'r1'));
});

test('an archive is refused when missing, without a checksum, or not matching it; accepted when it matches', (t) => {
  const dir = runFolder();
  writeFileSync(join(dir, 'backups', 'm1.tar.gz'), 'archive');
  t.throws(() => pulledArchive(dir, 'w1'), { message: /restore w1: no archive .*backed up m1\)/ });
  t.throws(() => pulledArchive(dir, 'm1'), { message: /no checksum .*m1.tar.gz.sha256/ });
  writeFileSync(join(dir, 'backups', 'm1.tar.gz.sha256'), `${sha256('other')}  m1.tar.gz\n`);
  t.throws(() => pulledArchive(dir, 'm1'), { code: 'EUSAGE', message: /damaged; nothing was changed/ } as any);
  writeFileSync(join(dir, 'backups', 'm1.tar.gz.sha256'), `${sha256('archive')}  m1.tar.gz\n`);
  const a = pulledArchive(dir, 'm1');
  t.is(a.sha256, sha256('archive'));
  t.is(a.data.toString(), 'archive');
});

test('restore on a host: uploads, then one script checks the sha256 there and moves the folders aside before extracting; never rm -rf', async (t) => {
  const fake = new FakeTransport();
  const inv = fakeInventory(1, 1);
  const data = Buffer.from('archive');
  const archives = new Map([['w1', { host: 'w1', file: '/s/r0/backups/w1.tar.gz', sha256: sha256(data), data }]]);
  const logs: string[] = [];
  const r = await runPlaybook({
    playbook: restorePlaybook('r0', archives),
    inventory: inv,
    transport: fake,
    hosts: inv.hosts.filter((h) => h.name === 'w1'),
    options: { fromRun: 'r0' },
    dryRun: false,
    runId: 'r1',
    runDir: '/nonexistent',
    sinks: [
      (e) => {
        if (e.kind === 'log') logs.push(e.message);
      },
    ],
  });
  t.is(r.exitCode, 0, JSON.stringify(r.failures));
  t.deepEqual(
    fake.calls.map((c) => c.host),
    ['w1', 'w1', 'w1'],
    'm1 never contacted',
  );
  t.is(fake.calls[0].command, `mkdir -p -m 0700 /var/backups/kubemend/r1`);
  t.deepEqual([fake.calls[1].op, fake.calls[1].command], ['upload', '/var/backups/kubemend/r1/restore-r0.tar.gz']);
  t.deepEqual(fake.files.get('w1:/var/backups/kubemend/r1/restore-r0.tar.gz'), data);
  const script = fake.calls[2].command;
  t.true(script.includes(sha256(data)) && script.includes('sha256sum -c'), 'checked on the host');
  t.true(script.indexOf('mv "/$p" "$aside/$p"') < script.indexOf('tar -xzpf'), 'moved aside before extracting');
  t.true(script.includes('/var/backups/kubemend/r1/replaced'));
  t.false(/rm -r|rm -fr|rm -rf/.test(script), 'nothing deleted but the uploaded archive');
  t.regex(logs.join('\n'), /kept on w1 in \/var\/backups\/kubemend\/r1\/replaced/);
});

/** Run the host-side restore script here (sh) on an archive in a temp folder; paths that exist nowhere, so nothing of this machine is moved. */
function restoreHere(content: Buffer, sum: string): { code: number; dir: string } {
  const dir = tempDir(join(tmpdir(), 'km-restore-script-'));
  const src = join(dir, 'restore-r0.tar.gz');
  writeFileSync(src, content);
  let code = 0;
  try {
    execFileSync('sh', ['-c', RESTORE_SCRIPT, 'sh', src, sum, join(dir, 'replaced'), 'kubemend-test-absent/etc-kubernetes'], { stdio: 'pipe' });
  } catch (e) {
    code = (e as { status: number }).status;
  }
  return { code, dir };
}

test('a failed restore removes its uploaded archive from the host (sha256 mismatch, an archive tar cannot read)', (t) => {
  const bad = restoreHere(Buffer.from('archive'), sha256('other'));
  t.is(bad.code, 3);
  t.deepEqual(readdirSync(bad.dir), [], 'the archive with the CA keys is left on the host');
  const junk = Buffer.from('not a gzip');
  const unreadable = restoreHere(junk, sha256(junk));
  t.not(unreadable.code, 0);
  t.deepEqual(readdirSync(unreadable.dir), []);
});

test('restore on a host whose connection drops after the upload: the uploaded archive is removed before the failure is reported', async (t) => {
  const fake = new FakeTransport().on(/^sh -c/, { transportError: 'disconnected' });
  const inv = fakeInventory(1, 1);
  const data = Buffer.from('archive');
  const archives = new Map([['w1', { host: 'w1', file: '/s/r0/backups/w1.tar.gz', sha256: sha256(data), data }]]);
  const r = await runPlaybook({
    playbook: restorePlaybook('r0', archives),
    inventory: inv,
    transport: fake,
    hosts: inv.hosts.filter((h) => h.name === 'w1'),
    options: { fromRun: 'r0' },
    dryRun: false,
    runId: 'r1',
    runDir: '/nonexistent',
    sinks: [],
  });
  t.is(r.exitCode, 1);
  t.is(fake.calls.at(-1)?.command, 'rm -f -- /var/backups/kubemend/r1/restore-r0.tar.gz');
});
