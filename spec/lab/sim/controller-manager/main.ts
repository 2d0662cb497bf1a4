/**
 * The lab's kube-controller-manager: reads its kubeconfig, signing CA, root CA and sa.key ONCE at
 * start, wins the `kube-system/kube-controller-manager` Lease, then runs the enabled controllers
 * until leadership is lost (then exits 1, as the real one does, and the kubelet restarts it).
 */
import { KubeClient } from '../kubeclient.js';
import { Api } from '../client/api.js';
import { Wakers, runLoop } from './loop.js';
import { loadFiles } from './files.js';
import type { Context, Controller } from './context.js';
import { LeaderElector } from '../client/leader.js';
import { logger } from '../component-base/log.js';
import { isEnabled, unknownControllers } from './names.js';
import { parseOptions } from './options.js';
import { serveHealth } from '../component-base/serving.js';
import { csrApproving } from './controllers/csr-approving.js';
import { csrSigning } from './controllers/csr-signing.js';
import { bootstrapSigner } from './controllers/bootstrap-signer.js';
import { tokenCleaner } from './controllers/token-cleaner.js';
import { serviceAccountToken } from './controllers/serviceaccount-token.js';
import { rootCAPublisher } from './controllers/root-ca-publisher.js';
import { nodeLifecycle } from './controllers/node-lifecycle.js';
import { daemonSet } from './controllers/daemonset.js';
import { deployment } from './controllers/deployment.js';
import { replicaSet } from './controllers/replicaset.js';
import { disruption } from './controllers/disruption.js';
import { serviceAccounts } from './controllers/serviceaccount.js';

const log = logger('kube-controller-manager');

function controllersFor(ctx: Context): Controller[] {
  const all = [
    serviceAccountToken(ctx),
    rootCAPublisher(ctx),
    csrApproving(ctx),
    csrSigning(ctx),
    bootstrapSigner(ctx),
    tokenCleaner(ctx),
    nodeLifecycle(ctx),
    daemonSet(ctx),
    deployment(ctx),
    replicaSet(ctx),
    disruption(ctx),
    serviceAccounts(ctx),
  ];
  return all.filter((c) => isEnabled(c.name, ctx.opts.controllers));
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  log.info(`Version: v1.32.4 (lab simulator)`);
  if (opts.ignored.length) log.info(`flags accepted but not simulated: ${opts.ignored.map((f) => '--' + f).join(' ')}`);
  const unknown = unknownControllers(opts.controllers);
  if (unknown.length) log.info(`--controllers: not simulated, ignored: ${unknown.join(',')}`);
  const files = loadFiles(opts);
  await serveHealth(opts.flags, 10257, log);
  // lists answered from watch-fed caches, as the real controllers read their shared informers
  const wakers = new Wakers();
  const api = new Api(KubeClient.fromFile(opts.kubeconfig), { informers: true, onChange: (path) => wakers.changed(path) });
  const ctx: Context = { api, log, opts, ...files };
  const controllers = controllersFor(ctx);
  const stop = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const)
    process.on(sig, () => {
      api.close();
      process.exit(0);
    });

  if (opts.leaderElect) {
    const elector = new LeaderElector(
      api,
      {
        namespace: 'kube-system',
        name: 'kube-controller-manager',
        leaseDurationMs: opts.leaseDurationMs,
        renewDeadlineMs: opts.renewDeadlineMs,
        retryPeriodMs: opts.retryPeriodMs,
      },
      log,
    );
    await elector.acquire(stop.signal);
    log.info(`started controllers: ${controllers.map((c) => c.name).join(', ')}`);
    for (const c of controllers) void runLoop(c, stop.signal, wakers, log);
    await elector.holdUntilLost(stop.signal);
    stop.abort();
    api.close();
    log.error('leaderelection lost');
    process.exit(1);
  }
  log.info(`leader election off; started controllers: ${controllers.map((c) => c.name).join(', ')}`);
  await Promise.all(controllers.map((c) => runLoop(c, stop.signal, wakers, log)));
}

main().catch((e) => {
  log.error(`kube-controller-manager: ${(e as Error).message}`);
  process.exit(1);
});
