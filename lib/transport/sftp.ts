/** SFTP file transfer: atomic writes (temp name, mode, rename) and whole-file reads. */
import { randomBytes } from 'node:crypto';
import type { SFTPWrapper } from 'ssh2';

function call<T = void>(what: string, fn: (cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    fn((err, v) => (err ? reject(new Error(`${what}: ${err.message}`, { cause: err })) : resolve(v as T)));
  });
}

/** The temp name an upload writes before it renames: beside the target, so the rename is atomic. */
export function tempName(path: string): string {
  return `${path}.kubemend-${randomBytes(4).toString('hex')}.tmp`;
}

/** Writes content to tmp with mode; the caller renames it (after a chown, when asked). */
export async function sftpWriteTemp(sftp: SFTPWrapper, tmp: string, content: Buffer, mode: number): Promise<void> {
  await call(`writing ${tmp}`, (cb) => sftp.writeFile(tmp, content, { mode }, cb));
  // writeFile's mode is filtered by the server's umask: set it exactly
  await call(`chmod ${mode.toString(8)} ${tmp}`, (cb) => sftp.chmod(tmp, mode, cb));
}

/** Renames tmp over path (OpenSSH's posix-rename, which replaces an existing file). */
export async function sftpRename(sftp: SFTPWrapper, tmp: string, path: string): Promise<void> {
  await call(`renaming ${tmp} to ${path}`, (cb) => sftp.ext_openssh_rename(tmp, path, cb));
}

/** Removes a file, ignoring errors (cleanup of a failed upload). */
export async function sftpRemoveQuietly(sftp: SFTPWrapper, path: string): Promise<void> {
  await new Promise<void>((resolve) => sftp.unlink(path, () => resolve()));
}

/** Reads a whole remote file. */
export function sftpRead(sftp: SFTPWrapper, path: string): Promise<Buffer> {
  return call<Buffer>(`reading ${path}`, (cb) => sftp.readFile(path, (err: Error | undefined, data: Buffer) => cb(err, data)));
}
