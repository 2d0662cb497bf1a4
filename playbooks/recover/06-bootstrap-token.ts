/**
 * Step 6: first master: its own apiserver ready, then the control-plane endpoint leading to it
 * (waits.ts waitAdminEndpoint: bootstrap-token must run with admin.conf, whose server it copies
 * into cluster-info), then kubeadm init phase bootstrap-token (cluster-info rewritten with the new CA).
 */
import type { HostPhase } from '../../lib/core/types.js';
import { firstMaster } from '../../lib/core/hosts.js';
import { type RecoverOptions, kubeadm, rebuildsAll } from './common.js';
import { waitAdminEndpoint, waitApiserver } from './waits.js';

/** Step 6. */
export const bootstrapTokenPhase: HostPhase<RecoverOptions> = {
  id: 'first/bootstrap-token',
  title: '6. First master: wait for its apiserver, then for the endpoint to lead to it; kubeadm init phase bootstrap-token (rewrites cluster-info)',
  hosts: firstMaster,
  strategy: { kind: 'serial' },
  shouldRun: rebuildsAll,
  async run(h) {
    await waitApiserver(h, h);
    await waitAdminEndpoint(h, h);
    const r = await kubeadm(h, ['init', 'phase', 'bootstrap-token']);
    // kubeadm made a 24 h token for the phase ("Using token: ID.SECRET"); the joins use tokens of
    // their own, so do not leave a live credential behind: delete it by its id (not secret)
    const id = /Using token: ([a-z0-9]{6})\.[a-z0-9]{16}/.exec(r.stdout)?.[1];
    if (id) await h.run(['kubeadm', 'token', 'delete', id], { what: `kubeadm token delete ${id} (made by the bootstrap-token phase)` });
  },
};
