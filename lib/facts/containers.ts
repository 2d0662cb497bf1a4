/** Fact: the control-plane containers on a host (crictl filtered by anchored name and namespace; never every container). */
import type { Fact } from '../core/types.js';
import { CONTROL_PLANE_CONTAINERS, KUBE_SYSTEM_LABEL } from './paths.js';

/** Parse `crictl ps -a -q` output into container ids. */
export function parseIds(out: string): string[] {
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[0-9a-f]{6,64}$/.test(l));
}

/**
 * argv of `crictl ps` for the kube-system containers whose name is exactly one of `names`
 * (`-a`: exited ones too; `-q`: ids only unless `output` is given).
 */
export function kubeSystemContainersArgv(names: readonly string[], opts: { all?: boolean; output?: 'json' } = {}): string[] {
  return [
    'crictl',
    'ps',
    ...(opts.all ? ['-a'] : []),
    ...(opts.output ? ['-o', opts.output] : ['-q']),
    '--name',
    `^(${names.join('|')})$`,
    '--label',
    KUBE_SYSTEM_LABEL,
  ];
}

/** Ids of the etcd, kube-apiserver, kube-controller-manager and kube-scheduler containers of kube-system (running or not). */
export const controlPlaneContainers: Fact<string[]> = {
  id: 'kubemend:control-plane-containers',
  argv: kubeSystemContainersArgv(CONTROL_PLANE_CONTAINERS, { all: true }),
  parse: (out) => parseIds(out),
};
