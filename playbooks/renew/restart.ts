/**
 * Restart a master's control-plane static pods the way the kubeadm docs say after `certs renew`:
 * move their manifests out of the kubelet's folder, wait until the kubelet stopped them, move
 * them back, wait until it runs them again (the components read their certificates at start).
 */
import type { HostContext } from '../../lib/core/types.js';
import { K8S } from '../../lib/facts/paths.js';
import { kubeSystemContainersArgv } from '../../lib/facts/containers.js';
import { waitFor } from '../shared/wait-for.js';
import type { RenewOptions } from './options.js';

/** The kubelet's static pod folder. */
export const MANIFESTS = `${K8S}/manifests`;
/** Where the manifests wait while their pods stop (outside the kubelet's folder; an interrupted run finds them here). */
export const ASIDE = `${K8S}/kubemend-renew-manifests`;
/** The static pods renewal restarts, in kubeadm's names (manifest `<name>.yaml`, container `<name>`). */
export const CONTROL_PLANE_PODS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;

/** Move back manifests an interrupted run left aside (mutating; a no-op when there are none). */
export async function restoreAside(h: HostContext): Promise<void> {
  await h.run(
    ['sh', '-c', 'set -e; [ -d "$1" ] || exit 0; for f in "$1"/*.yaml; do [ -f "$f" ] && mv -f "$f" "$2/"; done; rmdir "$1"', 'sh', ASIDE, MANIFESTS],
    { what: `move back manifests left in ${ASIDE}` },
  );
}

/** The control-plane pods that have a manifest on the host (read-only). */
export async function controlPlanePods(h: HostContext): Promise<string[]> {
  const r = await h.read(['sh', '-c', 'cd "$1" 2>/dev/null && ls -1; exit 0', 'sh', MANIFESTS], { what: `list ${MANIFESTS}` });
  const files = new Set(r.stdout.split('\n').map((l) => l.trim()));
  return CONTROL_PLANE_PODS.filter((p) => files.has(`${p}.yaml`));
}

/** Running kube-system containers of exactly these names (crictl, read-only). */
async function running(h: HostContext, names: readonly string[]): Promise<Set<string>> {
  const r = await h.read(kubeSystemContainersArgv(names, { output: 'json' }), { allowFail: true, what: 'crictl ps' });
  if (r.exitCode !== 0) throw new Error(`crictl ps: exit ${r.exitCode}: ${r.stderr.trim().split('\n').pop()}`);
  const list = (JSON.parse(r.stdout || '{}').containers ?? []) as Array<{ metadata?: { name?: string }; state?: string }>;
  return new Set(list.filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => c.metadata?.name ?? ''));
}

/**
 * Restart `pods` on the host: manifests out, wait stopped, manifests back, and (`waitRunning`)
 * wait until they run again. Without quorum (all masters expired) etcd and the apiserver may
 * crash-loop until the other masters are renewed too, so that wait is left to the final check.
 */
export async function restartStaticPods(h: HostContext<RenewOptions>, pods: readonly string[], waitRunning: boolean): Promise<void> {
  if (pods.length === 0) return;
  const files = pods.map((p) => `${p}.yaml`);
  await h.run(['sh', '-c', 'set -e; a=$1 m=$2; shift 2; mkdir -p -m 0700 "$a"; for f in "$@"; do mv "$m/$f" "$a/$f"; done', 'sh', ASIDE, MANIFESTS, ...files], {
    what: `move ${files.join(', ')} out of ${MANIFESTS}`,
  });
  await waitFor(h, `${h.host.name}: the kubelet stopped ${pods.join(', ')}`, async () => {
    const up = [...(await running(h, pods))];
    return up.length === 0 ? true : `still running: ${up.join(', ')}`;
  });
  await restoreAside(h);
  if (!waitRunning) return;
  await waitFor(h, `${h.host.name}: the kubelet runs ${pods.join(', ')} again`, async () => {
    const up = await running(h, pods);
    const missing = pods.filter((p) => !up.has(p));
    return missing.length === 0 ? true : `not running yet: ${missing.join(', ')}`;
  });
}
