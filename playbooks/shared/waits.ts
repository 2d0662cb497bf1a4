/**
 * Health waits on a master, read-only, for every playbook with --wait-seconds (recover,
 * renew-certs): etcd (all members, asked in its etcd container or through kubespray's etcdctl); the
 * master's own apiserver (readyz, at its own address with admin.conf's credentials and CA: never
 * through the endpoint, which may be a load balancer or VIP that has not noticed it yet, or another
 * master's address); the Nodes.
 */
import type { HostContext, PhaseContext } from '../../lib/core/types.js';
import { nameList } from '../../lib/doctor/names.js';
import { type EtcdHealth, readEtcdHealth } from '../../lib/facts/etcd.js';
import { ownApiserverUrl } from '../../lib/kube/own-apiserver.js';
import { kubectlOn } from './commands.js';
import { waitFor } from './wait-for.js';
import { etcdAskHost, etcdHealthReader, etcdMemberCount, layoutOf } from './layout.js';

/** The option the waits honour (recover's and renew-certs' --wait-seconds). */
type Waits = PhaseContext<{ waitSeconds?: number }>;

/** Wait until etcd, asked on `h` (in its etcd container, or with `read`: kubespray's etcdctl), reports `members` healthy members and no unhealthy one. */
export async function waitEtcdHealthy(
  ctx: Waits,
  h: HostContext,
  members: number,
  read: (h: HostContext) => Promise<EtcdHealth> = readEtcdHealth,
): Promise<void> {
  await waitFor(ctx, `etcd healthy on at least ${members} members, none unhealthy (asked on ${h.host.name})`, async () => {
    const s = await read(h);
    return s.healthy.length >= members && s.unhealthy.length === 0
      ? true
      : `${s.healthy.length} healthy, unhealthy: ${s.unhealthy.join(', ') || 'none listed'}`;
  });
}

/**
 * Wait until every member of the inventory's etcd group is healthy, for `h`: asked on `h` when it is
 * an etcd member, else on one (a master outside kubespray's etcd group has no etcd.env), the layout's
 * way (etcd container, or kubespray's etcdctl). Steps 4b, 8 and rebuild-one.
 */
export async function waitEtcdGroupHealthy(h: HostContext<{ waitSeconds?: number }>): Promise<void> {
  await waitEtcdHealthy(h, h.on(etcdAskHost(h, h.host)), etcdMemberCount(h), etcdHealthReader(layoutOf(h)));
}

/** Wait until `h`'s own apiserver answers /readyz at its own address, with the credentials and CA of `h`'s admin.conf. */
export async function waitApiserver(ctx: Waits, h: HostContext): Promise<void> {
  await waitFor(
    ctx,
    `${h.host.name}'s apiserver (${ownApiserverUrl(h.host)}) answers /readyz with the new CA (admin.conf's credentials on ${h.host.name})`,
    async () => {
      const r = await h.read(kubectlOn(h.host, 'get', '--raw', '/readyz'), { allowFail: true, what: 'kubectl get --raw /readyz' });
      return r.exitCode === 0 ? true : (r.stderr.trim().split('\n').pop() ?? `exit ${r.exitCode}`);
    },
  );
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
