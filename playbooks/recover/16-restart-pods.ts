/**
 * Step 16: restart the pods that hold old tokens (they mount a blanked/refilled token Secret or
 * use a service account that has one): kube-system first (kube-proxy, CNI, CoreDNS), then the
 * rest, by deleting the pod so its controller recreates it. Other pods are never touched.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterPhase } from '../../lib/core/types.js';
import type { Kube } from '../../lib/kube/api.js';
import { kubeFor } from '../../lib/kube/session.js';
import { type RecoverOptions, waitFor } from './common.js';
import { isWorkload, podReady, recordRestarted } from './pods.js';
import { BLANKED, SA_TOKEN_TYPE } from './15-sa-tokens.js';

/** The token Secrets a pod depends on: mounted ones, and its service account's legacy token Secrets. */
export function podTokenSecrets(pod: V1Pod, saSecrets: Map<string, string[]>): string[] {
  const ns = pod.metadata?.namespace ?? 'default';
  const out = new Set<string>();
  for (const v of pod.spec?.volumes ?? []) if (v.secret?.secretName) out.add(`${ns}/${v.secret.secretName}`);
  for (const s of saSecrets.get(`${ns}/${pod.spec?.serviceAccountName ?? 'default'}`) ?? []) out.add(s);
  return [...out];
}

/** Order: kube-system's kube-proxy, CNI and CoreDNS first, the rest of kube-system, then other namespaces. */
export function restartOrder(p: V1Pod): number {
  const ns = p.metadata?.namespace;
  const n = p.metadata?.name ?? '';
  if (ns === 'kube-system') return /^(kube-proxy|calico|cilium|flannel|kube-flannel|weave|canal|coredns)/.test(n) ? 0 : 1;
  return 2;
}

/** Pod deletions in flight at once. */
const DELETES_AT_ONCE = 10;

/** Wait until the pods deleted in `gone` are gone and every pod of the same owners is Ready; returns what is still missing. */
async function replacedAndReady(kube: Kube, gone: V1Pod[]): Promise<true | string> {
  const owners = new Set(gone.map((p) => p.metadata?.ownerReferences?.[0]?.uid));
  const goneUids = new Set(gone.map((p) => p.metadata?.uid));
  const pods = (await kube.pods()).filter(isWorkload);
  const still = pods.filter((p) => goneUids.has(p.metadata?.uid)).map((p) => `${p.metadata?.namespace}/${p.metadata?.name} still there`);
  const notReady = pods.filter((p) => owners.has(p.metadata?.ownerReferences?.[0]?.uid) && !goneUids.has(p.metadata?.uid) && !podReady(p)).map((p) => `${p.metadata?.namespace}/${p.metadata?.name} not Ready`);
  const problems = [...still, ...notReady];
  return problems.length === 0 ? true : problems.slice(0, 5).join(', ') + (problems.length > 5 ? ` and ${problems.length - 5} more` : '');
}

/** Step 16 of recover (cluster phase): each group (kube-system networking/DNS, rest of kube-system, others) restarted and Ready before the next. */
export const restartPods: ClusterPhase<RecoverOptions> = {
  id: 'api/restart-pods',
  title: 'Restart pods holding old service-account tokens (kube-system first), by deleting them; each group Ready before the next',
  scope: 'cluster',
  async run(ctx) {
    await ctx.wet('delete pods that use a blanked token Secret (kube-system first), wait for their replacements; others untouched', async () => {
      const kube = await kubeFor(ctx);
      const tokenSecrets = await kube.secretsOfType(SA_TOKEN_TYPE);
      const blanked = new Set((ctx.shared.get(BLANKED) as string[] | undefined) ?? tokenSecrets.map((s) => `${s.metadata!.namespace}/${s.metadata!.name}`));
      const saSecrets = new Map<string, string[]>();
      for (const s of tokenSecrets) {
        const sa = s.metadata?.annotations?.['kubernetes.io/service-account.name'];
        if (!sa) continue;
        const k = `${s.metadata!.namespace}/${sa}`;
        saSecrets.set(k, [...(saSecrets.get(k) ?? []), `${s.metadata!.namespace}/${s.metadata!.name}`]);
      }
      const pods = (await kube.pods()).filter(isWorkload).filter((p) => podTokenSecrets(p, saSecrets).some((s) => blanked.has(s)));
      for (const group of [0, 1, 2]) {
        const batch = pods.filter((p) => restartOrder(p) === group);
        if (!batch.length) continue;
        recordRestarted(ctx, batch.map((p) => p.metadata!.uid!));
        // deleted DELETES_AT_ONCE at a time: one by one, a DaemonSet's pods on 50 nodes take minutes
        for (let i = 0; i < batch.length; i += DELETES_AT_ONCE) {
          await Promise.all(batch.slice(i, i + DELETES_AT_ONCE).map(async (p) => {
            await kube.deletePod(p.metadata!.namespace!, p.metadata!.name!);
            ctx.log(`restarted pod ${p.metadata!.namespace}/${p.metadata!.name} (old service-account token)`);
          }));
        }
        await waitFor(ctx, `replacements of ${batch.length} restarted pods Ready`, () => replacedAndReady(kube, batch));
      }
      ctx.log(`restarted ${pods.length} pods`);
    }, undefined);
  },
};
