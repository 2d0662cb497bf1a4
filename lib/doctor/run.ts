/** Gather the cluster's facts (read-only, through buildPlan) and diagnose them. */
import { buildPlan } from '../core/plan.js';
import type { Host, Inventory } from '../inventory/types.js';
import type { Transport } from '../transport/types.js';
import { diagnose } from './diagnose.js';
import { type Collected, gatherPlaybook } from './gather.js';
import type { ClusterFacts, Diagnosis } from './types.js';

/** Facts and diagnosis of a cluster; never changes a host. */
export async function doctor(
  inventory: Inventory,
  transport: Transport,
  hosts: Host[] = inventory.hosts,
  concurrency = 20,
): Promise<{ facts: ClusterFacts; diagnosis: Diagnosis }> {
  const c: Collected = { hosts: new Map(), caPems: new Map(), etcd: null, api: 'unreachable' };
  const { result } = await buildPlan({ playbook: gatherPlaybook(c), inventory, transport, hosts, concurrency, sinks: [] });
  const failed = new Map(result.failures.map((f) => [f.host, f.error]));
  const facts: ClusterFacts = {
    hosts: hosts.map(
      (h) => c.hosts.get(h.name) ?? { name: h.name, role: h.role, error: failed.get(h.name) ?? 'not read', pki: null, kubelet: null, files: [], node: null },
    ),
    etcd: c.etcd,
    api: c.api,
    now: new Date().toISOString(),
    ...(inventory.kubeadmConfig ? { kubeadmConfig: inventory.kubeadmConfig } : {}),
    ...(inventory.etcd ? { inventoryEtcd: inventory.etcd } : {}),
    ...(c.etcdData ? { etcdData: [...c.etcdData].sort((a, b) => a.host.localeCompare(b.host)) } : {}),
  };
  return { facts, diagnosis: diagnose(facts) };
}
