/**
 * kubespray's kubelet files on a master whose /etc/kubernetes was wiped. kubespray's kubelet unit
 * reads `EnvironmentFile=-/etc/kubernetes/kubelet.env`, which gives `--config=/etc/kubernetes/kubelet-config.yaml`
 * and `--kubeconfig=/etc/kubernetes/kubelet.conf` (kubernetes-sigs/kubespray at 46dbdd39,
 * roles/kubernetes/node/templates/kubelet.service.j2, kubelet.env.v1beta1.j2); without them the
 * kubelet runs with no static pod path, and the control plane kubeadm writes at step 5 never starts.
 * They are put back at step 1: from the newest kubemend backup of the master that held them (01-clean's
 * PUT_BACK), else rendered from a worker's copies, which the wipe of the masters leaves. kubespray's
 * templates render them alike on every node but for three host values (roles/kubernetes/node/defaults/main.yml,
 * roles/kubespray_defaults/defaults/main/main.yml): `--node-ip={{ kubelet_address }}` (main_ips),
 * `--hostname-override={{ kube_override_hostname }}` (inventory_hostname) and `address: "{{ kubelet_bind_address }}"`
 * (main_ip): those are set to the master's. Pure.
 */
import type { Host } from '../../lib/inventory/types.js';

/** The master's kubelet.env and kubelet-config.yaml from a worker's (`from`) copies. */
export function masterKubeletFiles(
  from: Pick<Host, 'name' | 'address'>,
  master: Pick<Host, 'name' | 'address'>,
  files: { env: string; config: string },
): { env: string; config: string } {
  const env = files.env
    .replace(/--node-ip=[^\s"\\]+/g, `--node-ip=${master.address}`)
    .replace(/--hostname-override=[^\s"\\]+/g, `--hostname-override=${master.name}`);
  // the bind address is the node's own main_ip; a wildcard (kubespray's default without an ip: '::', or 0.0.0.0) is kept
  const config = files.config.replace(/^address:[ \t]*"?([^"\s]*)"?[ \t]*$/m, (line, v: string) =>
    v === from.address ? `address: "${master.address}"` : line,
  );
  return { env, config };
}

/** Why a worker's copies cannot be the model (undefined when they can): each file must be there and be kubespray's. */
export function unusableKubeletFiles(files: { env: string; config: string }): string | undefined {
  const why: string[] = [];
  if (!/--config=\S*kubelet-config\.yaml/.test(files.env)) why.push('kubelet.env without --config=.../kubelet-config.yaml');
  if (!/^kind:\s*KubeletConfiguration\s*$/m.test(files.config)) why.push('kubelet-config.yaml without kind: KubeletConfiguration');
  return why.length ? why.join('; ') : undefined;
}
