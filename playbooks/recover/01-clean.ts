/**
 * Step 1: masters being rebuilt: the kubeadm config uploaded; kubeadm's own files in
 * /etc/kubernetes moved aside (kept in the run's backup folder); files that are not kubeadm's and
 * that the disaster took put back from the host's newest backup that still held them; then the
 * control-plane containers (only those) stopped.
 *
 * kubeadm's own files are those kubeadm makes and never overwrites: its certificates and keys, its
 * kubeconfigs, its four static pod manifests (`kubeadm reset` goes further: it empties manifests/
 * and pki/, cmd/kubeadm/app/cmd/phases/reset/cleanupnode.go resetConfigDir). Everything else stays
 * where it is: a kube-vip or haproxy static pod keeps running (the kubelet stops a static pod whose
 * manifest goes), an encryption or audit config the apiserver's extraArgs name stays, a kubespray
 * kubelet.env stays. Stopping uses the anchored names with the kube-system label: a workload's
 * `etcd-backup` container (or its own `etcd`) in another namespace is never matched.
 */
import type { HostPhase } from '../../lib/core/types.js';
import { firstMasterName } from '../../lib/core/hosts.js';
import { controlPlaneContainers } from '../../lib/facts/containers.js';
import { KUBEADM_CONFIG, KUBEADM_MANIFESTS } from '../../lib/facts/paths.js';
import { hostBackupDir } from '../../lib/backup/archive.js';
import { keepRegistration, kubeletFlagsEnv } from '../../lib/kubeadm/config.js';
import { tokenDescription } from '../../lib/kube/bootstrap-tokens.js';
import { type RecoverOptions, TOKEN_PURPOSE, decision, recoverConfig, runIdOf } from './common.js';
import { hostConfig } from './config.js';

/** kubeadm's PKI files (cmd/kubeadm/app/constants: the CAs, the leaf certs, the sa key pair), relative to /etc/kubernetes. */
const KUBEADM_PKI = [
  ...['ca', 'apiserver', 'apiserver-kubelet-client', 'front-proxy-ca', 'front-proxy-client', 'apiserver-etcd-client'].flatMap((n) => [`pki/${n}.crt`, `pki/${n}.key`]),
  'pki/sa.key', 'pki/sa.pub',
  ...['ca', 'server', 'peer', 'healthcheck-client'].flatMap((n) => [`pki/etcd/${n}.crt`, `pki/etcd/${n}.key`]),
];

/** Every file of /etc/kubernetes that kubeadm makes (and `kubeadm reset` removes), relative to /etc/kubernetes. */
export const KUBEADM_FILES: readonly string[] = [
  ...KUBEADM_PKI,
  ...['admin.conf', 'super-admin.conf', 'kubelet.conf', 'bootstrap-kubelet.conf', 'controller-manager.conf', 'scheduler.conf'],
  ...KUBEADM_MANIFESTS.map((m) => `manifests/${m}`),
];

/** Move each of kubeadm's files ("$@", relative) that exists into "$1/etc-kubernetes" (never /var/lib/etcd). */
const MOVE_ASIDE = `set -eu
aside=$1/etc-kubernetes; shift
for f; do
  [ -e "/etc/kubernetes/$f" ] || [ -L "/etc/kubernetes/$f" ] || continue
  mkdir -p -m 0700 "$(dirname "$aside/$f")"
  rm -rf "$aside/$f"
  mv "/etc/kubernetes/$f" "$aside/$f"
done`;

/**
 * Put back what is not kubeadm's and is missing under /etc/kubernetes, from the newest archive of
 * this host ($1) under /var/backups/kubemend that held /etc/kubernetes (a backup taken after a wipe
 * holds none); kubeadm's files ("$@" after $1) are never taken. Prints one `put back` line per file.
 */
const PUT_BACK = `set -eu
umask 077; name=$1; shift
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for f; do echo "etc/kubernetes/$f"; done > "$work/kubeadm"
for a in $(ls -t /var/backups/kubemend/*/"$name".tar.gz 2>/dev/null); do
  tar -tzf "$a" 2>/dev/null | grep '^etc/kubernetes/.*[^/]$' > "$work/files" || continue
  grep -vxF -f "$work/kubeadm" "$work/files" | while IFS= read -r m; do
    [ -e "/$m" ] || [ -L "/$m" ] || printf '%s\\n' "$m"
  done > "$work/missing"
  if [ -s "$work/missing" ]; then
    tar -xzf "$a" -C / -T "$work/missing"
    sed "s|^|put back /|; s|$| (from $a)|" "$work/missing"
  fi
  exit 0
done`;

/** Step 1 on the masters being rebuilt. */
export const cleanPhase: HostPhase<RecoverOptions> = {
  id: 'masters/clean',
  title: "1. Masters: kubeadm config uploaded, kubeadm's files in /etc/kubernetes moved aside (others kept or put back), control-plane containers stopped (workloads untouched)",
  hosts: (ctx) => ctx.hosts.filter((h) => h.role === 'master' && decision(ctx).lost.includes(h.name)),
  strategy: { kind: 'serial' },
  destructive: true,
  async run(h) {
    const cfg = recoverConfig(h);
    // the kubelet's own flags (node-ip, ...) and runtime, kept across its re-bootstrap (steps 10)
    const registration = keepRegistration(h.host.name, await h.fact(kubeletFlagsEnv));
    // the run's first master (step 0 may choose it by the endpoint, not the inventory's `first`): without
    // a list, kubeadm's bootstrap-token phase makes its default 24 h token, with no description to find it by
    const bootstrapTokens = firstMasterName(h) === h.host.name ? [{ description: tokenDescription(runIdOf(h), TOKEN_PURPOSE.bootstrapPhase), ttl: '15m0s' }] : undefined;
    await h.run(['mkdir', '-p', '-m', '0700', '/var/lib/kubemend']);
    await h.upload(KUBEADM_CONFIG, hostConfig(h.host, cfg, { registration, bootstrapTokens }), { mode: 0o600 });
    await h.run(['sh', '-c', MOVE_ASIDE, 'sh', hostBackupDir(runIdOf(h)), ...KUBEADM_FILES], { what: "move kubeadm's files in /etc/kubernetes aside" });
    const put = await h.run(['sh', '-c', PUT_BACK, 'sh', h.host.name, ...KUBEADM_FILES], { what: 'put back files that are not kubeadm\'s from the newest backup holding /etc/kubernetes' });
    for (const line of put.stdout.split('\n').filter((l) => l.startsWith('put back '))) h.log(line);
    const ids = await h.fact(controlPlaneContainers);
    if (ids.length) {
      await h.run(['crictl', 'stop', ...ids], { allowFail: true, what: 'crictl stop control-plane containers' });
      await h.run(['crictl', 'rm', ...ids], { allowFail: true, what: 'crictl rm control-plane containers' });
    }
  },
};
