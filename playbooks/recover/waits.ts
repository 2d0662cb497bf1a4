/** Health waits on a master: etcd (all members, asked in its etcd container), the apiserver (readyz), both read-only. */
import type { HostContext, PhaseContext } from '../../lib/core/types.js';
import { readEtcdHealth } from '../../lib/facts/etcd.js';
import { type RecoverOptions, kubectlArgv, waitFor } from './common.js';

/** Wait until etcd, asked on `h`, reports `members` healthy members and no unhealthy one. */
export async function waitEtcdHealthy(ctx: PhaseContext<RecoverOptions>, h: HostContext, members: number): Promise<void> {
  await waitFor(ctx, `etcd healthy on all ${members} members (asked on ${h.host.name})`, async () => {
    const s = await readEtcdHealth(h);
    return s.healthy.length >= members && s.unhealthy.length === 0 ? true : `${s.healthy.length} healthy, unhealthy: ${s.unhealthy.join(', ') || 'none listed'}`;
  });
}

/** Wait until the apiserver answers /readyz to the admin.conf on `h`. */
export async function waitApiserver(ctx: PhaseContext<RecoverOptions>, h: HostContext): Promise<void> {
  await waitFor(ctx, `the apiserver answers with the new CA (admin.conf on ${h.host.name})`, async () => {
    const r = await h.read(kubectlArgv('get', '--raw', '/readyz'), { allowFail: true, what: 'kubectl get --raw /readyz' });
    return r.exitCode === 0 ? true : (r.stderr.trim().split('\n').pop() ?? `exit ${r.exitCode}`);
  });
}

/** Wait until the Nodes named are Ready (asked with admin.conf on `h`). */
export async function waitNodesReady(ctx: PhaseContext<RecoverOptions>, h: HostContext, names: string[]): Promise<void> {
  await waitFor(ctx, `nodes Ready: ${names.join(', ')}`, async () => {
    const r = await h.read(kubectlArgv('get', 'nodes', '-o', 'json'), { allowFail: true, what: 'kubectl get nodes' });
    if (r.exitCode !== 0) return r.stderr.trim() || `exit ${r.exitCode}`;
    const ready = readyNodes(r.stdout);
    const missing = names.filter((n) => !ready.has(n));
    return missing.length === 0 ? true : `not Ready: ${missing.join(', ')}`;
  });
}

/** Names of Ready nodes in `kubectl get nodes -o json` output. */
export function readyNodes(json: string): Set<string> {
  const items = (JSON.parse(json).items ?? []) as Array<{ metadata: { name: string }; status?: { conditions?: Array<{ type: string; status: string }> } }>;
  return new Set(items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata.name));
}
