/** Step 10: masters: kubelet re-bootstrapped with a kubelet.conf signed by the new CA. */
import type { HostPhase } from '../../lib/core/types.js';
import { masters } from '../../lib/core/hosts.js';
import { type RecoverOptions, decision, kubeadm } from './common.js';

/** Step 10 (also the rebuilt masters of rebuild-one). */
export const masterKubeletsPhase: HostPhase<RecoverOptions> = {
  id: 'masters/kubelet',
  title: '10. Masters: kubelet stopped, its pki and kubelet.conf removed, kubeconfig kubelet, kubelet-start',
  hosts: (ctx) => masters(ctx).filter((h) => decision(ctx).lost.includes(h.name)),
  strategy: { kind: 'serial' },
  destructive: true,
  async run(h) {
    await h.run(['systemctl', 'stop', 'kubelet']);
    await h.run(['rm', '-rf', '/var/lib/kubelet/pki', '/etc/kubernetes/kubelet.conf']);
    await kubeadm(h, ['init', 'phase', 'kubeconfig', 'kubelet']);
    await kubeadm(h, ['init', 'phase', 'kubelet-start']);
  },
};
