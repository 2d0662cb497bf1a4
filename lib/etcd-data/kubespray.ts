/**
 * etcd as kubespray runs it (`etcd_deployment_type: host`, its default), asked with kubespray's own
 * tools on an etcd member: read-only. kubespray installs `etcdctl` into bin_dir `/usr/local/bin`
 * (kubernetes-sigs/kubespray at 46dbdd39, roles/etcdctl_etcdutl/tasks/main.yml "Copy etcdctl and
 * etcdutl binary from download dir") and writes its CLI settings for that host into `/etc/etcd.env`
 * (roles/etcd/templates/etcd.env.j2, "# CLI settings": `ETCDCTL_ENDPOINTS=https://127.0.0.1:2379`,
 * `ETCDCTL_CACERT={{ etcd_cert_dir }}/ca.pem`, `ETCDCTL_CERT=.../admin-{{ inventory_hostname }}.pem`,
 * `ETCDCTL_KEY=...-key.pem`). A wiped /etc/kubernetes leaves all of them, and the etcd service, in
 * place: the cluster's objects (the kubeadm-config and kubelet-config ConfigMaps among them) stay
 * readable through the running etcd, with no copy of its data and no container.
 */
import type { HostContext } from '../core/types.js';
import { type EtcdHealth, type EtcdMember, parseEtcdHealth, parseMemberList } from '../facts/etcd.js';
import { configFromValues, parseGetLines } from './configmaps.js';
import type { Decrypt } from './encryption.js';
import type { EtcdConfigRead } from './remote.js';

/** kubespray's etcd environment file (the service's settings and the CLI's). */
export const ETCD_ENV = '/etc/etcd.env';
/** kubespray's bin_dir, where its etcdctl is. */
export const KUBESPRAY_BIN = '/usr/local/bin';

/**
 * Shell prelude defining `kubespray_etcdctl ARGS`: kubespray's etcdctl with the endpoint and
 * certificates /etc/etcd.env gives this host (as flags: the file is systemd's format, not sourced
 * as shell); a missing etcdctl or setting is said on stderr with status 125, never guessed.
 */
export const KUBESPRAY_ETCDCTL = `kubespray_etcdctl() {
  env=${ETCD_ENV}
  [ -r "$env" ] || { echo "no $env (kubespray's etcd settings) on this host" >&2; return 125; }
  v() { sed -n "s/^$1=//p" "$env" | tail -n 1; }
  ep=$(v ETCDCTL_ENDPOINTS) ca=$(v ETCDCTL_CACERT) cert=$(v ETCDCTL_CERT) key=$(v ETCDCTL_KEY)
  for x in ETCDCTL_ENDPOINTS:"$ep" ETCDCTL_CACERT:"$ca" ETCDCTL_CERT:"$cert" ETCDCTL_KEY:"$key"; do
    [ -n "\${x#*:}" ] || { echo "$env sets no \${x%%:*}" >&2; return 125; }
  done
  bin=${KUBESPRAY_BIN}/etcdctl
  [ -x "$bin" ] || bin=$(command -v etcdctl) || { echo "no etcdctl in ${KUBESPRAY_BIN} or PATH (kubespray's etcdctl_etcdutl role installs it)" >&2; return 125; }
  ETCDCTL_API=3 "$bin" --endpoints="$ep" --cacert="$ca" --cert="$cert" --key="$key" --dial-timeout=3s --command-timeout=10s "$@"
}
`;

/** argv running `kubespray_etcdctl ARGS` (stderr merged, exit 0: the output is parsed). */
export function kubesprayEtcdctl(args: string): string[] {
  return ['sh', '-c', `${KUBESPRAY_ETCDCTL}kubespray_etcdctl ${args} 2>&1; exit 0`];
}

/** argv of `etcdctl endpoint health --cluster` with kubespray's settings (stderr merged; parse with parseEtcdHealth): the same answer as lib/facts/etcd.ts ETCD_HEALTH_ARGV, from kubespray's service. */
export const KUBESPRAY_HEALTH_ARGV = kubesprayEtcdctl('endpoint health --cluster');
/** argv of `etcdctl endpoint status --cluster -w json` with kubespray's settings (stderr merged): the join gate's leader and raft term (playbooks/recover/join-gate.ts). */
export const KUBESPRAY_STATUS_ARGV = kubesprayEtcdctl('endpoint status --cluster -w json');

/** Health of every member, through kubespray's etcdctl on `h` (an etcd member). */
export async function kubesprayEtcdHealth(h: HostContext): Promise<EtcdHealth> {
  const out = (await h.read(KUBESPRAY_HEALTH_ARGV, { what: `etcdctl endpoint health with kubespray's ${ETCD_ENV} settings` })).stdout;
  return parseEtcdHealth(out);
}

/** The members (ids in hex), through kubespray's etcdctl on `h`. */
export async function kubesprayEtcdMembers(h: HostContext): Promise<EtcdMember[]> {
  const out = (
    await h.read(['sh', '-c', `${KUBESPRAY_ETCDCTL}kubespray_etcdctl member list -w json`], {
      what: `etcdctl member list with kubespray's ${ETCD_ENV} settings`,
    })
  ).stdout;
  return parseMemberList(out);
}

/** The script printing `NAME JSON` for each ConfigMap (`etcdctl get KEY -w json`: values in base64). */
const GET_CONFIGMAPS = `${KUBESPRAY_ETCDCTL}for k in kubeadm-config kubelet-config; do
  out=$(kubespray_etcdctl get "/registry/configmaps/kube-system/$k" -w json) || exit 9
  printf '%s %s\n' "$k" "$out"
done
`;

/** kube-system/kubeadm-config (and kubelet-config) read through kubespray's running etcd service on `h` (read-only). */
export async function readThroughKubesprayEtcd(h: HostContext, decrypt?: Decrypt): Promise<EtcdConfigRead> {
  const r = await h.read(['sh', '-c', GET_CONFIGMAPS], {
    what: `read kubeadm-config and kubelet-config through kubespray's etcd service (its etcdctl, ${ETCD_ENV} settings)`,
    allowFail: true,
  });
  if (r.exitCode !== 0)
    throw new Error(
      `${h.host.name}: etcdctl get with kubespray's ${ETCD_ENV} settings: exit ${r.exitCode}: ${r.stderr.trim().split('\n').slice(-2).join(' ').slice(0, 300)}`,
    );
  const { got, revision } = parseGetLines(r.stdout);
  if (!got['kubeadm-config']) throw new Error(`${h.host.name}: kubespray's etcd service has no kube-system/kubeadm-config (store revision ${revision})`);
  return {
    config: configFromValues(got['kubeadm-config'], got['kubelet-config'], decrypt),
    revision,
    how: `kubespray's etcd service on ${h.host.name}, read with its etcdctl and the client certificate ${ETCD_ENV} names`,
  };
}
