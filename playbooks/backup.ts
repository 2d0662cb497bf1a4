/** `backup`: /etc/kubernetes and /var/lib/kubelet/pki of the selected hosts and an etcd snapshot from one master, pulled with checksums. */
import { join } from 'node:path';
import { masters } from '../lib/core/hosts.js';
import { definePlaybook } from '../lib/core/types.js';
import { hostBackupDir, localBackupDir, sha256, writePrivate } from '../lib/backup/archive.js';
import { ETCDCTL } from '../lib/facts/etcd.js';
import { runDirOf, runIdOf } from './recover/common.js';
import { archivePhase } from './recover/00-backup.js';

/** The backup playbook. */
export default definePlaybook({
  name: 'backup',
  description: 'Archive /etc/kubernetes, /var/lib/kubelet/pki and an etcd snapshot; pull them under the run folder with sha256',
  destructive: false,
  subset: { preselect: 'all' },
  phases: [
    archivePhase('Archive /etc/kubernetes and /var/lib/kubelet/pki on each host, pull with sha256'),
    {
      id: 'backup/etcd-snapshot',
      title: 'etcdctl snapshot save on one master, pulled with sha256',
      hosts: (ctx) => masters(ctx).slice(0, 1),
      strategy: { kind: 'serial' },
      async run(h) {
        const dir = hostBackupDir(runIdOf(h));
        const file = `${dir}/etcd-snapshot.db`;
        const r = await h.run(['sh', '-c', `set -e; umask 077; mkdir -p -m 0700 "$1"; (${ETCDCTL} snapshot save "$2") >/dev/null; sha256sum "$2"`, 'sh', dir, file], { what: 'etcdctl snapshot save', timeoutMs: 300_000 });
        const local = runDirOf(h);
        if (!local) return;
        const data = await h.download(file);
        const want = r.stdout.trim().split(/\s/)[0];
        if (sha256(data) !== want) throw new Error(`pull ${file}: sha256 differs from the host's ${want}`);
        writePrivate(join(localBackupDir(local), 'etcd-snapshot.db'), data);
        writePrivate(join(localBackupDir(local), 'etcd-snapshot.db.sha256'), `${want}  etcd-snapshot.db\n`);
      },
    },
  ],
});
