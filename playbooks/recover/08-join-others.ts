/**
 * Steps 7-8: the other masters, one at a time. Step 7 (07-upload-certs.ts) runs once before the
 * first of them (this phase's `prepare`); then per master:
 * - `kubeadm join phase control-plane-prepare all --config F`, F a JoinConfiguration with
 *   discovery.bootstrapToken {apiServerEndpoint, token, caCertHashes} and controlPlane
 *   {localAPIEndpoint, certificateKey}: the secrets in a 0600 file that lives as long as the command;
 * - `kubeadm join phase control-plane-join all --control-plane --node-name N
 *   --apiserver-advertise-address A`: no endpoint, no discovery flag. Real kubeadm accepts only
 *   config, control-plane, node-name, patches, apiserver-advertise-address and dry-run there, and
 *   no argument (cmd/kubeadm/app/cmd/phases/join/controlplanejoin.go getControlPlaneJoinPhaseFlags,
 *   `ArgsValidator: cobra.NoArgs`); with --control-plane it reads the admin.conf control-plane-prepare
 *   wrote instead of discovering (cmd/kubeadm/app/cmd/join.go newJoinData: "if the admin.conf file
 *   already exists, use it for skipping the discovery process").
 * Before each join, the join gate (join-gate.ts): etcd's leader steady, every member healthy, the
 * rebuilt apiservers ready, several reads in a row.
 *
 * On kubespray's layout (shared/layout.ts) etcd is `etcd.external`: control-plane-prepare's download-certs
 * writes the three files etcd.external names from kubeadm-certs (`external-etcd-ca.crt`, `.crt`,
 * `.key`: cmd/kubeadm/app/phases/copycerts/copycerts.go certsToTransfer, v1.32), the same bytes as
 * the joining master holds already (kubespray's gen_certs_script.yml gives every master every
 * master's node-HOST.pem; step 0 checked they are there, and the proof compares their sha256); on a
 * master outside kubespray's etcd group, whose node-FIRST.pem is a link to its own pair, download-certs
 * is left out and the shared CA files copied instead (join-prepare.ts);
 * control-plane-join's etcd subphase adds no member ("Using external etcd - no local stacked
 * instance added": cmd/kubeadm/app/cmd/phases/join/controlplanejoin.go runEtcdPhase), so kubespray's
 * members stay as they are; and the gate and waits ask kubespray's etcd through its etcdctl.
 * kubespray's kubelet was restarted at step 1 on its kubelet.env (`--kubeconfig=/etc/kubernetes/kubelet.conf`,
 * `--bootstrap-kubeconfig=...`): with neither file it cannot start, and would run no static pod before
 * step 10. So once control-plane-prepare has written the CA, `kubeadm init phase kubeconfig kubelet`
 * writes its kubelet.conf, as step 5's `kubeconfig all` does on the first master; step 10 then
 * re-bootstraps it as on every master. control-plane-prepare is retried on a transient
 * error (lib/kubeadm/idempotent.ts says why it may be); control-plane-join is not (kubeadm's etcd
 * client retries inside it). After each join, etcd (every member) and the apiserver. Clean-up (also after a failure, and on resume):
 * the control-plane join token and kube-system/kubeadm-certs are deleted.
 */
import type { HostPhase } from '../../lib/core/types.js';
import { otherMasters } from '../../lib/core/hosts.js';
import { apiFor, keepRegistration, joinConfiguration, kubeadmVersion, kubeletFlagsEnv } from '../../lib/kubeadm/config.js';
import { type RecoverOptions, rebuildsAll } from './common.js';
import { TOKEN_PURPOSE, deleteJoinSecrets } from '../shared/join-secrets.js';
import { kubeadm } from '../shared/commands.js';
import { readRunFile } from '../shared/run-files.js';
import { CA_HASH, CERT_KEY, CP_JOIN_TOKEN, UPLOADED, asSecret, uploadCertsForJoin } from './07-upload-certs.js';
import { waitApiserver, waitEtcdGroupHealthy } from '../shared/waits.js';
import { joinGate } from './join-gate.js';
import { isKubespray } from '../shared/layout.js';
import { controlPlanePrepare } from './join-prepare.js';

/** Steps 7-8. */
export const joinOthersPhase: HostPhase<RecoverOptions> = {
  id: 'others/join',
  title: '7-8. First master: certificate key, upload-certs, join token; other masters, one at a time: control-plane-prepare all, control-plane-join all',
  hosts: otherMasters,
  strategy: { kind: 'serial' },
  destructive: true,
  shouldRun: rebuildsAll,
  prepare: (ctx) => uploadCertsForJoin(ctx),
  async run(h) {
    const api = apiFor(await h.fact(kubeadmVersion));
    const registration = keepRegistration(h.host.name, await h.fact(kubeletFlagsEnv));
    const join = joinConfiguration({
      api,
      registration,
      endpoint: h.inventory.controlPlaneEndpoint,
      token: asSecret(h, CP_JOIN_TOKEN),
      caCertHash: String(h.get(CA_HASH)),
      controlPlane: { advertiseAddress: h.host.address, certificateKey: asSecret(h, CERT_KEY) },
    });
    await joinGate(h);
    await controlPlanePrepare(h, join); // `all`, or without download-certs on a master outside kubespray's etcd group (join-prepare.ts)
    if (isKubespray(h))
      await kubeadm(
        h,
        ['init', 'phase', 'kubeconfig', 'kubelet'],
        "kubeadm init phase kubeconfig kubelet (kubespray's kubelet runs the control plane's static pods on it until step 10)",
      );
    await h.run(
      ['kubeadm', 'join', 'phase', 'control-plane-join', 'all', '--control-plane', '--node-name', h.host.name, '--apiserver-advertise-address', h.host.address],
      { what: 'kubeadm join phase control-plane-join all', timeoutMs: 300_000 },
    );
    await waitEtcdGroupHealthy(h);
    await waitApiserver(h, h);
  },
  async cleanUp(ctx) {
    await deleteJoinSecrets(ctx, TOKEN_PURPOSE.controlPlaneJoin, !!readRunFile(ctx, UPLOADED) || ctx.has(CERT_KEY));
  },
};
