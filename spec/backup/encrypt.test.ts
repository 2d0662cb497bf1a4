/**
 * Encrypted pulled backups (`--backup-passphrase-file`): openssl-compatible both ways (an operator
 * decrypts with the openssl CLI alone), nothing but ciphertext on disk, 0600 even under umask 0,
 * restore decrypts and checks the sha256, a wrong or missing passphrase refused without naming it,
 * and a passphrase file others can read refused before any host is contacted.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pullArchive } from '../../lib/backup/archive.js';
import { BACKUP_KDF_ITER, decryptBackup, encryptBackup, readPassphraseFile } from '../../lib/backup/encrypt.js';
import { archivedHosts, pulledArchive } from '../../lib/backup/restore.js';
import { parseOptions } from '../../lib/core/options.js';
import { redact } from '../../lib/shell/secret.js';
import type { HostContext } from '../../lib/core/types.js';
import backup from '../../playbooks/backup.js';
import { underUmask } from '../helpers/umask.js';

const PASS = `pass phrase ${randomBytes(6).toString('hex')}`;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function passFile(content = `${PASS}\n`, mode = 0o600): string {
  const f = join(tempDir(join(tmpdir(), 'km-pass-')), 'passphrase');
  writeFileSync(f, content, { mode });
  return f;
}

test('encryptBackup output is decrypted by the openssl CLI, and openssl enc output by decryptBackup', async (t) => {
  const file = passFile();
  const { passphrase } = readPassphraseFile(file);
  const data = Buffer.concat([randomBytes(100_000), Buffer.from([0, 10])]);
  const dir = tempDir(join(tmpdir(), 'km-enc-'));
  writeFileSync(join(dir, 'x.enc'), await encryptBackup(data, passphrase));
  execFileSync('openssl', [
    'enc',
    '-d',
    '-aes-256-cbc',
    '-pbkdf2',
    '-iter',
    String(BACKUP_KDF_ITER),
    '-md',
    'sha256',
    '-pass',
    `file:${file}`,
    '-in',
    join(dir, 'x.enc'),
    '-out',
    join(dir, 'x'),
  ]);
  t.deepEqual(readFileSync(join(dir, 'x')), data);
  writeFileSync(join(dir, 'y'), data);
  execFileSync('openssl', [
    'enc',
    '-aes-256-cbc',
    '-pbkdf2',
    '-iter',
    String(BACKUP_KDF_ITER),
    '-md',
    'sha256',
    '-salt',
    '-pass',
    `file:${file}`,
    '-in',
    join(dir, 'y'),
    '-out',
    join(dir, 'y.enc'),
  ]);
  t.deepEqual(decryptBackup(readFileSync(join(dir, 'y.enc')), passphrase, sha(data)), data);
  const wrong = readPassphraseFile(passFile('not it\n')).passphrase;
  const e = t.throws(() => decryptBackup(readFileSync(join(dir, 'y.enc')), wrong, sha(data)), { message: /wrong passphrase or a damaged file/ });
  t.false(e!.message.includes('not it'));
  // CBC has no integrity check: about one wrong passphrase in 256 passes the padding check and
  // yields noise. Here the padding passes for certain (bytes made under that passphrase), and
  // only the plaintext's checksum refuses them.
  const noise = await encryptBackup(randomBytes(1000), wrong);
  t.throws(() => decryptBackup(noise, wrong, sha(data)), { message: /^cannot decrypt: wrong passphrase or a damaged file$/ });
  t.is(redact(`leak ${PASS}`), 'leak <backup-passphrase>', 'the passphrase is a registered secret');
});

test('a passphrase file others can read, an empty one or a missing one is refused; the option is checked when parsed', (t) => {
  t.throws(() => readPassphraseFile(passFile(`${PASS}\n`, 0o644)), { message: /readable by others \(mode 644\): chmod 600/ });
  t.throws(() => readPassphraseFile(passFile('\nsecond line\n')), { message: /first line is empty/ });
  t.throws(() => readPassphraseFile('/nonexistent/pass'), { message: /ENOENT/ });
  t.throws(() => parseOptions(backup.options, { backupPassphraseFile: passFile(`${PASS}\n`, 0o640) }, 'backup'), {
    message: /--backup-passphrase-file: passphrase file .* readable by others/,
  });
  const ok = passFile();
  t.deepEqual(parseOptions(backup.options, { backupPassphraseFile: ok }, 'backup'), { backupPassphraseFile: ok });
});

test('a pulled archive with a passphrase: only ciphertext on disk (0600 under umask 0), the plaintext sha256 beside it; restore decrypts and checks it', async (t) => {
  const run = tempDir(join(tmpdir(), 'km-pullenc-'));
  const data = Buffer.from(`-----BEGIN PRIVATE KEY-----\nthe CA key inside the archive ${randomBytes(8).toString('hex')}\n`);
  const h = { host: { name: 'm1' }, download: async () => data } as unknown as HostContext;
  const cipher = readPassphraseFile(passFile());
  const file = await underUmask(0, () => pullArchive(h, { path: '/var/backups/kubemend/r1/m1.tar.gz', sha256: sha(data) }, run, cipher));
  t.is(file, join(run, 'backups', 'm1.tar.gz.enc'));
  t.deepEqual(readdirSync(join(run, 'backups')).sort(), ['ENCRYPTED.txt', 'm1.tar.gz.enc', 'm1.tar.gz.sha256']);
  t.regex(
    readFileSync(join(run, 'backups', 'ENCRYPTED.txt'), 'utf8'),
    /openssl enc -d -aes-256-cbc -pbkdf2 -iter 200000 -md sha256 -pass file:\S+passphrase -in FILE\.enc -out FILE/,
  );
  for (const f of readdirSync(join(run, 'backups'))) t.is(statSync(join(run, 'backups', f)).mode & 0o777, 0o600, f);
  t.false(readFileSync(file).includes(Buffer.from('the CA key')), 'plaintext on disk');
  t.deepEqual(archivedHosts(run), ['m1']);
  t.deepEqual(pulledArchive(run, 'm1', cipher).data, data);
  t.throws(() => pulledArchive(run, 'm1'), { code: 'EUSAGE', message: /m1\.tar\.gz\.enc is encrypted: pass --backup-passphrase-file/ } as any);
  t.throws(() => pulledArchive(run, 'm1', readPassphraseFile(passFile('other\n'))), {
    code: 'EUSAGE',
    message: /cannot decrypt: wrong passphrase or a damaged file; nothing was changed/,
  } as any);
});
