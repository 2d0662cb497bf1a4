/** A pulled backup on the laptop: folder 0700, archive and checksum 0600 whatever the umask; a checksum mismatch writes nothing. */
import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pullArchive } from '../../lib/backup/archive.js';
import type { HostContext } from '../../lib/core/types.js';
import { underUmask } from '../helpers/umask.js';

/** Just what pullArchive uses of a host context: the host's name and a download. */
function hostWith(name: string, data: Buffer): HostContext {
  return { host: { name }, download: async () => data } as unknown as HostContext;
}

test.serial('pulled archive and its checksum are 0600 in a 0700 backups folder, even with umask 0', async (t) => {
  const run = tempDir(join(tmpdir(), 'km-pull-'));
  const data = Buffer.from('not really a tarball, but private');
  const sum = createHash('sha256').update(data).digest('hex');
  const file = await underUmask(0, () => pullArchive(hostWith('w1', data), { path: '/var/backups/kubemend/r1/w1.tar.gz', sha256: sum }, run));
  t.is(file, join(run, 'backups', 'w1.tar.gz'));
  t.is(statSync(join(run, 'backups')).mode & 0o777, 0o700);
  t.is(statSync(file).mode & 0o777, 0o600);
  t.is(statSync(`${file}.sha256`).mode & 0o777, 0o600);
  t.deepEqual(readFileSync(file), data);
  t.is(readFileSync(`${file}.sha256`, 'utf8'), `${sum}  w1.tar.gz\n`);
});

test.serial("a download whose sha256 differs from the host's is refused and nothing is written", async (t) => {
  const run = tempDir(join(tmpdir(), 'km-pull-'));
  await t.throwsAsync(pullArchive(hostWith('w2', Buffer.from('truncated')), { path: '/var/backups/kubemend/r1/w2.tar.gz', sha256: '0'.repeat(64) }, run), {
    message: /pull \/var\/backups\/kubemend\/r1\/w2\.tar\.gz: sha256 [0-9a-f]{64} differs from the host's 0{64}/,
  });
  t.false(existsSync(join(run, 'backups', 'w2.tar.gz')));
});
