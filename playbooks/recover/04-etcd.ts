/** Step 4: masters: etcd certs and the etcd static pod (old data, old membership), then every member healthy. */
import type { HostPhase } from '../../lib/core/types.js';
import { firstMaster, masters } from '../../lib/core/hosts.js';
import { type RecoverOptions, rebuildsAll, rebuildsKubeadmEtcd } from './common.js';
import { kubeadm } from '../shared/commands.js';
import { waitEtcdGroupHealthy } from '../shared/waits.js';

/** Step 4a: certs and manifest on every master. */
export const etcdStartPhase: HostPhase<RecoverOptions> = {
  id: 'etcd/start',
  title: '4. Masters: etcd-healthcheck-client, etcd-peer, etcd-server certs; kubeadm init phase etcd local',
  hosts: masters,
  strategy: { kind: 'parallel' },
  destructive: true,
  shouldRun: rebuildsKubeadmEtcd, // kubespray's layout: its etcd service kept (shared/layout.ts)
  async run(h) {
    for (const c of ['etcd-healthcheck-client', 'etcd-peer', 'etcd-server']) await kubeadm(h, ['init', 'phase', 'certs', c]);
    await kubeadm(h, ['init', 'phase', 'etcd', 'local']);
  },
};

/** Step 4b: wait for every member healthy before the apiserver is rebuilt (on kubespray's layout its service, asked with its own etcdctl and /etc/etcd.env). */
export const etcdHealthyPhase: HostPhase<RecoverOptions> = {
  id: 'etcd/healthy',
  title: "4. Wait until etcd is healthy on every member (asked in its etcd container; on kubespray's layout, with kubespray's etcdctl)",
  hosts: firstMaster,
  strategy: { kind: 'serial' },
  shouldRun: rebuildsAll,
  async run(h) {
    // the etcd group's count (kubespray's may hold hosts that are not masters), asked on an etcd member
    await waitEtcdGroupHealthy(h);
  },
};
