/** rebuild-one: each lost master rebuilt from a healthy one (CAs and sa keys copied, leaf certs, kubeconfigs and manifests made locally). */
import type { HostPhase } from '../../lib/core/types.js';
import { masters } from '../../lib/core/hosts.js';
import { controlPlaneContainers } from '../../lib/facts/containers.js';
import { type RecoverOptions, decision, hostNamed, kubeadm, onPath } from './common.js';
import { copyPki } from './copy.js';
import { waitApiserver, waitEtcdHealthy } from './waits.js';

/** The CA material a rebuilt master needs from a healthy one. */
export const SHARED_PKI = ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'sa.key', 'sa.pub', 'etcd/ca.crt', 'etcd/ca.key'] as const;

/** rebuild-one, per lost master, one at a time. */
export const rebuildOnePhase: HostPhase<RecoverOptions> = {
  id: 'rebuild-one/master',
  title: 'rebuild-one: copy CA, front-proxy CA, sa and etcd CA from a healthy master; certs all, kubeconfig all, etcd local, control-plane all',
  hosts: (ctx) => masters(ctx).filter((h) => decision(ctx).lost.includes(h.name)),
  strategy: { kind: 'serial' },
  destructive: true,
  shouldRun: onPath('rebuild-one'),
  async run(h) {
    const d = decision(h);
    await copyPki(h, hostNamed(h, d.source!), SHARED_PKI);
    await kubeadm(h, ['init', 'phase', 'certs', 'all']);
    const ids = await h.fact(controlPlaneContainers);
    if (ids.length) await h.run(['crictl', 'rm', '-f', ...ids], { allowFail: true, what: 'crictl rm control-plane containers' });
    await kubeadm(h, ['init', 'phase', 'kubeconfig', 'all']);
    await kubeadm(h, ['init', 'phase', 'etcd', 'local']);
    await kubeadm(h, ['init', 'phase', 'control-plane', 'all']);
    await waitEtcdHealthy(h, h, h.inventory.hosts.filter((x) => x.role === 'master').length);
    await waitApiserver(h, h);
  },
};
