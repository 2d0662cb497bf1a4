/**
 * etcd asked the way a kubeadm host allows: a kubeadm host has no `etcdctl` (its packages are
 * kubeadm, kubelet, kubectl, cri-tools, kubernetes-cni); etcd runs from the registry.k8s.io/etcd
 * image, which carries `etcdctl`. So every etcd question is `crictl exec <etcd container> etcdctl
 * ...`, with the certificates at the paths kubeadm mounts into that container
 * (cmd/kubeadm/app/phases/etcd/local.go GetEtcdPodSpec: hostPath volumes `etcd-data` =
 * Etcd.Local.DataDir and `etcd-certs` = CertificatesDir+"/etcd", both mounted read-write at the
 * same paths; the pod uses the host network, so 127.0.0.1:2379 is the local member).
 */
import type { Fact, HostContext } from '../core/types.js';
import { KUBE_SYSTEM_LABEL } from './paths.js';

/** Health of every etcd member. */
export interface EtcdHealth {
  healthy: string[];
  unhealthy: string[];
}

/** Parse etcdctl's `endpoint health --cluster` output (stdout and stderr together). */
export function parseEtcdHealth(out: string): EtcdHealth {
  const healthy: string[] = [];
  const unhealthy: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^(\S+) is (healthy|unhealthy)/.exec(line.trim());
    if (m) (m[2] === 'healthy' ? healthy : unhealthy).push(m[1]);
  }
  return { healthy, unhealthy };
}

/** Where the etcd certificates are, on the host and (same path) in the etcd container. */
export const ETCD_PKI = '/etc/kubernetes/pki/etcd';

/**
 * The running etcd container of kubeadm's static pod: its name anchored (`--name` is an
 * unanchored regular expression over every container's name, so `etcd` alone matches a workload's
 * `etcd-backup`) and its pod's namespace, a label kubelet puts on every container
 * (cri-tools v1.32 cmd/crictl/container.go: `ps` flags `--name` "filter by container name
 * regular expression pattern", `--label` "filter by key=value label", `-q`; running only by default).
 */
export const ETCD_CONTAINER_ID = `crictl ps -q --name '^etcd$' --label ${KUBE_SYSTEM_LABEL} | head -n 1`;

/** The shell function ETCDCTL defines: the etcd image's etcdctl, run in the etcd container. */
export const ETCDCTL_FN = 'etcdctl_in_container';

/**
 * Shell prelude that defines ETCDCTL_FN, the etcd image's own etcdctl run in the etcd container
 * (cri-tools v1.32 cmd/crictl/exec.go: `crictl exec [CONTAINER-ID] COMMAND [ARG...]`; the
 * CONTAINER-ID form exists in every crictl of kubeadm 1.28-1.33, the filter flags of `exec` only
 * since cri-tools 1.32, so the id is found with `crictl ps` first), with the healthcheck-client certificate kubeadm makes for exactly this use. No
 * container (etcd not started yet): a message on stderr and status 125, never a fake answer.
 */
export const ETCDCTL = `${ETCDCTL_FN}() {
  id=$(${ETCD_CONTAINER_ID})
  [ -n "$id" ] || { echo "no running etcd container on this host (crictl ps --name '^etcd$' --label ${KUBE_SYSTEM_LABEL})" >&2; return 125; }
  crictl exec "$id" etcdctl --endpoints=https://127.0.0.1:2379 --cacert=${ETCD_PKI}/ca.crt --cert=${ETCD_PKI}/healthcheck-client.crt --key=${ETCD_PKI}/healthcheck-client.key --dial-timeout=3s --command-timeout=5s "$@"
}
`;

/** argv of `etcdctl ARGS` run in the etcd container (stderr merged, exit 0: for health reads parsed from text). */
export function etcdctlRead(args: string): string[] {
  return ['sh', '-c', `${ETCDCTL}${ETCDCTL_FN} ${args} 2>&1; exit 0`];
}

/** argv of `etcdctl endpoint health --cluster` in the etcd container (stderr merged; parse with parseEtcdHealth). */
export const ETCD_HEALTH_ARGV = etcdctlRead('endpoint health --cluster');

/** etcd health of every member, asked now on `h` (read-only; for polling, where the cached fact would not do). */
export async function readEtcdHealth(h: HostContext): Promise<EtcdHealth> {
  return parseEtcdHealth((await h.read(ETCD_HEALTH_ARGV, { what: 'etcdctl endpoint health (in the etcd container)' })).stdout);
}

/** etcd health of every member (cached per run: use readEtcdHealth for polling). */
export const etcdHealth: Fact<EtcdHealth> = {
  id: 'kubemend:etcd-health',
  argv: ETCD_HEALTH_ARGV,
  parse: (out) => parseEtcdHealth(out),
};

/** One member of `etcdctl member list -w json`. */
export interface EtcdMember {
  /** The member id in hex, as etcdctl's other commands take it. */
  id: string;
  name: string;
  peerURLs: string[];
  isLearner: boolean;
}

/** Parse `etcdctl member list -w json` (ids are uint64: read as text, never as JS numbers). */
export function parseMemberList(json: string): EtcdMember[] {
  const start = json.indexOf('{');
  if (start < 0) throw new Error(`etcdctl member list printed no JSON: ${json.trim().split('\n').pop()?.slice(0, 200) ?? ''}`);
  const body = json.slice(start);
  // JSON.parse would round a 64-bit id: quote every "ID": number first
  const safe = body.replace(/"ID"\s*:\s*(\d+)/g, '"ID":"$1"');
  const doc = JSON.parse(safe) as { members?: Array<{ ID: string; name?: string; peerURLs?: string[]; isLearner?: boolean }> };
  return (doc.members ?? []).map((m) => ({ id: BigInt(m.ID).toString(16), name: m.name ?? '', peerURLs: m.peerURLs ?? [], isLearner: !!m.isLearner }));
}

/** The member list, asked in the etcd container of the host of `argv`'s caller. */
export const ETCD_MEMBERS_ARGV = ['sh', '-c', `${ETCDCTL}${ETCDCTL_FN} member list -w json`];
