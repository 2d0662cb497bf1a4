/**
 * Restore of a host's `/etc/kubernetes` and `/var/lib/kubelet/pki` from an archive pulled by a
 * backup (the `backup` playbook or recover's step 0): every archive checked against its sha256
 * before any host is contacted, then per host uploaded, checked again on the host, the current
 * folders moved aside (never deleted) and the archive extracted. `/var/lib/etcd` is never touched.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { allHosts } from '../core/hosts.js';
import { definePlaybook, type Playbook } from '../core/types.js';
import { BACKUP_PATHS, hostBackupDir, sha256 } from './archive.js';
import { type BackupCipher, ENCRYPTED_SUFFIX, decryptBackup } from './encrypt.js';
import { RUN } from '../core/shared.js';

/** A pulled archive, read and checked against its recorded sha256. */
export interface CheckedArchive {
  host: string;
  file: string;
  sha256: string;
  data: Buffer;
}

/** Why a restore cannot start (the CLI exits 2: nothing was changed). */
export class RestoreRefused extends Error {
  readonly code = 'EUSAGE';
  constructor(message: string) {
    super(message);
    this.name = 'RestoreRefused';
  }
}

/** The hosts that have a pulled archive in a run folder, plain or encrypted (sorted). */
export function archivedHosts(runDir: string): string[] {
  const d = join(runDir, 'backups');
  if (!existsSync(d)) return [];
  const names = readdirSync(d)
    .map((f) => /^(.+)\.tar\.gz(?:\.enc)?$/.exec(f)?.[1])
    .filter((n): n is string => n !== undefined);
  return [...new Set(names)].sort();
}

/** Check that `runDir` is a run folder that holds pulled backups; RestoreRefused otherwise. */
export function checkRunDir(runDir: string, runId: string): void {
  if (!existsSync(runDir) || !statSync(runDir).isDirectory())
    throw new RestoreRefused(`restore: no run ${runId} (no folder ${runDir}; is --state-dir right?); nothing was changed`);
  if (archivedHosts(runDir).length === 0)
    throw new RestoreRefused(`restore: run ${runId} pulled no backup (nothing under ${join(runDir, 'backups')}); nothing was changed`);
}

/**
 * The archive pulled for `host` in `runDir` (decrypted with `cipher` when it was pulled
 * encrypted), checked against its `.sha256`; RestoreRefused when missing, undecryptable or different.
 */
export function pulledArchive(runDir: string, host: string, cipher?: BackupCipher): CheckedArchive {
  const file = join(runDir, 'backups', `${host}.tar.gz`);
  const encrypted = `${file}${ENCRYPTED_SUFFIX}`;
  if (!existsSync(file) && !existsSync(encrypted)) {
    const have = archivedHosts(runDir);
    throw new RestoreRefused(`restore ${host}: no archive ${file} (the run backed up ${have.length ? have.join(', ') : 'no host'}); nothing was changed`);
  }
  const sumFile = `${file}.sha256`;
  if (!existsSync(sumFile))
    throw new RestoreRefused(`restore ${host}: no checksum ${sumFile}; refusing an archive that cannot be checked; nothing was changed`);
  const want = readFileSync(sumFile, 'utf8').trim().split(/\s/)[0] ?? '';
  if (!/^[0-9a-f]{64}$/.test(want)) throw new RestoreRefused(`restore ${host}: ${sumFile} holds no sha256; nothing was changed`);
  let data: Buffer;
  if (existsSync(file)) data = readFileSync(file);
  else {
    if (!cipher)
      throw new RestoreRefused(
        `restore ${host}: ${encrypted} is encrypted: pass --backup-passphrase-file FILE (the file it was pulled with); nothing was changed`,
      );
    try {
      data = decryptBackup(readFileSync(encrypted), cipher.passphrase, want);
    } catch (e) {
      throw new RestoreRefused(`restore ${host}: ${encrypted}: ${(e as Error).message}; nothing was changed`);
    }
  }
  const got = sha256(data);
  if (got !== want)
    throw new RestoreRefused(`restore ${host}: ${file} has sha256 ${got}, its checksum file says ${want}: the archive is damaged; nothing was changed`);
  return { host, file, sha256: want, data };
}

/**
 * On the host (args: ARCHIVE SHA256 ASIDE PATHS...): check the uploaded archive, move each
 * current folder under ASIDE (kept), extract the folders the archive holds, print ASIDE. The
 * uploaded archive (it holds the CA keys) is removed on every way out, a failure too.
 */
export const RESTORE_SCRIPT = `set -eu
umask 077; src=$1 want=$2 aside=$3; shift 3; paths=$*
trap 'rm -f -- "$src"' EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM
echo "$want  $src" | sha256sum -c --status || { echo "uploaded archive $src does not match sha256 $want" >&2; exit 3; }
members=$(tar -tzf "$src")
mkdir -p -m 0700 "$aside"
for p in "$@"; do
  if [ -e "/$p" ]; then mkdir -p "$aside/$(dirname "$p")"; mv "/$p" "$aside/$p"; fi
done
set --
for p in $paths; do
  printf '%s\\n' "$members" | grep -q "^$p/" && set -- "$@" "$p"
done
[ $# -gt 0 ] && tar -xzpf "$src" -C / "$@"
echo "$aside"`;

/** The restore playbook (not registered: built by `kubemend restore` for the checked archives of run `fromRun`). */
export function restorePlaybook(fromRun: string, archives: ReadonlyMap<string, CheckedArchive>): Playbook {
  return definePlaybook({
    name: 'restore',
    description: `Put back /etc/kubernetes and /var/lib/kubelet/pki from the archives pulled in run ${fromRun} (current folders moved aside)`,
    destructive: true,
    options: z.object({ fromRun: z.string().describe('the run whose pulled archives are put back') }),
    phases: [
      {
        id: 'restore/host',
        title: `Restore /etc/kubernetes and /var/lib/kubelet/pki from run ${fromRun} (current folders moved aside, never deleted)`,
        destructive: true,
        hosts: allHosts,
        strategy: { kind: 'serial' },
        async run(h) {
          const a = archives.get(h.host.name);
          if (!a) throw new Error(`no checked archive for ${h.host.name} from run ${fromRun}`);
          const run = h.shared.get(RUN)?.id ?? 'plan';
          const dir = hostBackupDir(run);
          const remote = `${dir}/restore-${fromRun}.tar.gz`;
          const aside = `${dir}/replaced`;
          await h.run(['mkdir', '-p', '-m', '0700', dir], { what: `mkdir ${dir}` });
          await h.upload(remote, a.data, { mode: 0o600 });
          try {
            await h.run(['sh', '-c', RESTORE_SCRIPT, 'sh', remote, a.sha256, aside, ...BACKUP_PATHS], {
              what: `restore ${a.file} (sha256 ${a.sha256.slice(0, 16)}...) into / with the current folders moved to ${aside}`,
              timeoutMs: 120_000,
            });
          } catch (e) {
            // the script's trap removes the archive on its own failures; not when it was killed or never ran
            await h.run(['rm', '-f', '--', remote], { allowFail: true, what: `remove the uploaded ${remote}` }).catch(() => undefined);
            throw e;
          }
          h.log(`restored /etc/kubernetes and /var/lib/kubelet/pki from ${a.file}; the replaced folders are kept on ${h.host.name} in ${aside}`);
        },
      },
    ],
  });
}
