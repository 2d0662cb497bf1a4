/**
 * Which pods step 16 restarts and how (pure): every pod holding in-cluster credentials that was
 * created before the restart mark (so a resumed run skips the pods it already replaced), static
 * pods' mirrors excluded, in three groups run one after the other: kube-system's (and the CNI's
 * own namespaces') networking and DNS, one controller at a time, proxy and CNI before DNS; the
 * rest of kube-system; everything else. A pod under a Deployment, DaemonSet or StatefulSet is
 * restarted through that controller as `kubectl rollout restart` does (unless it cannot roll by
 * itself: a paused Deployment, an OnDelete strategy); any other pod (bare, a Job's, a ReplicaSet
 * of its own, an operator's) through the Eviction API.
 */
import type { V1Pod, V1ReplicaSet } from '@kubernetes/client-node';
import type { RestartableKind } from '../../lib/kube/api.js';
import { isWorkload, restartableOwner, usesInClusterCredentials } from './pods.js';

/** Names of networking and DNS add-ons (kube-proxy, CNI plugins), restarted first. */
const NETWORK = /^(kube-proxy|calico|cilium|flannel|kube-flannel|weave|canal|antrea|kube-router|kube-ovn|multus)/;
const DNS = /^(coredns|kube-dns)/;
/** Namespaces CNI plugins install themselves in. */
const CNI_NAMESPACES = new Set(['kube-flannel', 'calico-system', 'tigera-operator', 'cilium']);

/** 0: networking and DNS (kube-system and CNI namespaces), 1: the rest of kube-system, 2: the rest. */
export function restartGroup(namespace: string, name: string): 0 | 1 | 2 {
  if ((namespace === 'kube-system' && (NETWORK.test(name) || DNS.test(name))) || CNI_NAMESPACES.has(namespace)) return 0;
  return namespace === 'kube-system' ? 1 : 2;
}

/** A controller to restart, with the pods of it that hold old credentials. */
export interface ControllerRestart {
  kind: RestartableKind;
  namespace: string;
  name: string;
  /** `namespace/name` of the old pods. */
  pods: string[];
  uids: string[];
}

/** A pod to evict. */
export interface PodEviction {
  namespace: string;
  name: string;
  uid: string;
  /** Its controller (kind/name), when it has one that recreates it. */
  owner?: string;
  /** Why it is evicted rather than rolled (`no controller`, `ReplicaSet without Deployment`, ...). */
  why: string;
}

/** One group of the plan. */
export interface RestartGroup {
  group: 0 | 1 | 2;
  /** Controllers one at a time (group 0) or all at once. */
  sequential: boolean;
  controllers: ControllerRestart[];
  evictions: PodEviction[];
}

/** Options a controller cannot roll by itself (resolved by the caller from the live object). */
export type NoRoll = (c: { kind: RestartableKind; namespace: string; name: string }) => string | undefined;

/** The restart plan: pods with in-cluster credentials created before `markMs`, grouped and ordered. */
export function planRestarts(
  pods: V1Pod[],
  replicaSets: V1ReplicaSet[],
  tokenSecrets: ReadonlySet<string>,
  markMs: number,
  noRoll: NoRoll = () => undefined,
): RestartGroup[] {
  const rsByUid = new Map(replicaSets.map((r) => [r.metadata?.uid ?? '', r]));
  const groups = new Map<number, RestartGroup>();
  const groupOf = (g: 0 | 1 | 2) => {
    if (!groups.has(g)) groups.set(g, { group: g, sequential: g === 0, controllers: [], evictions: [] });
    return groups.get(g)!;
  };
  for (const p of pods) {
    if (!isWorkload(p) || !usesInClusterCredentials(p, tokenSecrets)) continue;
    const created = new Date(p.metadata?.creationTimestamp as unknown as string).getTime();
    if (!(created < markMs)) continue; // made after the keys changed: it already has the new CA and token
    const ns = p.metadata!.namespace!;
    const id = `${ns}/${p.metadata!.name}`;
    const owner = restartableOwner(p, rsByUid);
    const why = owner ? noRoll(owner) : undefined;
    if (owner && !why) {
      const g = groupOf(restartGroup(ns, owner.name));
      let c = g.controllers.find((x) => x.kind === owner.kind && x.namespace === ns && x.name === owner.name);
      if (!c) g.controllers.push((c = { ...owner, pods: [], uids: [] }));
      c.pods.push(id);
      c.uids.push(p.metadata!.uid!);
      continue;
    }
    const ref = p.metadata?.ownerReferences?.find((o) => o.controller);
    groupOf(restartGroup(ns, owner?.name ?? ref?.name ?? p.metadata!.name!)).evictions.push({
      namespace: ns,
      name: p.metadata!.name!,
      uid: p.metadata!.uid!,
      ...(ref ? { owner: `${ref.kind}/${ref.name}` } : {}),
      why: why ?? (ref ? `${ref.kind} ${ref.name} has no rollout restart` : 'no controller: it will not come back'),
    });
  }
  const rank = (name: string) => (DNS.test(name) ? 1 : 0);
  const out = [...groups.values()].sort((a, b) => a.group - b.group);
  for (const g of out) {
    g.controllers.sort((a, b) => (g.sequential ? rank(a.name) - rank(b.name) : 0) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
    g.evictions.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }
  return out;
}
