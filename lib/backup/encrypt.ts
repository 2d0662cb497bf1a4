/**
 * Optional encryption of the backups pulled to this machine (`--backup-passphrase-file FILE`):
 * AES-256-CBC with a key from PBKDF2-SHA256 over the passphrase and a random salt per file, in
 * `openssl enc` format (`Salted__`, salt, ciphertext), so an operator can decrypt without kubemend:
 *
 *   openssl enc -d -aes-256-cbc -pbkdf2 -iter 200000 -md sha256 -pass file:PASSFILE -in m1.tar.gz.enc -out m1.tar.gz
 *
 * The plaintext is never written to disk; its sha256 (kept beside, as for plain backups) is
 * checked by decryptBackup, which is what catches a wrong passphrase. The passphrase is a Secret.
 */
import { createCipheriv, createDecipheriv, createHash, pbkdf2, pbkdf2Sync, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { Secret } from '../shell/secret.js';
import type { PhaseContext } from '../core/types.js';
import { sharedKey } from '../core/shared.js';

const derive = promisify(pbkdf2);

/** PBKDF2 iterations (openssl's `-iter`). */
export const BACKUP_KDF_ITER = 200_000;
/** The suffix of an encrypted backup file. */
export const ENCRYPTED_SUFFIX = '.enc';
/** The command that decrypts one file by hand (FILE without `.enc`). */
export const DECRYPT_COMMAND = `openssl enc -d -aes-256-cbc -pbkdf2 -iter ${BACKUP_KDF_ITER} -md sha256 -pass file:PASSFILE -in FILE${ENCRYPTED_SUFFIX} -out FILE`;

const MAGIC = Buffer.from('Salted__', 'latin1');

/** A passphrase for pulled backups, with the file it came from. */
export interface BackupCipher {
  file: string;
  passphrase: Secret;
}

/**
 * Read a passphrase file as `openssl -pass file:` does (its first line); refused when it is
 * missing, empty, or readable by group or others (like ssh with a private key).
 */
export function readPassphraseFile(file: string): BackupCipher {
  const abs = isAbsolute(file) ? file : resolve(file);
  let mode: number;
  let text: string;
  try {
    mode = statSync(abs).mode;
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new Error(`passphrase file ${abs}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (mode & 0o077) throw new Error(`passphrase file ${abs} is readable by others (mode ${(mode & 0o777).toString(8)}): chmod 600 ${abs}`);
  const line = text.split(/\r?\n/)[0] ?? '';
  if (line.length === 0) throw new Error(`passphrase file ${abs}: its first line is empty`);
  return { file: abs, passphrase: new Secret('backup-passphrase', line) };
}

/** The playbook option naming the passphrase file (checked when the options are parsed, before any host is contacted). */
export const backupPassphraseOption = z
  .string()
  .min(1)
  .superRefine((f, ctx) => {
    try {
      readPassphraseFile(f);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  })
  .transform((f) => (isAbsolute(f) ? f : resolve(f)))
  .optional()
  .describe('encrypt the backups pulled to this machine with the passphrase in this file (first line; openssl enc -aes-256-cbc -pbkdf2 format)');

async function keyIv(pass: Secret, salt: Buffer): Promise<{ key: Buffer; iv: Buffer }> {
  const kiv = await derive(Buffer.from(pass.reveal(), 'utf8'), salt, BACKUP_KDF_ITER, 48, 'sha256');
  return { key: kiv.subarray(0, 32), iv: kiv.subarray(32) };
}

/** Encrypt `data` (openssl enc format with a fresh salt). */
export async function encryptBackup(data: Buffer, pass: Secret): Promise<Buffer> {
  const salt = randomBytes(8);
  const { key, iv } = await keyIv(pass, salt);
  const c = createCipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([MAGIC, salt, c.update(data), c.final()]);
}

/**
 * Decrypt what encryptBackup (or `openssl enc -aes-256-cbc -pbkdf2 -iter 200000 -md sha256`) made,
 * and check the plaintext against `wantSha256` (the checksum kept beside it). CBC has no integrity
 * check: a wrong passphrase passes the padding check about one time in 256 and yields noise, so the
 * checksum is what refuses it. Throws on a wrong passphrase or a damaged file (never naming the passphrase).
 */
export function decryptBackup(data: Buffer, pass: Secret, wantSha256: string): Buffer {
  if (data.length < 32 || !data.subarray(0, 8).equals(MAGIC)) throw new Error('not an encrypted kubemend backup (no openssl "Salted__" header)');
  const kiv = pbkdf2Sync(Buffer.from(pass.reveal(), 'utf8'), data.subarray(8, 16), BACKUP_KDF_ITER, 48, 'sha256');
  const d = createDecipheriv('aes-256-cbc', kiv.subarray(0, 32), kiv.subarray(32));
  const refused = new Error('cannot decrypt: wrong passphrase or a damaged file');
  let plain: Buffer;
  try {
    plain = Buffer.concat([d.update(data.subarray(16)), d.final()]);
  } catch {
    throw refused;
  }
  if (createHash('sha256').update(plain).digest('hex') !== wantSha256) throw refused;
  return plain;
}

const CIPHER = sharedKey<BackupCipher>('backup:cipher');

/** The run's backup cipher from its `backupPassphraseFile` option (read once per run), or undefined: pulled backups stay plain. */
export function backupCipherOf(ctx: PhaseContext): BackupCipher | undefined {
  const file = (ctx.options as { backupPassphraseFile?: string } | undefined)?.backupPassphraseFile;
  if (!file) return undefined;
  let c = ctx.shared.get(CIPHER);
  if (!c) {
    c = readPassphraseFile(file);
    ctx.shared.set(CIPHER, c);
  }
  return c;
}

/** The note left beside encrypted backups: how to decrypt them by hand (never the passphrase). */
export function encryptedNote(c: BackupCipher): string {
  return (
    `The *${ENCRYPTED_SUFFIX} files here are encrypted with the passphrase in ${c.file} (its first line).\n` +
    `kubemend restore --backup-passphrase-file ${c.file} decrypts them; by hand, for each FILE:\n\n  ${DECRYPT_COMMAND.replace('PASSFILE', c.file)}\n  sha256sum -c FILE.sha256\n`
  );
}
