/** `backup`: /etc/kubernetes and /var/lib/kubelet/pki of the selected hosts and an etcd snapshot from one master, pulled with checksums. */
import { masters } from '../lib/core/hosts.js';
import { definePlaybook } from '../lib/core/types.js';
import { z } from 'zod';
import { snapshotEtcd } from '../lib/backup/etcd-snapshot.js';
import { backupCipherOf, backupPassphraseOption } from '../lib/backup/encrypt.js';
import { runDirOf, runIdOf } from './shared/run-files.js';
import { archivePhase } from './shared/backup.js';

/** The backup playbook. */
export default definePlaybook({
  name: 'backup',
  description: 'Archive /etc/kubernetes, /var/lib/kubelet/pki and an etcd snapshot; pull them under the run folder with sha256',
  destructive: false,
  subset: { preselect: 'all' },
  options: z.object({ backupPassphraseFile: backupPassphraseOption }),
  phases: [
    archivePhase('Archive /etc/kubernetes and /var/lib/kubelet/pki on each host, pull with sha256'),
    {
      id: 'backup/etcd-snapshot',
      title: 'etcdctl snapshot save on one selected master (the first, when selected), checked with snapshot status, pulled with sha256',
      hosts: (ctx) => {
        const ms = masters(ctx);
        return [ms.find((m) => m.first) ?? ms[0]].filter((m) => m !== undefined);
      },
      strategy: { kind: 'serial' },
      async run(h) {
        const file = await snapshotEtcd(h, runIdOf(h), runDirOf(h), backupCipherOf(h));
        if (file) h.log(`etcd snapshot pulled to ${file}`);
      },
    },
  ],
});
