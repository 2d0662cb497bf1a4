/** Step 6: first master: kubeadm init phase bootstrap-token (cluster-info rewritten with the new CA). */
import type { HostPhase } from '../../lib/core/types.js';
import { firstMaster } from '../../lib/core/hosts.js';
import { type RecoverOptions, kubeadm, rebuildsAll } from './common.js';
import { waitApiserver } from './waits.js';

/** Step 6. */
export const bootstrapTokenPhase: HostPhase<RecoverOptions> = {
  id: 'first/bootstrap-token',
  title: '6. First master: wait for the apiserver, kubeadm init phase bootstrap-token (rewrites cluster-info)',
  hosts: firstMaster,
  strategy: { kind: 'serial' },
  shouldRun: rebuildsAll,
  async run(h) {
    await waitApiserver(h, h);
    await kubeadm(h, ['init', 'phase', 'bootstrap-token']);
  },
};
