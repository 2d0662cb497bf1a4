/** Step 0 (backup): every host's /etc/kubernetes and /var/lib/kubelet/pki archived on the host and pulled with checksums. */
import type { HostPhase } from '../../lib/core/types.js';
import { allHosts } from '../../lib/core/hosts.js';
import { archiveOnHost, pullArchive } from '../../lib/backup/archive.js';
import { backupCipherOf } from '../../lib/backup/encrypt.js';
import { type RecoverOptions, runDirOf, runIdOf } from './common.js';

/** The archive-and-pull phase (id `backup/archive`), shared by recover's step 0 and the backup playbook. */
export function archivePhase<O = unknown>(title: string): HostPhase<O> {
  return {
    id: 'backup/archive',
    title,
    hosts: allHosts,
    strategy: { kind: 'parallel' },
    async run(h) {
      const remote = await archiveOnHost(h, runIdOf(h));
      const dir = runDirOf(h);
      if (!dir) return; // a dry run: nothing to pull
      const file = await pullArchive(h, remote, dir, backupCipherOf(h));
      h.log(`backup ${remote.path} (sha256 ${remote.sha256.slice(0, 16)}...) pulled to ${file}`);
    },
  };
}

/** Step 0: back up every host before anything destructive. */
export const backupPhase = archivePhase<RecoverOptions>('0. Back up /etc/kubernetes and /var/lib/kubelet/pki of every host (archived on the host, pulled with sha256)');
