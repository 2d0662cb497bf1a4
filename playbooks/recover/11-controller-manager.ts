/**
 * Step 11: masters: kube-controller-manager restarted so that it loads the new CA and root CA. A
 * master whose eviction was paused (phase eviction/pause-*) is paused again as soon as kubeadm
 * rewrote the manifest: the masters are Ready by now and the workers not yet, so the zone is Normal.
 */
import type { HostPhase } from '../../lib/core/types.js';
import { masters } from '../../lib/core/hosts.js';
import { pauseOn, pausedOn } from '../../lib/kube/eviction.js';
import { kubeSystemContainersArgv } from '../../lib/facts/containers.js';
import { type RecoverOptions, rebuildsAll } from './common.js';
import { kubeadm } from '../shared/commands.js';
import { waitFor } from '../shared/wait-for.js';

/** Step 11. */
export const controllerManagerPhase: HostPhase<RecoverOptions> = {
  id: 'masters/controller-manager',
  title: '11. Masters: kube-controller-manager manifest removed, its container gone, manifest written again',
  hosts: masters,
  strategy: { kind: 'serial' },
  destructive: true,
  shouldRun: rebuildsAll,
  async run(h) {
    const paused = await pausedOn(h);
    await h.run(['rm', '-f', '/etc/kubernetes/manifests/kube-controller-manager.yaml']);
    await waitFor(
      h,
      'the kube-controller-manager container gone',
      async () => {
        const r = await h.read(kubeSystemContainersArgv(['kube-controller-manager']), { allowFail: true });
        return r.stdout.trim() === '' ? true : 'still running';
      },
      { seconds: 90 },
    );
    await kubeadm(h, ['init', 'phase', 'control-plane', 'controller-manager']);
    if (paused) await pauseOn(h);
  },
};
