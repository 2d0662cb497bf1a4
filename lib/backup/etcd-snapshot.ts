/**
 * An etcd snapshot taken on a master by the etcd image's own `etcdctl snapshot save`, run in the
 * etcd container (a kubeadm host has no etcdctl: lib/facts/etcd.ts), checked with `etcdctl
 * snapshot status`, then moved to the run's backup folder on the host and pulled with its sha256.
 *
 * Where it is written: the container sees only two host folders, both read-write, at the same
 * paths (cmd/kubeadm/app/phases/etcd/local.go GetEtcdPodSpec: `etcd-data` = /var/lib/etcd and
 * `etcd-certs` = /etc/kubernetes/pki/etcd). /var/lib/etcd is etcd's own data and no playbook ever
 * writes there (spec/core/etcd-untouched.test.ts), so the snapshot goes to a private folder made by
 * `mktemp -d` (0700, root) in /etc/kubernetes/pki/etcd, is moved out to /var/backups/kubemend/RUN
 * at once, and the folder is removed by a trap whatever happens (also on a failed save).
 */
import type { HostContext } from '../core/types.js';
import { ETCDCTL, ETCDCTL_FN, ETCD_PKI } from '../facts/etcd.js';
import { hostBackupDir, keepPulled, sha256 } from './archive.js';
import type { BackupCipher } from './encrypt.js';

/** The snapshot's file name, on the host and in the run's local backups folder. */
export const SNAPSHOT_NAME = 'etcd-snapshot.db';

/**
 * Save and check a snapshot into DIR/NAME; print its sha256 (script args: DIR NAME). The later
 * --command-timeout overrides the health one of ETCDCTL (a snapshot of a big etcd takes longer).
 */
const SAVE = `set -eu
umask 077; dir=$1 name=$2
${ETCDCTL}[ -r ${ETCD_PKI}/healthcheck-client.key ] || { echo "no ${ETCD_PKI}/healthcheck-client.key on this master: cannot reach etcd" >&2; exit 3; }
mkdir -p -m 0700 "$dir"; rm -f "$dir/$name" "$dir/$name.sha256"
share=$(mktemp -d ${ETCD_PKI}/kubemend-snapshot.XXXXXXXX)
trap 'rm -rf "$share"' EXIT
${ETCDCTL_FN} --command-timeout=240s snapshot save "$share/$name" >/dev/null
${ETCDCTL_FN} snapshot status "$share/$name" >/dev/null
mv "$share/$name" "$dir/$name"
cd "$dir" && sha256sum "$name" > "$name.sha256" && cat "$name.sha256"`;

/** Take the snapshot on the master `h` and, in a real run, pull it under `runDir` (encrypted with `cipher`); returns the local path (undefined in a dry run). */
export async function snapshotEtcd(h: HostContext, runId: string, runDir: string | undefined, cipher?: BackupCipher): Promise<string | undefined> {
  const dir = hostBackupDir(runId);
  const remote = `${dir}/${SNAPSHOT_NAME}`;
  const r = await h.run(['sh', '-c', SAVE, 'sh', dir, SNAPSHOT_NAME], { what: `etcdctl snapshot save ${remote} (in the etcd container)`, timeoutMs: 300_000 });
  if (!runDir) return undefined;
  const want = (/^([0-9a-f]{64})\s/.exec(r.stdout.trim()) ?? [])[1];
  if (!want) throw new Error(`etcdctl snapshot save ${remote}: no sha256 printed (got ${JSON.stringify(r.stdout.trim().slice(0, 200))})`);
  const data = await h.download(remote);
  const got = sha256(data);
  if (got !== want) throw new Error(`pull ${remote}: sha256 ${got} differs from the host's ${want}`);
  return keepPulled(runDir, SNAPSHOT_NAME, data, want, cipher);
}
