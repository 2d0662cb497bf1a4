/** Step 2: first master: a new etcd CA. */
import type { HostPhase } from '../../lib/core/types.js';
import { firstMaster } from '../../lib/core/hosts.js';
import { type RecoverOptions, rebuildsKubeadmEtcd } from './common.js';
import { kubeadm } from '../shared/commands.js';

/** Step 2. */
export const etcdCaPhase: HostPhase<RecoverOptions> = {
  id: 'etcd/ca',
  title: '2. First master: new etcd CA (kubeadm init phase certs etcd-ca)',
  hosts: firstMaster,
  strategy: { kind: 'serial' },
  destructive: true,
  shouldRun: rebuildsKubeadmEtcd, // kubespray's layout: its etcd service and CA kept (shared/layout.ts)
  async run(h) {
    await kubeadm(h, ['init', 'phase', 'certs', 'etcd-ca']);
  },
};
