/**
 * daemonset: one pod per eligible node for each apps/v1 DaemonSet (nodeSelector, affinity and
 * NoSchedule/NoExecute taints vs. tolerations, plus the tolerations the real controller adds).
 * A missing pod is created with a new random name, owned by the DaemonSet and pinned to its node
 * by required node affinity on `metadata.name`; the scheduler binds it, as in Kubernetes >= 1.12.
 * A template change rolls (updateStrategy RollingUpdate, the default): pods of an older template
 * (label `controller-revision-hash`) are replaced while at most maxUnavailable daemon pods are
 * unavailable; OnDelete leaves them until they are deleted.
 */
import { randomInt } from 'node:crypto';
import type { KObject } from '../../client/api.js';
import { ApiError } from '../../client/api.js';
import type { Context, Controller } from '../context.js';
import { type Toleration, podFitsNode, readyStatus, untolerated } from '../taints.js';
import { type NodePods, daemonPodsToReplace, podAvailable, safeHash, scaled } from '../rollout.js';

/** The tolerations the real DaemonSet controller adds to every daemon pod. */
export const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A pod name suffix as apiserver's generateName makes it (5 chars of the safe alphabet). */
export function nameSuffix(): string {
  return Array.from({ length: 5 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}

function tolerationsFor(template: any): Toleration[] {
  const own: Toleration[] = template?.spec?.tolerations ?? [];
  const extra = DAEMON_TOLERATIONS.filter((d) => !own.some((t) => t.key === d.key && t.effect === d.effect));
  return [...own, ...extra];
}

/**
 * Whether a DaemonSet should start a pod on this node, and whether a pod already there may keep
 * running (the real NodeShouldRunDaemonPod: an untolerated NoSchedule taint stops new pods only,
 * an untolerated NoExecute taint removes the running one too).
 */
export function shouldRun(ds: KObject, node: KObject): { run: boolean; keep: boolean } {
  const spec = ds.spec?.template?.spec ?? {};
  if (!podFitsNode(spec, node)) return { run: false, keep: false };
  const taints = node.spec?.taints ?? [];
  const tols = tolerationsFor(ds.spec?.template);
  if (untolerated(taints, tols, ['NoSchedule', 'NoExecute']).length === 0) return { run: true, keep: true };
  return { run: false, keep: untolerated(taints, tols, ['NoExecute']).length === 0 };
}

/** The node a daemon pod is for: its nodeName, else its required affinity on metadata.name. */
export function nodeOfPod(pod: KObject): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms: any[] = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const t of terms) for (const f of t.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In') return f.values?.[0];
  return undefined;
}

/** The controller-revision-hash of a DaemonSet's current template. */
export function dsTemplateHash(ds: KObject): string {
  return safeHash(ds.spec?.template ?? {});
}

const HASH = 'controller-revision-hash';

/** The daemon pod for one node, as the real controller builds it from the template. */
export function daemonPod(ds: KObject, nodeName: string): KObject {
  const t = ds.spec?.template ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${ds.metadata.name}-${nameSuffix()}`,
      namespace: ds.metadata.namespace,
      labels: { ...(t.metadata?.labels ?? {}), [HASH]: dsTemplateHash(ds), 'pod-template-generation': String(ds.metadata.generation ?? 1) },
      ...(t.metadata?.annotations ? { annotations: t.metadata.annotations } : {}),
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata.name, uid: ds.metadata.uid!, controller: true, blockOwnerDeletion: true } as any,
      ],
    },
    spec: {
      ...t.spec,
      affinity: {
        ...(t.spec?.affinity ?? {}),
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
          },
        },
      },
      tolerations: tolerationsFor(t),
    },
  };
}

/** Make the daemonset controller. */
export function daemonSet(ctx: Context): Controller {
  const log = ctx.log.child('daemonset');
  let statusUnsupported = false;
  return {
    name: 'daemonset-controller',
    watches: ['daemonsets', 'pods', 'nodes'],
    periodMs: ctx.opts.syncPeriodMs,
    async sync() {
      const sets = await ctx.api.list('daemonsets', '/apis/apps/v1/daemonsets');
      if (!sets.length) return;
      const nodes = await ctx.api.list('nodes', '/api/v1/nodes');
      const pods = await ctx.api.list('pods', '/api/v1/pods');
      for (const ds of sets) {
        if (ds.metadata.deletionTimestamp) continue;
        const ns = ds.metadata.namespace!;
        const owned = pods.filter(
          (p) =>
            p.metadata.namespace === ns && !p.metadata.deletionTimestamp && p.metadata.ownerReferences?.some((o) => o.controller && o.uid === ds.metadata.uid),
        );
        let desired = 0;
        let scheduled = 0;
        let ready = 0;
        let misscheduled = 0;
        let updated = 0;
        let available = 0;
        const hash = dsTemplateHash(ds);
        const minReady = ds.spec?.minReadySeconds ?? 0;
        const rolling: NodePods[] = [];
        for (const node of nodes) {
          const mine = owned.filter((p) => nodeOfPod(p) === node.metadata.name);
          const { run, keep } = shouldRun(ds, node);
          if (run) desired++;
          if (run && mine.length === 0) {
            rolling.push({ node: node.metadata.name }); // a node without its pod counts as unavailable
            const pod = daemonPod(ds, node.metadata.name);
            try {
              await ctx.api.create(`pod ${ns}/${pod.metadata.name} of daemonset ${ds.metadata.name}`, `/api/v1/namespaces/${ns}/pods`, pod);
              log.info(`created pod ${ns}/${pod.metadata.name} of daemonset ${ds.metadata.name} for node ${node.metadata.name}`);
            } catch (e) {
              // e.g. its service account does not exist yet (FailedCreate): retried on the next sync
              log.warn(`Error creating: ${(e as Error).message}`);
            }
            continue;
          }
          // keep one pod per node, the newest template's first
          const ordered = [...mine].sort((a, b) => Number(b.metadata.labels?.[HASH] === hash) - Number(a.metadata.labels?.[HASH] === hash));
          const extra = keep ? ordered.slice(1) : ordered;
          if (!keep && mine.length) misscheduled += mine.filter((p) => p.spec?.nodeName).length;
          for (const p of extra) {
            log.info(
              `deleting pod ${ns}/${p.metadata.name} of daemonset ${ds.metadata.name}: ${keep ? 'more than one on' : 'should not run on'} node ${node.metadata.name}`,
            );
            await ctx.api.delete(`pod ${ns}/${p.metadata.name}`, `/api/v1/namespaces/${ns}/pods/${p.metadata.name}`);
          }
          const kept = keep ? ordered[0] : undefined;
          if (kept?.spec?.nodeName) {
            scheduled++;
            if ((kept.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True') && readyStatus(node) !== 'Unknown') ready++;
            if (podAvailable(kept, minReady) && readyStatus(node) !== 'Unknown') available++;
          }
          if (kept && kept.metadata.labels?.[HASH] === hash) updated++;
          if (run && kept)
            rolling.push(kept.metadata.labels?.[HASH] === hash ? { node: node.metadata.name, newPod: kept } : { node: node.metadata.name, oldPod: kept });
        }
        const strategy = ds.spec?.updateStrategy;
        if ((strategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && rolling.some((n) => n.oldPod)) {
          const maxUnavailable = Math.max(scaled(strategy?.rollingUpdate?.maxUnavailable ?? 1, desired, true), strategy?.rollingUpdate?.maxSurge ? 0 : 1);
          for (const name of daemonPodsToReplace(rolling, maxUnavailable, minReady)) {
            log.info(`deleting pod ${ns}/${name} of daemonset ${ds.metadata.name}: an older template (rolling update, maxUnavailable ${maxUnavailable})`);
            await ctx.api.delete(`pod ${ns}/${name}`, `/api/v1/namespaces/${ns}/pods/${name}`);
          }
        }
        const status = {
          ...(ds.status ?? {}),
          currentNumberScheduled: scheduled,
          desiredNumberScheduled: desired,
          numberMisscheduled: misscheduled,
          numberReady: ready,
          numberAvailable: available,
          numberUnavailable: Math.max(0, desired - available),
          updatedNumberScheduled: updated,
          observedGeneration: ds.metadata.generation ?? 1,
        };
        if (statusUnsupported || Object.entries(status).every(([k, v]) => ds.status?.[k] === v)) continue;
        try {
          await ctx.api.update(`status of daemonset ${ns}/${ds.metadata.name}`, `/apis/apps/v1/namespaces/${ns}/daemonsets/${ds.metadata.name}/status`, {
            ...ds,
            status,
          });
        } catch (e) {
          if (e instanceof ApiError && (e.status === 404 || e.status === 405)) {
            statusUnsupported = true;
            log.warn(`the apiserver has no daemonsets/status: ${(e as Error).message}`);
          } else if (!(e instanceof ApiError && e.status === 409)) throw e;
        }
      }
    },
  };
}
