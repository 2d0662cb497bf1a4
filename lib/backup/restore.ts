/**
 * Restore of a host's `/etc/kubernetes` and `/var/lib/kubelet/pki` from an archive pulled by a
 * backup: checked against its sha256, uploaded, the current folders moved aside (never deleted),
 * then extracted.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Host } from '../inventory/types.js';
import type { Transport } from '../transport/types.js';
import { sha256 } from './archive.js';

/** The archive and checksum pulled for `host` in run `runDir`. */
export function pulledArchive(runDir: string, host: string): { file: string; data: Buffer } {
  const file = join(runDir, 'backups', `${host}.tar.gz`);
  if (!existsSync(file)) throw new Error(`restore ${host}: no archive ${file} (was the host backed up in this run?)`);
  const data = readFileSync(file);
  const want = readFileSync(`${file}.sha256`, 'utf8').split(/\s/)[0];
  if (sha256(data) !== want) throw new Error(`restore ${host}: ${file} does not match its sha256 (${want})`);
  return { file, data };
}

/** Move the current folders aside and extract; prints the folder they were moved to. */
const RESTORE = `set -eu
umask 077; src=$1 aside=$2; mkdir -p -m 0700 "$aside"
for p in etc/kubernetes var/lib/kubelet/pki; do
  if [ -e "/$p" ]; then mkdir -p "$aside/$(dirname "$p")"; mv "/$p" "$aside/$p"; fi
done
tar -xzf "$src" -C /
rm -f "$src"
echo "$aside"`;

/** Restore `host` from the archive pulled in `runDir`; returns where the replaced files were moved. */
export async function restoreHost(t: Transport, host: Host, runDir: string, runId: string): Promise<string> {
  const { data } = pulledArchive(runDir, host.name);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const remote = `/var/backups/kubemend/${runId}/restore-${stamp}.tar.gz`;
  await t.run(host, ['mkdir', '-p', '-m', '0700', `/var/backups/kubemend/${runId}`]);
  await t.upload(host, remote, data, { mode: 0o600 });
  const got = await t.run(host, ['sha256sum', remote]);
  if (!got.stdout.startsWith(sha256(data))) throw new Error(`restore ${host.name}: uploaded archive ${remote} has another sha256: ${got.stdout.trim()} ${got.stderr.trim()}`);
  const r = await t.run(host, ['sh', '-c', RESTORE, 'sh', remote, `/var/backups/kubemend/${runId}/replaced-${stamp}`]);
  if (r.exitCode !== 0) throw new Error(`restore ${host.name}: extract ${remote}: exit ${r.exitCode}: ${r.stderr.trim().slice(-300)}`);
  return r.stdout.trim();
}
