/**
 * An etcd snapshot taken on a master with the healthcheck-client certificate
 * (`etcdctl snapshot save`), checked with `etcdctl snapshot status`, written under the run's
 * backup folder on the host and pulled with its sha256. It reads etcd through its client port:
 * `/var/lib/etcd` is never touched.
 */
import type { HostContext } from '../core/types.js';
import { ETCDCTL } from '../facts/etcd.js';
import { hostBackupDir, keepPulled, sha256 } from './archive.js';
import type { BackupCipher } from './encrypt.js';

/** The snapshot's file name, on the host and in the run's local backups folder. */
export const SNAPSHOT_NAME = 'etcd-snapshot.db';

/**
 * Save and check a snapshot into DIR/NAME; print its sha256 (script args: DIR NAME). ETCDCTL
 * cds into the etcd PKI (it exits 0 when there is none: said here instead); the later
 * --command-timeout overrides the health one (a snapshot of a big etcd takes longer than 5 s).
 */
const SAVE = `set -eu
umask 077; dir=$1 name=$2; mkdir -p -m 0700 "$dir"
[ -r /etc/kubernetes/pki/etcd/healthcheck-client.key ] || { echo "no /etc/kubernetes/pki/etcd/healthcheck-client.key on this master: cannot reach etcd" >&2; exit 3; }
rm -f "$dir/$name" "$dir/$name.part"
(${ETCDCTL} --command-timeout=240s snapshot save "$dir/$name") >/dev/null
ETCDCTL_API=3 etcdctl snapshot status "$dir/$name" >/dev/null
cd "$dir" && sha256sum "$name" > "$name.sha256" && cat "$name.sha256"`;

/** Take the snapshot on the master `h` and, in a real run, pull it under `runDir` (encrypted with `cipher`); returns the local path (undefined in a dry run). */
export async function snapshotEtcd(h: HostContext, runId: string, runDir: string | undefined, cipher?: BackupCipher): Promise<string | undefined> {
  const dir = hostBackupDir(runId);
  const remote = `${dir}/${SNAPSHOT_NAME}`;
  const r = await h.run(['sh', '-c', SAVE, 'sh', dir, SNAPSHOT_NAME], { what: `etcdctl snapshot save ${remote}`, timeoutMs: 300_000 });
  if (!runDir) return undefined;
  const want = (/^([0-9a-f]{64})\s/.exec(r.stdout.trim()) ?? [])[1];
  if (!want) throw new Error(`etcdctl snapshot save ${remote}: no sha256 printed (got ${JSON.stringify(r.stdout.trim().slice(0, 200))})`);
  const data = await h.download(remote);
  const got = sha256(data);
  if (got !== want) throw new Error(`pull ${remote}: sha256 ${got} differs from the host's ${want}`);
  return keepPulled(runDir, SNAPSHOT_NAME, data, want, cipher);
}
