/** Step 4: masters: etcd certs and the etcd static pod (old data, old membership), then every member healthy. */
import type { HostPhase } from '../../lib/core/types.js';
import { firstMaster, inventoryFirst, masters } from '../../lib/core/hosts.js';
import { type RecoverOptions, kubeadm, rebuildsAll } from './common.js';
import { waitEtcdHealthy } from './waits.js';

/** Step 4a: certs and manifest on every master. */
export const etcdStartPhase: HostPhase<RecoverOptions> = {
  id: 'etcd/start',
  title: '4. Masters: etcd-healthcheck-client, etcd-peer, etcd-server certs; kubeadm init phase etcd local',
  hosts: masters,
  strategy: { kind: 'parallel' },
  destructive: true,
  shouldRun: rebuildsAll,
  async run(h) {
    for (const c of ['etcd-healthcheck-client', 'etcd-peer', 'etcd-server']) await kubeadm(h, ['init', 'phase', 'certs', c]);
    await kubeadm(h, ['init', 'phase', 'etcd', 'local']);
  },
};

/** Step 4b: wait for every member healthy before the apiserver is rebuilt. */
export const etcdHealthyPhase: HostPhase<RecoverOptions> = {
  id: 'etcd/healthy',
  title: '4. Wait until etcd is healthy on every member',
  hosts: firstMaster,
  strategy: { kind: 'serial' },
  shouldRun: rebuildsAll,
  async run(h) {
    await waitEtcdHealthy(h, h, h.inventory.hosts.filter((x) => x.role === 'master').length);
    void inventoryFirst;
  },
};
