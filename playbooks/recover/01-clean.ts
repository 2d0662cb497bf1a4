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
import type { HostContext, HostPhase } from '../../lib/core/types.js';
import { firstMasterName } from '../../lib/core/hosts.js';
import { controlPlaneContainers } from '../../lib/facts/containers.js';
import { KUBEADM_CONFIG, KUBEADM_MANIFESTS } from '../../lib/facts/paths.js';
import { hostBackupDir } from '../../lib/backup/archive.js';
import { keepRegistration, kubeletFlagsEnv } from '../../lib/kubeadm/config.js';
import { tokenDescription } from '../../lib/kube/bootstrap-tokens.js';
import { type RecoverOptions, lostMasters, recoverConfig } from './common.js';
import { TOKEN_PURPOSE } from '../shared/join-secrets.js';
import { runIdOf } from '../shared/run-files.js';
import { hostConfig } from './config.js';
import { KUBESPRAY_KUBELET_CONFIG, KUBESPRAY_KUBELET_ENV, KUBE_CERT_DIR, isKubespray } from '../shared/layout.js';
import { masterKubeletFiles, unusableKubeletFiles } from './kubespray-kubelet.js';

/** kubeadm's PKI files (cmd/kubeadm/app/constants: the CAs, the leaf certs, the sa key pair), relative to /etc/kubernetes. */
const KUBEADM_PKI = [
  ...['ca', 'apiserver', 'apiserver-kubelet-client', 'front-proxy-ca', 'front-proxy-client', 'apiserver-etcd-client'].flatMap((n) => [
    `pki/${n}.crt`,
    `pki/${n}.key`,
  ]),
  'pki/sa.key',
  'pki/sa.pub',
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

/**
 * kubespray's layout: kube_cert_dir /etc/kubernetes/ssl and its compat link /etc/kubernetes/pki
 * made again as kubespray's preinstall role makes them (roles/kubernetes/preinstall/tasks/0050-create_directories.yml:
 * the folder mode 0755; "Create kubernetes kubeadm compat cert dir (kubernetes/kubeadm issue 1498)", a link,
 * only when nothing is at /etc/kubernetes/pki), so that kubeadm writes the certificates into the
 * certificatesDir and every path kubemend reads under /etc/kubernetes/pki holds.
 */
const CERT_DIRS = `set -eu
mkdir -p -m 0755 "$1"; chmod 0755 "$1"
if [ ! -e /etc/kubernetes/pki ] && [ ! -L /etc/kubernetes/pki ]; then ln -s "$1" /etc/kubernetes/pki; echo "made /etc/kubernetes/pki -> $1"; fi`;

/** Print the file "$1" when it exists (status 3 when not). */
const CAT_IF = 'if [ -f "$1" ]; then cat "$1"; else exit 3; fi';

/**
 * kubespray's layout: kubelet.env and kubelet-config.yaml, when the backup did not put them back,
 * rendered from the first worker's (kubespray-kubelet.ts) and written 0600 as kubespray's node role
 * writes them; then the kubelet restarted to read them (it waits for the kubelet.conf of step 5).
 */
async function kubesprayKubeletFiles(h: HostContext<RecoverOptions>): Promise<void> {
  const there = await h.read(['sh', '-c', 'for f; do [ -f "$f" ] || echo "$f"; done; exit 0', 'sh', KUBESPRAY_KUBELET_ENV, KUBESPRAY_KUBELET_CONFIG], {
    what: "kubespray's kubelet files present",
  });
  if (there.stdout.trim()) {
    const worker = h.inventory.hosts.find((x) => x.role === 'worker');
    if (!worker)
      throw new Error(
        `${h.host.name}: ${there.stdout.trim().split('\n').join(', ')} missing (kubespray's kubelet reads them), no kubemend backup held them and there is no worker to render them from; put them back (kubespray's cluster.yml --tags kubelet) and run again`,
      );
    const w = h.on(worker);
    const read = async (f: string) => (await w.read(['sh', '-c', CAT_IF, 'sh', f], { what: `read ${worker.name}:${f}` })).stdout;
    const model = { env: await read(KUBESPRAY_KUBELET_ENV), config: await read(KUBESPRAY_KUBELET_CONFIG) };
    const bad = unusableKubeletFiles(model);
    if (bad)
      throw new Error(
        `${h.host.name}: kubespray's kubelet files are missing and ${worker.name}'s cannot be the model (${bad}); put them back (kubespray's cluster.yml --tags kubelet) and run again`,
      );
    const mine = masterKubeletFiles(worker, h.host, model);
    await h.upload(KUBESPRAY_KUBELET_ENV, mine.env, { mode: 0o600 });
    await h.upload(KUBESPRAY_KUBELET_CONFIG, mine.config, { mode: 0o600 });
    h.log(
      `wrote ${KUBESPRAY_KUBELET_ENV} and ${KUBESPRAY_KUBELET_CONFIG} from ${worker.name}'s, with ${h.host.name}'s node-ip, hostname-override and address (kubespray renders them alike on every node but these)`,
    );
  }
  await h.run(['systemctl', 'restart', 'kubelet'], { what: "restart the kubelet on kubespray's kubelet.env" });
}

/** Step 1 on the masters being rebuilt. */
export const cleanPhase: HostPhase<RecoverOptions> = {
  id: 'masters/clean',
  title:
    "1. Masters: kubeadm config uploaded, kubeadm's files in /etc/kubernetes moved aside (others kept or put back), control-plane containers stopped (workloads untouched)",
  hosts: lostMasters,
  strategy: { kind: 'serial' },
  destructive: true,
  async run(h) {
    const cfg = recoverConfig(h);
    // the kubelet's own flags (node-ip, ...) and runtime, kept across its re-bootstrap (steps 10)
    const registration = keepRegistration(h.host.name, await h.fact(kubeletFlagsEnv));
    // the run's first master (step 0 may choose it by the endpoint, not the inventory's `first`): without
    // a list, kubeadm's bootstrap-token phase makes its default 24 h token, with no description to find it by
    const bootstrapTokens =
      firstMasterName(h) === h.host.name ? [{ description: tokenDescription(runIdOf(h), TOKEN_PURPOSE.bootstrapPhase), ttl: '15m0s' }] : undefined;
    await h.run(['mkdir', '-p', '-m', '0700', '/var/lib/kubemend']);
    await h.upload(KUBEADM_CONFIG, hostConfig(h.host, cfg, { registration, bootstrapTokens }), { mode: 0o600 });
    await h.run(['sh', '-c', MOVE_ASIDE, 'sh', hostBackupDir(runIdOf(h)), ...KUBEADM_FILES], { what: "move kubeadm's files in /etc/kubernetes aside" });
    const put = await h.run(['sh', '-c', PUT_BACK, 'sh', h.host.name, ...KUBEADM_FILES], {
      what: "put back files that are not kubeadm's from the newest backup holding /etc/kubernetes",
    });
    for (const line of put.stdout.split('\n').filter((l) => l.startsWith('put back '))) h.log(line);
    if (isKubespray(h)) {
      const made = await h.run(['sh', '-c', CERT_DIRS, 'sh', KUBE_CERT_DIR], { what: `make ${KUBE_CERT_DIR} and the /etc/kubernetes/pki link` });
      if (made.stdout.trim()) h.log(made.stdout.trim());
      await kubesprayKubeletFiles(h);
    }
    const ids = await h.fact(controlPlaneContainers);
    if (ids.length) {
      await h.run(['crictl', 'stop', ...ids], { allowFail: true, what: 'crictl stop control-plane containers' });
      await h.run(['crictl', 'rm', ...ids], { allowFail: true, what: 'crictl rm control-plane containers' });
    }
  },
};
