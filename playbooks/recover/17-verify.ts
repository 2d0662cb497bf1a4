/** Step 17: the proof of health, as a table in the output and journal; a failed check fails the run. */
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterPhase, PhaseContext } from '../../lib/core/types.js';
import { inventoryFirst, inventoryMasters, kubeNodes } from '../../lib/core/hosts.js';
import { chainsTo } from '../../lib/facts/chains.js';
import { CA_CRT } from '../../lib/facts/paths.js';
import { readEtcdHealth } from '../../lib/facts/etcd.js';
import { kubeFor } from '../../lib/kube/session.js';
import { RECOVER_CONFIG, type RecoverOptions, decision, rebuildsAll } from './common.js';
import { kubectlOn } from '../shared/commands.js';
import { readRunFile } from '../shared/run-files.js';
import { waitFor } from '../shared/wait-for.js';
import { isWorkload, podReady, podsBefore, restartedUids, unexpectedRestarts, usesInClusterCredentials } from './pods.js';
import { SA_TOKEN_TYPE } from './15-sa-tokens.js';
import { RESTART_MARK } from './16-restart-pods.js';
import { pemBody } from './09-front-proxy-check.js';
import { readyNodes, waitNodesReady } from '../shared/waits.js';
import { endpointOf } from './config.js';
import { endpointParts } from '../../lib/facts/endpoint.js';
import { SHARED_PKI_ARGV, parseSha256, samplePods, sharedPkiRow, steadyPodsRow } from './proof-steady.js';
import { LOCAL_PROXY_MANIFESTS, caFileOf, isKubespray, layoutOf } from '../shared/layout.js';
import { kubesprayEtcdRows } from './kubespray-etcd.js';

/** One row of the proof. */
export interface Check {
  check: string;
  ok: boolean;
  detail: string;
}

/** The proof as a fixed-width table. */
export function formatChecks(rows: Check[]): string {
  const w = Math.max(...rows.map((r) => r.check.length), 5);
  return rows.map((r) => `${r.ok ? 'PASS' : 'FAIL'}  ${r.check.padEnd(w)}  ${r.detail}`).join('\n');
}

/**
 * After a new CA and sa.key: every pod holding in-cluster credentials was created after the
 * restart mark of step 16 (so it read the new CA and got a token signed with the new key when it
 * started) and is Ready (its readiness rests on its calls to the apiserver).
 */
export function credentialRow(pods: V1Pod[], tokenSecrets: ReadonlySet<string>, markMs: number | undefined): Check {
  const check = 'pods with in-cluster credentials restarted after the CA change';
  if (markMs === undefined) return { check, ok: false, detail: 'step 16 (api/restart-pods) did not run: pods still hold the old CA and tokens' };
  const users = pods.filter((p) => isWorkload(p) && usesInClusterCredentials(p, tokenSecrets));
  const stale = users
    .filter((p) => new Date(p.metadata?.creationTimestamp as unknown as string).getTime() < markMs)
    .map((p) => `${p.metadata?.namespace}/${p.metadata?.name} (not restarted)`);
  const notReady = users.filter((p) => !podReady(p)).map((p) => `${p.metadata?.namespace}/${p.metadata?.name} (not Ready)`);
  const bad = [...stale, ...notReady];
  return {
    check,
    ok: bad.length === 0,
    detail: bad.length ? bad.join(', ') : `${users.length} pods, all Ready, all started after ${new Date(markMs).toISOString()}`,
  };
}

/** Workload pods Ready (waited for), and none restarted but those this run restarted on purpose. */
async function workloadRows(ctx: PhaseContext<RecoverOptions>): Promise<Check[]> {
  const kube = await kubeFor(ctx);
  let notReady: string[] = [];
  await waitFor(ctx, 'workload pods Ready', async () => {
    notReady = (await kube.pods()).filter((p) => isWorkload(p) && !podReady(p)).map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`);
    return notReady.length === 0 ? true : `not Ready: ${notReady.slice(0, 5).join(', ')}`;
  }).catch(() => undefined);
  const pods = (await kube.pods()).filter(isWorkload);
  const rows: Check[] = [
    { check: 'workload pods Ready', ok: notReady.length === 0, detail: notReady.length ? `not Ready: ${notReady.join(', ')}` : `${pods.length} pods` },
  ];
  const before = podsBefore(ctx);
  if (before) {
    const restarted = restartedUids(ctx);
    const bad = unexpectedRestarts(before, pods, restarted);
    rows.push({
      check: 'pods restarted only for in-cluster credentials',
      ok: bad.length === 0,
      detail: bad.length
        ? bad.join('; ')
        : `${before.filter((b) => !restarted.includes(b.uid)).length} kept running, ${restarted.length} restarted (in-cluster credentials)`,
    });
  }
  if (rebuildsAll(ctx)) {
    const tokenSecrets = new Set((await kube.secretsOfType(SA_TOKEN_TYPE)).map((s) => `${s.metadata!.namespace}/${s.metadata!.name}`));
    rows.push(credentialRow(pods, tokenSecrets, readRunFile<{ markMs: number }>(ctx, RESTART_MARK)?.markMs));
  }
  return rows;
}

/** Run every check (real runs only). */
async function prove(ctx: PhaseContext<RecoverOptions>): Promise<Check[]> {
  const first = ctx.on(inventoryFirst(ctx));
  const rows: Check[] = [];
  // kubespray's etcd-only hosts are no Nodes and hold no cluster certificate: their etcd is proved by its own rows
  const nodesOfRun = kubeNodes(ctx);
  const names = nodesOfRun.map((h) => h.name);
  await waitNodesReady(ctx, first, names).catch(() => undefined);
  const nodes = await first.read(kubectlOn(first.host, 'get', 'nodes', '-o', 'json'), { allowFail: true });
  const ready = nodes.exitCode === 0 ? readyNodes(nodes.stdout) : new Set<string>();
  const notReady = names.filter((n) => !ready.has(n));
  rows.push({ check: 'nodes Ready', ok: notReady.length === 0, detail: notReady.length ? `not Ready: ${notReady.join(', ')}` : `${names.length} nodes` });
  // the pods are waited Ready first; then they are watched over the window while the other checks run
  const workload = await workloadRows(ctx);
  const kube = await kubeFor(ctx);
  const windowMs = ctx.options.proofSeconds * 1000;
  const steady = samplePods(() => kube.pods(), windowMs);
  const caPem = (await first.download(CA_CRT)).toString('utf8');
  const fp = (await first.read(['openssl', 'x509', '-noout', '-fingerprint', '-sha256', '-in', CA_CRT])).stdout.trim().replace(/^.*=/, '');
  for (const h of nodesOfRun) {
    const res = await chainsTo(ctx.on(h), caPem, { caFile: caFileOf(layoutOf(ctx), h.role) });
    const bad = res.filter((r) => r.status !== 'ok');
    rows.push({
      check: `${h.name} certs chain to CA`,
      ok: bad.length === 0 && res.length > 0,
      detail: bad.length ? bad.map((b) => `${b.path} ${b.status}`).join(', ') : `${res.length} files, CA ${fp.slice(0, 23)}`,
    });
  }
  const masters = ctx.hosts.filter((h) => h.role === 'master');
  const sums = await Promise.all(masters.map(async (m) => [m.name, parseSha256((await ctx.on(m).read(SHARED_PKI_ARGV, { allowFail: true })).stdout)] as const));
  rows.push(sharedPkiRow(new Map(sums)));
  if (isKubespray(ctx)) {
    rows.push(...(await kubesprayEtcdRows(ctx, first.host)));
    rows.push(await localProxyRow(ctx));
  } else {
    const eh = await readEtcdHealth(first);
    const nm = inventoryMasters(ctx).length;
    rows.push({
      check: 'etcd members healthy',
      ok: eh.healthy.length >= nm && eh.unhealthy.length === 0,
      detail: `${eh.healthy.length}/${nm} healthy${eh.unhealthy.length ? `; unhealthy ${eh.unhealthy.join(', ')}` : ''}`,
    });
  }
  rows.push(...workload);
  const ns = await first.read(kubectlOn(first.host, 'get', 'namespaces', '-o', 'name'), { allowFail: true });
  const nsCount = ns.stdout.split('\n').filter(Boolean).length;
  rows.push({ check: "cluster's objects present", ok: ns.exitCode === 0 && /namespace\/kube-system/.test(ns.stdout), detail: `${nsCount} namespaces` });
  const body = pemBody(caPem);
  const old = decision(ctx).oldCa;
  const oldBody = old && old.fingerprint !== fp ? pemBody(old.pem) : undefined;
  const cms: Array<[string, string, string]> = [
    ['cluster-info', 'kube-public', 'jsonpath={.data.kubeconfig}'],
    ['kube-root-ca.crt', 'kube-system', 'jsonpath={.data.ca\\.crt}'],
    ['extension-apiserver-authentication', 'kube-system', 'jsonpath={.data.client-ca-file}'],
  ];
  for (const [name, nsName, path] of cms) {
    const r = await first.read(kubectlOn(first.host, '-n', nsName, 'get', 'configmap', name, '-o', path), { allowFail: true });
    let text = r.stdout;
    if (name === 'cluster-info')
      text =
        (/certificate-authority-data:\s*(\S+)/.exec(r.stdout)?.[1] ?? '') &&
        Buffer.from(/certificate-authority-data:\s*(\S+)/.exec(r.stdout)![1], 'base64').toString('utf8');
    const has = pemBody(text).includes(body);
    const stale = oldBody ? pemBody(text).includes(oldBody) : false;
    rows.push({
      check: `${name} carries the CA`,
      ok: has && !stale,
      detail: !has ? 'new CA missing' : stale ? 'old CA still listed' : 'new CA only' + (oldBody ? ' (old CA gone)' : ''),
    });
    if (name === 'cluster-info') rows.push(clusterInfoServer(ctx, r.stdout));
  }
  rows.push(steadyPodsRow(await steady, windowMs));
  return rows;
}

/** Per worker: its local API proxy's manifest, and kubelet.conf's server (read-only). */
const PROXY_AND_SERVER = `for f; do [ -f "$f" ] && echo "proxy $f"; done
sed -n 's/^ *server: *//p' /etc/kubernetes/kubelet.conf 2>/dev/null | head -n 1 | sed 's/^/server /'; exit 0`;

/**
 * kubespray's layout: every worker that runs a local API proxy (nginx-proxy) still reaches the
 * apiserver through it: its kubelet.conf's server is https://localhost:6443, as kubespray sets it
 * (roles/kubernetes/kubeadm/tasks/main.yml "Update server field in kubelet kubeconfig").
 */
async function localProxyRow(ctx: PhaseContext<RecoverOptions>): Promise<Check> {
  const check = 'workers reach the apiserver through their local proxy';
  const seen: string[] = [];
  const bad: string[] = [];
  for (const w of ctx.hosts.filter((h) => h.role === 'worker')) {
    const out = (await ctx.on(w).read(['sh', '-c', PROXY_AND_SERVER, 'sh', ...LOCAL_PROXY_MANIFESTS], { what: 'local API proxy and kubelet.conf server' }))
      .stdout;
    const proxy = /^proxy (\S+)$/m.exec(out)?.[1];
    const server = /^server (\S+)$/m.exec(out)?.[1] ?? '(none)';
    if (!proxy) continue;
    if (/^https:\/\/(localhost|127\.0\.0\.1):\d+$/.test(server)) seen.push(w.name);
    else bad.push(`${w.name}: kubelet.conf server ${server}, not its ${proxy.replace(/^.*\//, '')} on localhost`);
  }
  return {
    check,
    ok: bad.length === 0,
    detail: bad.length
      ? bad.join('; ')
      : seen.length
        ? `${seen.join(', ')}: kubelet.conf server on localhost (nginx-proxy)`
        : 'no worker runs a local API proxy',
  };
}

/**
 * cluster-info's server is the control-plane endpoint: every node joined later takes it for its
 * bootstrap kubeconfig and kubelet.conf (kubeadm discovery.go For), so a cluster-info written
 * through a master's own address would take those nodes past the load balancer for good.
 */
function clusterInfoServer(ctx: PhaseContext<RecoverOptions>, kubeconfig: string): Check {
  const cfg = ctx.shared.get(RECOVER_CONFIG);
  const ep = cfg ? endpointOf(cfg.yaml) : undefined;
  const server = /^\s*server:\s*(\S+)\s*$/m.exec(kubeconfig)?.[1] ?? '(none)';
  if (!ep) return { check: 'cluster-info server', ok: true, detail: `${server} (the ClusterConfiguration names no controlPlaneEndpoint)` };
  const p = endpointParts(ep);
  const want = `https://${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`;
  return { check: 'cluster-info server is the endpoint', ok: server === want, detail: server === want ? server : `${server}, not ${want}` };
}

/** Step 17. */
export const verifyPhase: ClusterPhase<RecoverOptions> = {
  id: 'verify',
  title:
    '17. Proof of health: nodes Ready, every cert chains to the one CA (on the hosts), one shared PKI on every master, etcd healthy, objects kept, pods with in-cluster credentials restarted and Ready, CA ConfigMaps, workload pods Ready for 30 s',
  scope: 'cluster',
  async run(ctx) {
    const rows = await ctx.wet('prove the cluster whole (read-only checks)', () => prove(ctx), [] as Check[]);
    if (rows.length === 0) return;
    ctx.log(`proof of health:\n${formatChecks(rows)}`);
    const failed = rows.filter((r) => !r.ok);
    if (failed.length) throw new Error(`proof of health failed: ${failed.map((f) => `${f.check}: ${f.detail}`).join('; ')}`);
  },
};
