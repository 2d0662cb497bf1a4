/**
 * Backups of a host's kubeadm state: `/etc/kubernetes` and `/var/lib/kubelet/pki` archived ON
 * the host under `/var/backups/kubemend/<run>/` with a sha256, then pulled to the laptop under
 * the run's folder (`<run-dir>/backups/<host>.tar.gz`, files 0600 in folders 0700). On a
 * kubespray-built host the archive also holds kubespray's etcd certificates and settings
 * (ETCD_KEPT_PATHS), which kubemend never changes: kept for an operator's hand, never put back by a
 * restore. `/var/lib/etcd` is never part of it and never touched.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { HostContext } from '../core/types.js';
import { privateDir, writePrivate } from '../core/private-file.js';
import { SAFE_RUN_ID } from '../core/journal.js';
import { type BackupCipher, ENCRYPTED_SUFFIX, encryptBackup, encryptedNote } from './encrypt.js';

/** Writes a file 0600 (lib/core/private-file.ts; re-exported for the playbooks that save run files next to backups). */
export { writePrivate };

/** The folder on the host that keeps a run's backups. */
export function hostBackupDir(runId: string): string {
  if (!SAFE_RUN_ID.test(runId)) throw new Error(`bad run id ${JSON.stringify(runId)}`);
  return `/var/backups/kubemend/${runId}`;
}

/** The paths archived and put back by a restore (relative to /). */
export const BACKUP_PATHS = ['etc/kubernetes', 'var/lib/kubelet/pki'] as const;

/**
 * kubespray's etcd files where a host has them (relative to /): etcd_cert_dir with its CA key
 * (roles/etcd/tasks/gen_certs_script.yml), /etc/etcd.env and the unit (roles/etcd/tasks/configure.yml,
 * etcd-host.service.j2), on its etcd members and (the certificates) its masters. recover keeps them as
 * they are and its proof compares their sha256; they are archived because they are the one copy of
 * etcd's PKI, and never restored by kubemend (a restore while etcd runs on them would swap its
 * certificates under it): an operator takes them from the archive by hand.
 */
export const ETCD_KEPT_PATHS = ['etc/ssl/etcd', 'etc/etcd.env', 'etc/systemd/system/etcd.service'] as const;

/** Archive the paths that exist into DIR/NAME.tar.gz and print its sha256 (script args: DIR NAME PATHS...). */
const ARCHIVE = `set -eu
umask 077; dir=$1 name=$2; shift 2; mkdir -p -m 0700 "$dir"
set -- $(for p in "$@"; do [ -e "/$p" ] && echo "$p"; done)
tar -czf "$dir/$name.tar.gz" -C / --files-from /dev/null "$@"
cd "$dir" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256" && cat "$name.tar.gz.sha256"`;

/** The local folder of a run's pulled backups (0700). */
export function localBackupDir(runDir: string): string {
  return privateDir(join(runDir, 'backups'));
}

/** The sha256 of a buffer (hex). */
export function sha256(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Archive the host's kubeadm state on the host; returns the archive's path and sha256 ('' in a dry run). */
export async function archiveOnHost(h: HostContext, runId: string, name = h.host.name): Promise<{ path: string; sha256: string }> {
  const dir = hostBackupDir(runId);
  const r = await h.run(['sh', '-c', ARCHIVE, 'sh', dir, name, ...BACKUP_PATHS, ...ETCD_KEPT_PATHS], {
    what: `archive /etc/kubernetes, /var/lib/kubelet/pki (and kubespray's etcd files where there) into ${dir}`,
  });
  return { path: `${dir}/${name}.tar.gz`, sha256: (/^([0-9a-f]{64})\s/.exec(r.stdout.trim()) ?? [])[1] ?? '' };
}

/**
 * Keep pulled bytes `data` (sha256 `sum`) as `name` in the run's backups folder, 0600: encrypted
 * as `name.enc` when a cipher is given (the plaintext never touches the disk), with `name.sha256`
 * (the plaintext's) beside it; returns the file written.
 */
export async function keepPulled(runDir: string, name: string, data: Buffer, sum: string, cipher?: BackupCipher): Promise<string> {
  const dir = localBackupDir(runDir);
  const file = join(dir, cipher ? `${name}${ENCRYPTED_SUFFIX}` : name);
  writePrivate(file, cipher ? await encryptBackup(data, cipher.passphrase) : data);
  if (cipher) writePrivate(join(dir, 'ENCRYPTED.txt'), encryptedNote(cipher));
  writePrivate(join(dir, `${name}.sha256`), `${sum}  ${name}\n`);
  return file;
}

/** Pull an archive from the host, check its sha256, keep it under the run folder (encrypted with `cipher`); returns the local path. */
export async function pullArchive(h: HostContext, remote: { path: string; sha256: string }, runDir: string, cipher?: BackupCipher): Promise<string> {
  const data = await h.download(remote.path);
  const got = sha256(data);
  if (got !== remote.sha256) throw new Error(`pull ${remote.path}: sha256 ${got} differs from the host's ${remote.sha256}`);
  return keepPulled(runDir, `${h.host.name}.tar.gz`, data, got, cipher);
}
