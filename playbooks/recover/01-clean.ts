/** Step 1: masters: config uploaded, /etc/kubernetes leftovers moved aside (kept), control-plane containers (only) stopped. */
import type { HostPhase } from '../../lib/core/types.js';
import { masters } from '../../lib/core/hosts.js';
import { controlPlaneContainers } from '../../lib/facts/containers.js';
import { KUBEADM_CONFIG } from '../../lib/facts/paths.js';
import { hostBackupDir } from '../../lib/backup/archive.js';
import { type RecoverOptions, decision, runIdOf } from './common.js';
import { hostConfig } from './config.js';

/** Move /etc/kubernetes aside into the run's backup folder on the host (never /var/lib/etcd). */
const MOVE_ASIDE = 'set -eu; [ -e /etc/kubernetes ] || exit 0; mkdir -p -m 0700 "$1"; rm -rf "$1/etc-kubernetes"; mv /etc/kubernetes "$1/etc-kubernetes"';

/** Step 1 on the masters being rebuilt. */
export const cleanPhase: HostPhase<RecoverOptions> = {
  id: 'masters/clean',
  title: '1. Masters: kubeadm config uploaded, /etc/kubernetes moved aside, control-plane containers stopped (workloads untouched)',
  hosts: (ctx) => ctx.hosts.filter((h) => h.role === 'master' && decision(ctx).lost.includes(h.name)),
  strategy: { kind: 'serial' },
  destructive: true,
  async run(h) {
    const cfg = h.shared.get('recover:config') as { apiVersion: string; yaml: string };
    await h.run(['mkdir', '-p', '-m', '0700', '/var/lib/kubemend']);
    await h.upload(KUBEADM_CONFIG, hostConfig(h.host, cfg), { mode: 0o600 });
    await h.run(['sh', '-c', MOVE_ASIDE, 'sh', hostBackupDir(runIdOf(h))], { what: 'move /etc/kubernetes aside' });
    const ids = await h.fact(controlPlaneContainers);
    if (ids.length) {
      await h.run(['crictl', 'stop', ...ids], { allowFail: true, what: 'crictl stop control-plane containers' });
      await h.run(['crictl', 'rm', ...ids], { allowFail: true, what: 'crictl rm control-plane containers' });
    }
  },
};
