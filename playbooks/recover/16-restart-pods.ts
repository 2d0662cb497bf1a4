/**
 * Step 16: restart every pod that holds in-cluster credentials (a projected token with
 * `kube-root-ca.crt`, or a legacy token Secret): client-go reads the CA file once at start, so
 * after a new CA these pods fail with x509 errors until restarted, and every token signed with
 * the old sa.key is refused ("Manual Rotation of CA Certificates": restart all pods using
 * in-cluster configuration). kube-system networking and DNS first, then the rest of kube-system,
 * then the other namespaces (restart-plan.ts); controllers as `kubectl rollout restart` does
 * (the restartedAt annotation: each controller replaces its pods within its own maxUnavailable),
 * waiting for each rollout as `kubectl rollout status` does; other pods through the Eviction API,
 * one at a time, retried while a PodDisruptionBudget refuses. Static pods and pods without
 * credentials are never touched. Resume-safe: the restart mark (the first master's clock when
 * the step first ran) and the restartedAt values set are kept in the run folder.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { inventoryFirst } from '../../lib/core/hosts.js';
import type { ClusterPhase, PhaseContext } from '../../lib/core/types.js';
import type { Kube, RestartableKind } from '../../lib/kube/api.js';
import { RESTARTED_AT, rollsByItself, rolloutState } from '../../lib/kube/rollout.js';
import { kubeFor } from '../../lib/kube/session.js';
import { type RecoverOptions, rebuildsAll } from './common.js';
import { readRunFile, writeRunFile } from '../shared/run-files.js';
import { waitFor } from '../shared/wait-for.js';
import { SA_TOKEN_TYPE } from './15-sa-tokens.js';
import { isWorkload, podReady, recordRestarted, restartableOwner, usesInClusterCredentials } from './pods.js';
import { type ControllerRestart, type PodEviction, type RestartGroup, planRestarts } from './restart-plan.js';

/** Run file: the restart mark (ms since the epoch, the first master's clock). */
export const RESTART_MARK = 'restart-mark.json';
/** Run file: the restartedAt value set on each controller (`Kind/ns/name`). */
const RESTARTS = 'restarts.json';
/** Seconds each pod of a controller adds to the wait for its rollout (a DaemonSet on 50 nodes rolls one node at a time). */
const SECONDS_PER_POD = 15;

/**
 * The restart mark: pods holding credentials created before it are restarted; kept across a resume.
 * creationTimestamp has whole seconds, so the mark is the next whole second of the first master's
 * clock and nothing is restarted before it has passed: a pod created before the step has a
 * timestamp before the mark, every pod the step makes one at or after it (a mark in the middle of a
 * second could not tell the two apart: a DaemonSet's pod replaced within that second looked old).
 */
export async function restartMark(ctx: PhaseContext<RecoverOptions>): Promise<number> {
  const kept = readRunFile<{ markMs: number }>(ctx, RESTART_MARK);
  if (kept) return kept.markMs;
  const first = ctx.on(inventoryFirst(ctx));
  // the apiserver's clock stamps creationTimestamp: read the time on a master, not on this machine
  const secs = Number((await first.read(['date', '-u', '+%s'], { what: 'date on the first master' })).stdout.trim());
  const markMs = Number.isFinite(secs) && secs > 0 ? (secs + 1) * 1000 : Math.ceil(Date.now() / 1000) * 1000;
  writeRunFile(ctx, RESTART_MARK, { markMs, at: new Date(markMs).toISOString() });
  // the master's clock read `secs` at most a second ago plus the read's way back: a second from now it is past the mark
  await ctx.wet(
    `wait: the first master's clock past the restart mark ${new Date(markMs).toISOString()}`,
    () => new Promise((r) => setTimeout(r, 1000)),
    undefined,
  );
  return markMs;
}

const key = (c: { kind: string; namespace: string; name: string }) => `${c.kind}/${c.namespace}/${c.name}`;
const podId = (p: V1Pod) => `${p.metadata?.namespace}/${p.metadata?.name}`;

/** Restart one controller (once per run: a resumed run waits for the rollout it started). */
async function restartController(ctx: PhaseContext<RecoverOptions>, kube: Kube, c: ControllerRestart): Promise<void> {
  const done = readRunFile<Record<string, string>>(ctx, RESTARTS) ?? {};
  const cur = await kube.controller(c.kind, c.namespace, c.name);
  if (!cur) return;
  const at = done[key(c)];
  if (at && cur.spec?.template?.metadata?.annotations?.[RESTARTED_AT] === at) return;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await kube.restartController(c.kind, c.namespace, c.name, now);
  writeRunFile(ctx, RESTARTS, { ...done, [key(c)]: now });
  ctx.log(`rollout restart ${c.kind.toLowerCase()}/${c.name} -n ${c.namespace} (${c.pods.length} pods with in-cluster credentials)`);
}

/** Wait until the controllers rolled out (kubectl rollout status) and none of their old pods is left. */
async function waitRollouts(ctx: PhaseContext<RecoverOptions>, kube: Kube, cs: ControllerRestart[]): Promise<void> {
  if (!cs.length) return;
  const old = new Set(cs.flatMap((c) => c.uids));
  const pods = cs.reduce((n, c) => n + c.pods.length, 0);
  await waitFor(
    ctx,
    `rollout of ${cs.map((c) => `${c.kind.toLowerCase()}/${c.namespace}/${c.name}`).join(', ')}`,
    async () => {
      for (const c of cs) {
        const obj = await kube.controller(c.kind, c.namespace, c.name);
        if (!obj) continue;
        const st = rolloutState(c.kind, obj);
        if ('error' in st) throw new Error(`${c.kind.toLowerCase()}/${c.namespace}/${c.name}: ${st.error}`);
        if (!st.done) return st.waiting;
      }
      const left = (await kube.pods()).filter((p) => old.has(p.metadata?.uid ?? '')).map(podId);
      return left.length ? `old pods still there: ${left.slice(0, 5).join(', ')}` : true;
    },
    { seconds: (ctx.options.waitSeconds ?? 300) + SECONDS_PER_POD * pods },
  );
}

/** Ready pods controlled by `owner` (`Kind/name`) in a namespace. */
function readyOf(pods: V1Pod[], namespace: string, owner: string): number {
  return pods.filter(
    (p) => p.metadata?.namespace === namespace && p.metadata?.ownerReferences?.some((o) => o.controller && `${o.kind}/${o.name}` === owner) && podReady(p),
  ).length;
}

/**
 * Evict one pod through the Eviction API, retried while a PodDisruptionBudget refuses; then wait
 * until it is gone and its controller (if any) has as many Ready pods as before. A refused pod that
 * is not Ready counts for no budget (it is not among the budget's healthy pods: deleting it takes no
 * availability away), but the default IfHealthyBudget policy refuses it while the budget is short,
 * and after a CA change the budget is short precisely because its pods cannot reach the apiserver
 * until restarted: such a pod is deleted, as `unhealthyPodEvictionPolicy: AlwaysAllow` would let
 * the eviction do (KEP-3017). A Ready pod is never deleted past its budget.
 */
async function evictOne(ctx: PhaseContext<RecoverOptions>, kube: Kube, e: PodEviction): Promise<void> {
  // the owner must get back its Ready pods plus this one's replacement when this one was not Ready:
  // after a CA change its pods are usually all unready, and "as many Ready as before" (0) held at
  // once, before the replacement even existed, so the proof ran ahead of it (recover-resume seed 47)
  const pods0 = await kube.pods();
  const wasReady = pods0.some((p) => p.metadata?.uid === e.uid && podReady(p));
  const before = e.owner ? readyOf(pods0, e.namespace, e.owner) + (wasReady ? 0 : 1) : 0;
  let blocked = '';
  let deleted: string | undefined;
  await waitFor(ctx, `eviction of pod ${e.namespace}/${e.name}`, async () => {
    const r = await kube.evictPod(e.namespace, e.name);
    if (r.result !== 'blocked') return true;
    const pod = (await kube.pods()).find((p) => p.metadata?.uid === e.uid);
    if (!pod) return true;
    if (!podReady(pod)) {
      await kube.deletePod(e.namespace, e.name, e.uid);
      deleted = r.reason;
      return true;
    }
    if (r.reason !== blocked) ctx.log(`eviction of pod ${e.namespace}/${e.name} refused for now: ${r.reason}`);
    blocked = r.reason;
    return `refused: ${r.reason}`;
  });
  ctx.log(
    deleted === undefined
      ? `evicted pod ${e.namespace}/${e.name} (${e.why})`
      : `deleted pod ${e.namespace}/${e.name} (${e.why}): not Ready, so it counts for no disruption budget, and its eviction was refused (${deleted})`,
  );
  await waitFor(ctx, `pod ${e.namespace}/${e.name} gone${e.owner ? ` and ${e.owner} back to ${before} Ready pods` : ''}`, async () => {
    const pods = await kube.pods();
    if (pods.some((p) => p.metadata?.uid === e.uid)) return 'still there';
    if (!e.owner) return true;
    const n = readyOf(pods, e.namespace, e.owner);
    return n >= before ? true : `${e.owner}: ${n}/${before} Ready`;
  });
}

/** Run one group: its controllers (one by one, or all at once), then its evictions one at a time. */
async function runGroup(ctx: PhaseContext<RecoverOptions>, kube: Kube, g: RestartGroup): Promise<void> {
  recordRestarted(ctx, [...g.controllers.flatMap((c) => c.uids), ...g.evictions.map((e) => e.uid)]);
  if (g.sequential) {
    for (const c of g.controllers) {
      await restartController(ctx, kube, c);
      await waitRollouts(ctx, kube, [c]);
    }
  } else {
    for (const c of g.controllers) await restartController(ctx, kube, c);
    await waitRollouts(ctx, kube, g.controllers);
  }
  for (const e of g.evictions) await evictOne(ctx, kube, e);
}

/** Why a controller cannot roll its pods by itself (so they are evicted instead), from the live object. */
async function noRollReasons(kube: Kube, pods: V1Pod[], tokenSecrets: ReadonlySet<string>): Promise<Map<string, string>> {
  const rsByUid = new Map((await kube.replicaSets()).map((r) => [r.metadata?.uid ?? '', r]));
  const owners = new Map<string, { kind: RestartableKind; namespace: string; name: string }>();
  for (const p of pods) {
    if (!isWorkload(p) || !usesInClusterCredentials(p, tokenSecrets)) continue;
    const o = restartableOwner(p, rsByUid);
    if (o) owners.set(key(o), o);
  }
  const out = new Map<string, string>();
  for (const o of owners.values()) {
    const obj = await kube.controller(o.kind, o.namespace, o.name);
    if (obj && !rollsByItself(o.kind, obj)) out.set(key(o), o.kind === 'Deployment' ? 'its Deployment is paused' : `its ${o.kind} updates OnDelete`);
  }
  return out;
}

/** Step 16 of recover (cluster phase); only when the CA and sa.key were made anew (full-rebuild, replace-ca). */
export const restartPods: ClusterPhase<RecoverOptions> = {
  id: 'api/restart-pods',
  title:
    '16. Restart every pod holding in-cluster credentials, kube-system networking and DNS first: controllers by rollout restart, other pods through the Eviction API; pods without credentials untouched',
  scope: 'cluster',
  shouldRun: rebuildsAll,
  async run(ctx) {
    const mark = await restartMark(ctx);
    await ctx.wet(
      'restart the pods holding in-cluster credentials (rollout restart of their controllers, eviction of the others), kube-system networking and DNS first',
      async () => {
        const kube = await kubeFor(ctx);
        const tokenSecrets = new Set((await kube.secretsOfType(SA_TOKEN_TYPE)).map((s) => `${s.metadata!.namespace}/${s.metadata!.name}`));
        const pods = await kube.pods();
        const reasons = await noRollReasons(kube, pods, tokenSecrets);
        const plan = planRestarts(pods, await kube.replicaSets(), tokenSecrets, mark, (c) => reasons.get(key(c)));
        for (const g of plan) await runGroup(ctx, kube, g);
        const n = plan.reduce((a, g) => a + g.controllers.reduce((b, c) => b + c.pods.length, 0) + g.evictions.length, 0);
        ctx.log(
          `restarted ${n} pods holding in-cluster credentials: ${plan.flatMap((g) => [...g.controllers.map((c) => `${c.kind.toLowerCase()}/${c.namespace}/${c.name}`), ...g.evictions.map((e) => `pod/${e.namespace}/${e.name}`)]).join(', ') || 'none'}`,
        );
      },
      undefined,
    );
  },
};
