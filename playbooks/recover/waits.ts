/**
 * Health waits on a master, read-only: etcd (all members, asked in its etcd container); the
 * master's own apiserver (readyz, at its own address with admin.conf's credentials and CA: never
 * through the endpoint, which may be a load balancer or VIP that has not noticed it yet, or another
 * master's address); and, before the first kubeadm phase that must go through admin.conf's server,
 * the control-plane endpoint itself.
 */
import type { HostContext, PhaseContext } from '../../lib/core/types.js';
import { type EtcdHealth, readEtcdHealth } from '../../lib/facts/etcd.js';
import { kubectlArgv, kubectlOn, waitFor } from './common.js';

/** The option the waits honour (recover's and renew-certs' --wait-seconds). */
type Waits = PhaseContext<{ waitSeconds?: number }>;
import { ownApiserverUrl } from '../../lib/kube/own-apiserver.js';
import { endpointLeads } from './00-endpoint.js';
import { nameList } from '../../lib/doctor/names.js';

/** Wait until etcd, asked on `h` (in its etcd container, or with `read`: kubespray's etcdctl), reports `members` healthy members and no unhealthy one. */
export async function waitEtcdHealthy(ctx: Waits, h: HostContext, members: number, read: (h: HostContext) => Promise<EtcdHealth> = readEtcdHealth): Promise<void> {
  await waitFor(ctx, `etcd healthy on at least ${members} members, none unhealthy (asked on ${h.host.name})`, async () => {
    const s = await read(h);
    return s.healthy.length >= members && s.unhealthy.length === 0 ? true : `${s.healthy.length} healthy, unhealthy: ${s.unhealthy.join(', ') || 'none listed'}`;
  });
}

/** Wait until `h`'s own apiserver answers /readyz at its own address, with the credentials and CA of `h`'s admin.conf. */
export async function waitApiserver(ctx: Waits, h: HostContext): Promise<void> {
  await waitFor(ctx, `${h.host.name}'s apiserver (${ownApiserverUrl(h.host)}) answers /readyz with the new CA (admin.conf's credentials on ${h.host.name})`, async () => {
    const r = await h.read(kubectlOn(h.host, 'get', '--raw', '/readyz'), { allowFail: true, what: 'kubectl get --raw /readyz' });
    return r.exitCode === 0 ? true : (r.stderr.trim().split('\n').pop() ?? `exit ${r.exitCode}`);
  });
}

/**
 * Wait until the control-plane endpoint, as `h` resolves and reaches it with its admin.conf
 * (exactly as kubeadm there will), answers /readyz with the new CA `streak` times in a row, 2 s
 * apart. More than once for a load balancer, VIP or several-address name: one answer could be a
 * balancer's lucky pick among backends that are down (no health check), and the kubeadm commands
 * after this one would then fail at random.
 */
export async function waitEndpoint(ctx: Waits, h: HostContext, endpoint: string, streak: number, why: string): Promise<void> {
  let inRow = 0;
  let answered = 0;
  await waitFor(ctx, `the control-plane endpoint ${endpoint} answers /readyz with the new CA from ${h.host.name}${streak > 1 ? ` ${streak} times in a row` : ''} (${why})`, async () => {
    const r = await h.read(kubectlArgv('get', '--raw', '/readyz'), { allowFail: true, what: 'kubectl get --raw /readyz (through the endpoint)' });
    if (r.exitCode === 0) {
      answered++;
      return ++inRow >= streak ? true : `${inRow} answer(s) in a row so far`;
    }
    inRow = 0;
    const last = r.stderr.trim().split('\n').pop() || `exit ${r.exitCode}`;
    return answered ? `${last} (it answered ${answered} time(s) before: a load balancer without health checks that still sends to masters that are down answers like this)` : last;
  });
}

/**
 * Before the first kubeadm command on the first master that must go through admin.conf's server
 * (the ClusterConfiguration's endpoint): `init phase bootstrap-token` copies the cluster of the
 * kubeconfig it runs with, server included, into cluster-info (clusterinfo.go
 * CreateBootstrapConfigMapIfNotExists; every later join's bootstrap kubeconfig takes that server:
 * discovery.go For), so a copy of admin.conf pointing at the master's own address would send every
 * node joined afterwards past the endpoint; `init phase upload-certs` takes no --kubeconfig at all
 * (uploadcerts.go InheritFlags: config, upload-certs, certificate-key, skip-certificate-key-print).
 * So the endpoint must lead to the new apiserver first: at once when it is this master's address;
 * for a load balancer or VIP once it noticed the new apiserver (its health check), 3 answers in a row.
 */
export async function waitAdminEndpoint(ctx: Waits, h: HostContext): Promise<void> {
  const lead = endpointLeads(ctx)?.[0];
  const endpoint = lead?.endpoint ?? ctx.inventory.controlPlaneEndpoint;
  const streak = lead?.kind === 'master' ? 1 : 3;
  const why = lead?.kind === 'master'
    ? `${lead.masters[0]}'s own address`
    : lead?.kind === 'masters' ? `a name for ${lead.masters.join(', ')}` : 'a load balancer or VIP: once it sends to the new apiserver';
  await waitEndpoint(ctx, h, endpoint, streak, `${why}; bootstrap-token and upload-certs go through it`);
}

/**
 * Wait until the Nodes named are Ready (asked with admin.conf on `h`, of `h`'s own apiserver);
 * returns the other Nodes that were not Ready at the last look.
 */
export async function waitNodesReady(ctx: Waits, h: HostContext, names: string[]): Promise<string[]> {
  let others: string[] = [];
  await waitFor(ctx, `Nodes Ready: ${nameList(names)}`, async () => {
    const r = await h.read(kubectlOn(h.host, 'get', 'nodes', '-o', 'json'), { allowFail: true, what: 'kubectl get nodes' });
    if (r.exitCode !== 0) return r.stderr.trim() || `exit ${r.exitCode}`;
    const ready = readyNodes(r.stdout);
    const all = (JSON.parse(r.stdout).items ?? []) as Array<{ metadata: { name: string } }>;
    others = all.map((n) => n.metadata.name).filter((n) => !ready.has(n) && !names.includes(n));
    const missing = names.filter((n) => !ready.has(n));
    return missing.length === 0 ? true : `not Ready: ${missing.join(', ')}`;
  });
  return others;
}

/** Names of Ready nodes in `kubectl get nodes -o json` output. */
export function readyNodes(json: string): Set<string> {
  const items = (JSON.parse(json).items ?? []) as Array<{ metadata: { name: string }; status?: { conditions?: Array<{ type: string; status: string }> } }>;
  return new Set(items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata.name));
}
