/** Step 2: first master: a new etcd CA. */
import type { HostPhase } from '../../lib/core/types.js';
import { firstMaster } from '../../lib/core/hosts.js';
import { type RecoverOptions, kubeadm, rebuildsAll } from './common.js';

/** Step 2. */
export const etcdCaPhase: HostPhase<RecoverOptions> = {
  id: 'etcd/ca',
  title: '2. First master: new etcd CA (kubeadm init phase certs etcd-ca)',
  hosts: firstMaster,
  strategy: { kind: 'serial' },
  destructive: true,
  shouldRun: rebuildsAll,
  async run(h) {
    await kubeadm(h, ['init', 'phase', 'certs', 'etcd-ca']);
  },
};
