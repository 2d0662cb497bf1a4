/**
 * Step 8's `kubeadm join phase control-plane-prepare` for one master, chosen so that no file of
 * kubespray's etcd_cert_dir is written on a master outside kubespray's etcd group.
 *
 * `control-plane-prepare all` runs download-certs first, which writes every file of kubeadm-certs to
 * the path the cluster's ClusterConfiguration names, with etcd.external's three files among them
 * (cmd/kubeadm/app/phases/copycerts/copycerts.go certsToTransfer: `external-etcd-ca.crt`,
 * `external-etcd.crt`, `external-etcd.key` -> Etcd.External.CAFile/CertFile/KeyFile; DownloadCerts ->
 * writeCertOrKey -> certutil.WriteCert / keyutil.WriteKey, an os.WriteFile that follows a link).
 * kubespray's ClusterConfiguration is the first master's (kubeadm-config.v1beta4.yaml.j2 with
 * `kube_etcd_cert_file: node-{{ inventory_hostname }}.pem`, roles/kubernetes/control-plane/defaults/main/main.yml),
 * so every master is given `node-FIRST.pem` and its key:
 * - on an etcd member those are real files holding the first master's pair (roles/etcd/tasks/gen_certs_script.yml
 *   "Write etcd member/admin and kube_control_plane client certs to other etcd nodes"; its "Pretend all control
 *   plane have all certs" links fail there with "refusing to convert from file to symlink", which it
 *   tolerates): download-certs writes the same bytes in place, and `all` is kept;
 * - on a master outside the etcd group kubespray copies only ca.pem and its own node pair
 *   (gen_nodes_certs_script.yml) and makes `node-OTHER.pem` / `node-OTHER-key.pem` links to that pair
 *   ("Pretend all control plane have all certs"): download-certs would write the first master's pair
 *   through the link over this master's own. There the CA files every master shares are copied from
 *   the first master instead (as rebuild-one does: copy.ts, no etcd/ file on kubespray's layout), and
 *   the other subphases run one by one: `certs`, `kubeconfig`, `control-plane` (kubeadm's
 *   cmd/kubeadm/app/cmd/phases/join/controlplaneprepare.go: download-certs, certs, kubeconfig,
 *   control-plane; each takes --config). Its apiserver then reads etcd.external's paths through
 *   kubespray's links, its own node pair signed by the same etcd CA, and nothing of /etc/ssl/etcd changes.
 */
import { inventoryFirst, isEtcdMember } from '../../lib/core/hosts.js';
import type { HostContext } from '../../lib/core/types.js';
import { KUBEADM_RETRY } from '../../lib/kubeadm/idempotent.js';
import { kubeadmWithConfig } from '../../lib/kubeadm/run.js';
import { copyPki } from './copy.js';
import { isKubespray, masterCaFiles } from '../shared/layout.js';

/** control-plane-prepare's subphases after download-certs, in kubeadm's order (controlplaneprepare.go NewControlPlanePreparePhase). */
export const PREPARE_WITHOUT_DOWNLOAD = ['certs', 'kubeconfig', 'control-plane'] as const;

/** True when step 8 must not run download-certs on `h`: kubespray's layout and `h` outside its etcd group (pure). */
export const keepsOwnEtcdPair = (h: HostContext): boolean => isKubespray(h) && !isEtcdMember(h, h.host);

/** Run control-plane-prepare on `h` with the JoinConfiguration `join` (secrets: stdin only), as the file's comment says. */
export async function controlPlanePrepare(h: HostContext, join: string): Promise<void> {
  if (!keepsOwnEtcdPair(h)) {
    await kubeadmWithConfig(h, ['join', 'phase', 'control-plane-prepare', 'all'], join, {
      what: 'kubeadm join phase control-plane-prepare all (JoinConfiguration)',
      retry: KUBEADM_RETRY.controlPlanePrepare,
    });
    return;
  }
  const first = inventoryFirst(h);
  h.log(
    `${h.host.name} is outside kubespray's etcd group: its node-${first.name}.pem is a link to its own etcd pair, so download-certs is not run; the shared CA files are copied from ${first.name}`,
  );
  await copyPki(h, first, masterCaFiles('kubespray'));
  for (const sub of PREPARE_WITHOUT_DOWNLOAD) {
    await kubeadmWithConfig(h, ['join', 'phase', 'control-plane-prepare', sub], join, {
      what: `kubeadm join phase control-plane-prepare ${sub} (JoinConfiguration)`,
      retry: KUBEADM_RETRY.controlPlanePrepare,
    });
  }
}
