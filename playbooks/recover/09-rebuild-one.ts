/**
 * rebuild-one: each lost master rebuilt from a healthy one (CAs and sa keys copied, leaf certs,
 * kubeconfigs and manifests made locally). Its etcd member:
 * - data kept (/var/lib/etcd/member there): `kubeadm init phase etcd local`, and etcd comes back
 *   with its data and its membership;
 * - data lost too: started that way it would form a new one-member cluster (`init phase etcd local`
 *   writes `--initial-cluster=<this node>` for a new cluster). So, as for any new control-plane
 *   node, its stale member is removed (`etcdctl member remove`, in a healthy master's etcd
 *   container) and it joins as kubeadm joins one: `kubeadm join phase control-plane-join etcd
 *   --control-plane --node-name N --apiserver-advertise-address A`, which adds it (as a learner,
 *   promoted once in sync) and writes the manifest with `--initial-cluster-state=existing`
 *   (cmd/kubeadm/app/cmd/phases/join/controlplanejoin.go runEtcdPhase ->
 *   etcdphase.CreateStackedEtcdStaticPodManifestFile; the phase takes no argument and reads the
 *   admin.conf made just before). kubemend never writes, moves or deletes anything in the data dir.
 *
 * On kubespray's layout (shared/layout.ts) etcd is kubespray's service, kept as it is on the lost master
 * (its /etc/ssl/etcd/ssl and its data survive a wiped /etc/kubernetes): no etcd CA is copied (there is
 * none in kube_cert_dir: KUBESPRAY_MASTER_CA_FILES), no etcd phase runs, and the wait asks kubespray's
 * etcd through its etcdctl. `kubeconfig all` writes kubelet.conf, on which kubespray's kubelet (restarted
 * at step 1 on its kubelet.env) starts and runs the control plane's static pods.
 */
import type { HostContext, HostPhase } from '../../lib/core/types.js';
import { controlPlaneContainers } from '../../lib/facts/containers.js';
import { ETCDCTL, ETCDCTL_FN, ETCD_MEMBERS_ARGV, parseMemberList } from '../../lib/facts/etcd.js';
import { type RecoverOptions, decision, lostMasters, onPath, recoverConfig } from './common.js';
import { hostNamed } from '../../lib/core/hosts.js';
import { kubeadm } from '../shared/commands.js';
import { copyPki } from './copy.js';
import { etcdDataDir } from './config.js';
import { waitApiserver, waitEtcdGroupHealthy } from '../shared/waits.js';
import { layoutOf, masterCaFiles } from '../shared/layout.js';

/** The peer URL kubeadm gives a member (etcdutil.GetPeerURL: https://ADDRESS:2380). */
export function peerURL(address: string): string {
  return `https://${address.includes(':') ? `[${address}]` : address}:2380`;
}

/** Whether the host still has its etcd data (`DATADIR/member`; a read-only test). */
async function hasEtcdData(h: HostContext<RecoverOptions>): Promise<boolean> {
  const cfg = recoverConfig(h);
  return (await h.read(['test', '-d', `${etcdDataDir(cfg.yaml)}/member`], { allowFail: true, what: 'etcd data present' })).exitCode === 0;
}

/** Remove the lost master's member from the cluster, asked in the healthy `source`'s etcd container; says whether there was one. */
async function removeStaleMember(h: HostContext<RecoverOptions>, source: HostContext<RecoverOptions>): Promise<boolean> {
  const members = parseMemberList((await source.read(ETCD_MEMBERS_ARGV, { what: 'etcdctl member list -w json (in the etcd container)' })).stdout);
  const stale = members.find((m) => m.name === h.host.name || m.peerURLs.includes(peerURL(h.host.address)));
  if (!stale) return false;
  await source.run(['sh', '-c', `${ETCDCTL}${ETCDCTL_FN} member remove "$1"`, 'sh', stale.id], {
    what: `etcdctl member remove ${stale.id} (${h.host.name}'s stale member, in ${source.host.name}'s etcd container)`,
  });
  return true;
}

/** rebuild-one, per lost master, one at a time. */
export const rebuildOnePhase: HostPhase<RecoverOptions> = {
  id: 'rebuild-one/master',
  title:
    'rebuild-one: copy CA, front-proxy CA, sa and etcd CA from a healthy master; certs all, kubeconfig all, etcd (local, or rejoined when its data is lost), control-plane all',
  hosts: lostMasters,
  strategy: { kind: 'serial' },
  destructive: true,
  shouldRun: onPath('rebuild-one'),
  async run(h) {
    const d = decision(h);
    const source = h.on(hostNamed(h, d.source!));
    const layout = layoutOf(h);
    await copyPki(h, source.host, masterCaFiles(layout)); // the CA material every master shares
    await kubeadm(h, ['init', 'phase', 'certs', 'all']);
    const ids = await h.fact(controlPlaneContainers);
    if (ids.length) await h.run(['crictl', 'rm', '-f', ...ids], { allowFail: true, what: 'crictl rm control-plane containers' });
    await kubeadm(h, ['init', 'phase', 'kubeconfig', 'all']);
    if (layout === 'kubespray') {
      h.log(`etcd on ${h.host.name} is kubespray's service, kept as it is (no etcd certificate, manifest or member change)`);
    } else if (await hasEtcdData(h)) {
      await kubeadm(h, ['init', 'phase', 'etcd', 'local']);
    } else {
      const removed = await removeStaleMember(h, source);
      h.log(
        `etcd data of ${h.host.name} is gone: ${removed ? 'its stale member removed; ' : ''}it joins the etcd cluster as a new member (kubeadm join phase control-plane-join etcd)`,
        'warn',
      );
      await h.run(
        [
          'kubeadm',
          'join',
          'phase',
          'control-plane-join',
          'etcd',
          '--control-plane',
          '--node-name',
          h.host.name,
          '--apiserver-advertise-address',
          h.host.address,
        ],
        { what: 'kubeadm join phase control-plane-join etcd', timeoutMs: 300_000 },
      );
    }
    await kubeadm(h, ['init', 'phase', 'control-plane', 'all']);
    await waitEtcdGroupHealthy(h);
    await waitApiserver(h, h);
  },
};
