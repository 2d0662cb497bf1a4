/** Step 8: other masters, one at a time: control-plane-prepare all, control-plane-join all; gated on etcd and the apiserver. */
import type { HostPhase } from '../../lib/core/types.js';
import { otherMasters } from '../../lib/core/hosts.js';
import { type RecoverOptions, rebuildsAll } from './common.js';
import { waitApiserver, waitEtcdHealthy } from './waits.js';

/** Step 8. */
export const joinOthersPhase: HostPhase<RecoverOptions> = {
  id: 'others/join',
  title: '8. Other masters, one at a time: kubeadm join phase control-plane-prepare all, control-plane-join all',
  hosts: otherMasters,
  strategy: { kind: 'serial' },
  destructive: true,
  shouldRun: rebuildsAll,
  async run(h) {
    const ep = h.inventory.controlPlaneEndpoint;
    const common = ['--control-plane', '--apiserver-advertise-address', h.host.address, '--node-name', h.host.name];
    const disc = ['--token', h.get('cp-join-token'), '--discovery-token-ca-cert-hash', h.get('ca-cert-hash')];
    await h.run(['kubeadm', 'join', 'phase', 'control-plane-prepare', 'all', ep, ...common, ...disc, '--certificate-key', h.get('certificate-key')], { what: 'kubeadm join phase control-plane-prepare all', timeoutMs: 300_000 });
    await h.run(['kubeadm', 'join', 'phase', 'control-plane-join', 'all', ep, ...common, ...disc], { what: 'kubeadm join phase control-plane-join all', timeoutMs: 300_000 });
    await waitEtcdHealthy(h, h, h.inventory.hosts.filter((x) => x.role === 'master').length);
    await waitApiserver(h, h);
  },
};
