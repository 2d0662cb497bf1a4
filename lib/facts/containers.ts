/** Fact: the control-plane containers on a host (crictl filtered by name; never every container). */
import type { Fact } from '../core/types.js';
import { CONTROL_PLANE_NAMES } from './paths.js';

/** Parse `crictl ps -a -q` output into container ids. */
export function parseIds(out: string): string[] {
  return out.split('\n').map((l) => l.trim()).filter((l) => /^[0-9a-f]{6,64}$/.test(l));
}

/** Ids of the etcd, kube-apiserver, kube-controller-manager and kube-scheduler containers. */
export const controlPlaneContainers: Fact<string[]> = {
  id: 'kubemend:control-plane-containers',
  argv: ['crictl', 'ps', '-a', '-q', '--name', CONTROL_PLANE_NAMES],
  parse: (out) => parseIds(out),
};
