/**
 * Step 5: first master: new CA, front-proxy CA, sa keys, apiserver certs, kubeconfigs and
 * manifests. The wait for the apiserver is step 6's, so that phase eviction/pause-first pauses the
 * new controller-manager right after kubeadm wrote its manifest, before it can lead.
 */
import type { HostPhase } from '../../lib/core/types.js';
import { firstMaster } from '../../lib/core/hosts.js';
import { type RecoverOptions, rebuildsAll } from './common.js';
import { kubeadm } from '../shared/commands.js';

/** Step 5 (+ the wait of step 6). */
export const firstControlPlanePhase: HostPhase<RecoverOptions> = {
  id: 'first/control-plane',
  title: '5. First master: kubeadm init phase certs all, kubeconfig all, control-plane all',
  hosts: firstMaster,
  strategy: { kind: 'serial' },
  destructive: true,
  shouldRun: rebuildsAll,
  async run(h) {
    await kubeadm(h, ['init', 'phase', 'certs', 'all']);
    await kubeadm(h, ['init', 'phase', 'kubeconfig', 'all']);
    await kubeadm(h, ['init', 'phase', 'control-plane', 'all']);
  },
};
