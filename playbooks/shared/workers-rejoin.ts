/**
 * Step 13: workers rejoined ROLLING with kubeadm's TLS bootstrap (kubelet stopped, its
 * credentials removed, `kubeadm join phase kubelet-start`); gate: Node Ready with a renewed
 * Lease. Node-lifecycle eviction is paused on the masters (if it is not already) before the first
 * worker is touched. Alone (rejoin-workers) the phase restores it afterwards; in recover it leaves
 * that to phase eviction/restore, which runs once every worker is Ready. The clean-up (also after
 * a failure and on resume) deletes the run's worker join token. Running containers are never
 * touched; workers already chaining to the current CA with a Ready Node are skipped.
 */
import { inventoryFirst, workers } from '../../lib/core/hosts.js';
import { Secret } from '../../lib/shell/secret.js';
import type { CountOrPercent, HostContext, HostPhase, PhaseContext } from '../../lib/core/types.js';
import { pauseEviction, restoreEviction } from '../../lib/kube/eviction.js';
import { CA_CERT_PATH, CLUSTER_CA, JOIN_TOKEN } from '../../lib/kube/names.js';
import { TOKEN_PURPOSE, createToken, deleteJoinSecrets } from './join-secrets.js';
import { apiFor, joinConfiguration, keepRegistration, kubeadmVersion, kubeletFlagsEnv } from '../../lib/kubeadm/config.js';
import { kubeadmWithConfig } from '../../lib/kubeadm/run.js';
import { KUBEADM_RETRY } from '../../lib/kubeadm/idempotent.js';
import { caCertHash } from '../../lib/kube/pin.js';
import { closeKube, kubeFor } from '../../lib/kube/session.js';
import { nodeReady } from '../../lib/kube/node-ready.js';
import { sharedKey } from '../../lib/core/shared.js';
import { K8S, KUBELET_CLIENT, KUBELET_PKI, PKI } from '../../lib/facts/paths.js';
import { KUBESPRAY_CA, LOCAL_PROXY_MANIFESTS, isKubespray } from './layout.js';

/** Options the rolling rejoin reads (recover and rejoin-workers both have them). */
export interface RejoinOptions {
  batchSize: CountOrPercent;
  maxUnavailable?: CountOrPercent;
  maxFailures: CountOrPercent;
  /** Seconds to wait for each batch's Nodes to be Ready (rejoin-workers' --ready-timeout). */
  readyTimeout?: number;
  /** recover's --wait-seconds, which covers nodes too when there is no readyTimeout. */
  waitSeconds?: number;
}

/** How long a batch's Nodes get to be Ready: rejoin-workers' readyTimeout, else recover's waitSeconds, else 180 s. */
export function batchReadySeconds(o: Partial<RejoinOptions>): number {
  return o.readyTimeout ?? o.waitSeconds ?? 180;
}

/** What the rejoin removes on a worker (kubeadm never overwrites them). */
export const KUBELET_CREDENTIALS = [KUBELET_PKI, PKI, `${K8S}/kubelet.conf`, `${K8S}/bootstrap-kubelet.conf`];
/**
 * The same on kubespray's layout: the CA in kube_cert_dir (its caCertPath), not the whole folder
 * nor the /etc/kubernetes/pki compat link to it. kubeadm join writes the CA to caCertPath only when
 * no file is there (cmd/kubeadm/app/cmd/phases/join/kubelet.go runKubeletStartJoinPhase: `os.Stat(caPath)`,
 * then certutil.WriteCert only on IsNotExist): a CA left there would stay the old one, which the
 * kubelet's clientCAFile (kubespray's kubelet-config.yaml) names.
 */
export const KUBESPRAY_KUBELET_CREDENTIALS = [KUBELET_PKI, KUBESPRAY_CA, `${K8S}/kubelet.conf`, `${K8S}/bootstrap-kubelet.conf`];

/** The `server:` of kubelet.conf, or, without one, `https://localhost:6443` when a kubespray local API proxy runs there (empty: neither). */
const SERVER_BEFORE = `s=$(sed -n 's/^ *server: *//p' /etc/kubernetes/kubelet.conf 2>/dev/null | head -n 1)
if [ -n "$s" ]; then echo "$s"; exit 0; fi
for f; do if [ -f "$f" ]; then echo https://localhost:6443; exit 0; fi; done`;

/** Set every \`server:\` line of kubelet.conf to "$1", the file rewritten in place (its mode and owner kept). */
const SET_SERVER = `set -eu
f=/etc/kubernetes/kubelet.conf; t=$(mktemp); trap 'rm -f "$t"' EXIT
awk -v s="$1" '/^ *server:/ { sub(/server:.*/, "server: " s) } { print }' "$f" > "$t"
cat "$t" > "$f"`;

/** When each worker's rejoin started (the gate wants a Lease renewed since). */
const STARTS = sharedKey<Map<string, Date>>('rejoin:batch-start');
/** Eviction paused, once per run. */
const PAUSED = sharedKey<Promise<void>>('rejoin:eviction-paused');
/** The join token minted for this run's workers. */
const MINTED = sharedKey<Promise<Secret>>('rejoin:token');

/** The cluster CA (PEM) from the first master, captured once per run (a placeholder in dry runs). */
async function clusterCa(ctx: PhaseContext): Promise<string> {
  if (ctx.has(CLUSTER_CA)) return String(ctx.get(CLUSTER_CA));
  const first = inventoryFirst(ctx);
  const fh = ctx.on(first);
  // in a recover dry run the CA does not exist yet (step 5 makes it): plan with a placeholder
  return fh.capture(CLUSTER_CA, async () => (await fh.wet(`read ${CA_CERT_PATH}`, () => fh.download(CA_CERT_PATH), Buffer.alloc(0))).toString('utf8'));
}

/** True when the worker's kubelet client cert chains to `caPem` and its Node is Ready with a fresh Lease. */
async function alreadyJoined(h: HostContext, caPem: string): Promise<string | undefined> {
  if (!caPem.includes('-----BEGIN CERTIFICATE-----')) return undefined; // dry run: the CA is not known
  const v = await h.read(['openssl', 'verify', '-CAfile', '/dev/stdin', KUBELET_CLIENT], { stdin: caPem, allowFail: true });
  if (v.exitCode !== 0) return undefined;
  const kube = await kubeFor(h);
  const node = await kube.node(h.host.name);
  if (!node || !nodeReady(node)) return undefined;
  const renewed = await kube.leaseRenewed(h.host.name);
  if (!renewed || Date.now() - renewed.getTime() > 40_000) return undefined;
  return `kubelet cert chains to the current CA, Node Ready, Lease renewed ${renewed.toISOString()}`;
}

/**
 * The run's join token: made once on the first master when the first worker needs it (step 12 of
 * the procedure; a run whose workers all chain to the CA already makes none), 2 h, deleted at clean-up.
 */
function joinToken(ctx: PhaseContext): Promise<Secret> {
  if (ctx.has(JOIN_TOKEN)) {
    const t = ctx.get(JOIN_TOKEN);
    return Promise.resolve(typeof t === 'string' ? new Secret(JOIN_TOKEN, t) : t);
  }
  return ctx.shared.once(MINTED, () => {
    const first = ctx.on(inventoryFirst(ctx));
    return first.capture(JOIN_TOKEN, () => createToken(first, '2h', TOKEN_PURPOSE.workerJoin), { secret: true });
  });
}

/** Pause eviction once per run, before the first worker is touched. */
function pauseOnce(ctx: PhaseContext): Promise<void> {
  return ctx.shared.once(PAUSED, () => pauseEviction(ctx));
}

/** Rejoin one worker (or skip it when it is already part of the current cluster). */
async function rejoinWorker(h: HostContext<RejoinOptions>): Promise<void> {
  const starts = h.shared.get(STARTS) ?? new Map<string, Date>();
  h.shared.set(STARTS, starts);
  starts.set(h.host.name, new Date());
  const caPem = await clusterCa(h);
  const skip = await alreadyJoined(h, caPem);
  if (skip) {
    h.log(`skipped: ${skip}`);
    return;
  }
  const tokenArg = await joinToken(h);
  const hash = caPem.includes('-----BEGIN CERTIFICATE-----') ? caCertHash(caPem) : `sha256:<${CLUSTER_CA}-hash>`;
  const flags = await h.fact(kubeletFlagsEnv); // before kubelet-start rewrites the file
  const spray = isKubespray(h);
  // kubespray: where this worker's kubelet reached the apiserver (its nginx-proxy on localhost), put back after the join
  const server = spray
    ? (await h.read(['sh', '-c', SERVER_BEFORE, 'sh', ...LOCAL_PROXY_MANIFESTS], { what: 'kubelet.conf server before the rejoin' })).stdout.trim()
    : '';
  await pauseOnce(h);
  await h.run(['systemctl', 'stop', 'kubelet'], { what: 'systemctl stop kubelet' });
  await h.run(['rm', '-rf', '--', ...(spray ? KUBESPRAY_KUBELET_CREDENTIALS : KUBELET_CREDENTIALS)], { what: 'remove kubelet credentials' });
  // node lifecycle is paused, so nothing marks the stopped kubelet's Node unready, and kubeadm
  // refuses to join a name whose Node is Ready: mark it Unknown as node lifecycle would (no eviction)
  await h.wet(
    `mark Node ${h.host.name} Ready=Unknown`,
    async () => {
      const kube = await kubeFor(h);
      const node = await kube.node(h.host.name);
      if (node && nodeReady(node)) await kube.markNodeUnknown(h.host.name, 'Kubelet stopped posting node status (kubemend rejoin).');
    },
    undefined,
  );
  // the token only in a 0600 JoinConfiguration (never an argument: ps, /proc, sudo's log); the
  // kubelet's own flags (node-ip, ...) kept as kubeletExtraArgs, its runtime as criSocket
  const join = joinConfiguration({
    api: apiFor(await h.fact(kubeadmVersion)),
    registration: keepRegistration(h.host.name, flags),
    endpoint: h.inventory.controlPlaneEndpoint,
    token: tokenArg,
    caCertHash: hash,
    ...(spray ? { caCertPath: KUBESPRAY_CA } : {}),
  });
  await kubeadmWithConfig(h, ['join', 'phase', 'kubelet-start'], join, {
    what: 'kubeadm join phase kubelet-start (JoinConfiguration)',
    retry: KUBEADM_RETRY.kubeletStart,
  });
  if (spray && server) {
    // as kubespray after its join (roles/kubernetes/kubeadm/tasks/main.yml "Update server field in kubelet
    // kubeconfig": `server: {{ kube_apiserver_endpoint }}` on nodes that are not control planes, then the
    // kubelet restarted): the worker reaches the apiserver through its nginx-proxy again, not past it
    await h.run(['sh', '-c', SET_SERVER, 'sh', server], { what: `kubelet.conf server back to ${server}` });
    await h.run(['systemctl', 'restart', 'kubelet'], { what: 'systemctl restart kubelet' });
    h.log(`kubelet.conf server set back to ${server} (kubespray's local API proxy), kubelet restarted`);
  }
}

/** The rolling gate: every Node of the batch Ready with a Lease renewed since its rejoin started. */
async function readyGate(ctx: PhaseContext<RejoinOptions>, batch: readonly { name: string }[]) {
  const starts = ctx.shared.get(STARTS) ?? new Map<string, Date>();
  const since = new Date(Math.min(...batch.map((b) => starts.get(b.name)?.getTime() ?? Date.now())));
  const kube = await kubeFor(ctx);
  const late = await kube.waitNodesReady(
    batch.map((b) => b.name),
    since,
    batchReadySeconds(ctx.options) * 1000,
    ctx.signal,
  );
  return late.map((l) => ({ host: l.name, reason: l.reason }));
}

/** Step 13 as a phase (id `workers/rejoin`; the join token is JOIN_TOKEN when captured, else minted once), reading batchSize/maxUnavailable/maxFailures/readyTimeout from the options. */
export function workersRejoinPhase<O extends RejoinOptions>(id = 'workers/rejoin', opts: { closeApi?: boolean; restoreEviction?: boolean } = {}): HostPhase<O> {
  const restore = opts.restoreEviction ?? true;
  return {
    id,
    title: 'Rejoin workers, rolling: kubelet stopped, credentials removed, kubeadm join phase kubelet-start; gate: Node Ready',
    destructive: true,
    hosts: workers,
    strategy: (ctx) => ({
      kind: 'rolling',
      batch: ctx.options.batchSize,
      maxUnavailable: ctx.options.maxUnavailable,
      maxFailures: ctx.options.maxFailures,
      gate: (c, batch) => readyGate(c as PhaseContext<RejoinOptions>, batch),
    }),
    run: (h) => rejoinWorker(h),
    async cleanUp(ctx) {
      ctx.shared.delete(PAUSED);
      try {
        if (restore) await restoreEviction(ctx);
        else
          ctx.log(
            'node-lifecycle eviction stays paused until phase eviction/restore (once every worker is Ready); a run that stops before it leaves it paused, and `kubemend resume` puts it back',
          );
      } finally {
        try {
          await deleteJoinSecrets(ctx, TOKEN_PURPOSE.workerJoin, false); // issue 18: no join token left behind
        } finally {
          if (opts.closeApi) await closeKube(ctx);
        }
      }
    },
  };
}
