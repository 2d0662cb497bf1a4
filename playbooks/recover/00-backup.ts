/** Step 0 (backup): every host's /etc/kubernetes and /var/lib/kubelet/pki archived on the host and pulled with checksums. */
import { archivePhase } from '../shared/backup.js';
import type { RecoverOptions } from './common.js';

/** Step 0: back up every host before anything destructive. */
export const backupPhase = archivePhase<RecoverOptions>(
  '0. Back up /etc/kubernetes and /var/lib/kubelet/pki of every host (archived on the host, pulled with sha256)',
);
