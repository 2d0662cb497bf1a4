/** The archive-and-pull phase: every host's /etc/kubernetes and /var/lib/kubelet/pki archived on the host and pulled with checksums (recover's step 0, backup, renew-certs). */
import { archiveOnHost, pullArchive } from '../../lib/backup/archive.js';
import { backupCipherOf } from '../../lib/backup/encrypt.js';
import { allHosts } from '../../lib/core/hosts.js';
import type { HostPhase } from '../../lib/core/types.js';
import { runDirOf, runIdOf } from './run-files.js';

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
