/**
 * Step 6: first master: its own apiserver ready, then the control-plane endpoint leading to it
 * (waits.ts waitAdminEndpoint: bootstrap-token must run with admin.conf, whose server it copies
 * into cluster-info), then `kubeadm init phase bootstrap-token --config F` rewrites cluster-info
 * with the new CA (and the RBAC for joins). The phase always makes the InitConfiguration's
 * `bootstrapTokens` (kubeadm defaults one when the list is empty); kubemend's config gives it a
 * 15-minute TTL and a description naming the run (step 1, config.ts), and deletes it right after
 * (the joins use tokens of their own), also when the phase failed.
 */
import type { HostPhase } from '../../lib/core/types.js';
import { firstMaster } from '../../lib/core/hosts.js';
import { type RecoverOptions, rebuildsAll } from './common.js';
import { TOKEN_PURPOSE, deleteJoinSecrets } from '../shared/join-secrets.js';
import { kubeadm } from '../shared/commands.js';
import { waitAdminEndpoint } from './endpoint-waits.js';
import { waitApiserver } from '../shared/waits.js';

/** Step 6. */
export const bootstrapTokenPhase: HostPhase<RecoverOptions> = {
  id: 'first/bootstrap-token',
  title:
    '6. First master: wait for its apiserver, then for the endpoint to lead to it; kubeadm init phase bootstrap-token (rewrites cluster-info); its token deleted',
  hosts: firstMaster,
  strategy: { kind: 'serial' },
  shouldRun: rebuildsAll,
  async run(h) {
    await waitApiserver(h, h);
    await waitAdminEndpoint(h, h);
    await kubeadm(h, ['init', 'phase', 'bootstrap-token', '--skip-token-print']);
  },
  async cleanUp(ctx) {
    await deleteJoinSecrets(ctx, TOKEN_PURPOSE.bootstrapPhase, false);
  },
};
