/**
 * The lab's kube-scheduler: with a kubeconfig the apiserver accepts, wins the
 * `kube-system/kube-scheduler` Lease, then binds every pod without a node to a fitting node
 * (round robin) through the pods/binding subresource; unschedulable pods get PodScheduled=False.
 */
import { KubeClient } from '../kubeclient.js';
import { Api, ApiError, type KObject } from '../client/api.js';
import { boolFlag, durationFlag, parseFlags } from '../component-base/flags.js';
import { LeaderElector } from '../client/leader.js';
import { logger } from '../component-base/log.js';
import { metaTime } from '../controller-manager/controllers/node-health.js';
import { RoundRobin } from './pick.js';
import { serveHealth } from '../component-base/serving.js';

const log = logger('kube-scheduler');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function markUnschedulable(api: Api, pod: KObject, message: string): Promise<void> {
  const conds: any[] = pod.status?.conditions ?? [];
  const old = conds.find((c) => c.type === 'PodScheduled');
  if (old?.status === 'False' && old.message === message) return;
  const cond = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: metaTime() };
  const ns = pod.metadata.namespace;
  await api.update(`status of pod ${ns}/${pod.metadata.name}`, `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}/status`, {
    ...pod,
    status: { ...pod.status, phase: pod.status?.phase ?? 'Pending', conditions: [...conds.filter((c) => c.type !== 'PodScheduled'), cond] },
  });
  log.info(`unable to schedule pod ${ns}/${pod.metadata.name}: ${message}`);
}

/** One scheduling pass over unbound pods. */
async function schedule(api: Api, rr: RoundRobin): Promise<void> {
  const pods = (await api.list('pods', '/api/v1/pods')).filter(
    (p) =>
      !p.spec?.nodeName &&
      !p.metadata.deletionTimestamp &&
      !['Succeeded', 'Failed'].includes(p.status?.phase) &&
      (p.spec?.schedulerName ?? 'default-scheduler') === 'default-scheduler',
  );
  if (!pods.length) return;
  const nodes = await api.list('nodes', '/api/v1/nodes');
  for (const pod of pods) {
    const ns = pod.metadata.namespace!;
    const name = pod.metadata.name;
    const { node, message } = rr.choose(pod, nodes);
    try {
      if (!node) {
        await markUnschedulable(api, pod, message!);
        continue;
      }
      await api.create(`binding of pod ${ns}/${name} to ${node}`, `/api/v1/namespaces/${ns}/pods/${name}/binding`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name, namespace: ns, uid: pod.metadata.uid },
        target: { apiVersion: 'v1', kind: 'Node', name: node },
      });
      log.info(`successfully bound pod ${ns}/${name} to node ${node}`);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 409)) log.error((e as Error).message);
    }
  }
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), new Set(['leader-elect', 'profiling']));
  const kubeconfig = flags.get('kubeconfig');
  if (!kubeconfig) throw new Error('--kubeconfig is required (the simulator has no in-cluster config)');
  const period = durationFlag(flags, 'lab-sync-period', 1000);
  log.info('Version: v1.32.4 (lab simulator)');
  // its pod and node lists from watch-fed caches, as the real scheduler's informers
  const api = new Api(KubeClient.fromFile(kubeconfig), { informers: true });
  await serveHealth(flags, 10259, log);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
  const rr = new RoundRobin();
  const stop = new AbortController();
  const loop = async () => {
    let last = '';
    while (!stop.signal.aborted) {
      try {
        await schedule(api, rr);
        last = '';
      } catch (e) {
        const msg = (e as Error).message;
        if (msg !== last) log.error(msg);
        last = msg;
      }
      await sleep(period);
    }
  };
  if (!boolFlag(flags, 'leader-elect', true)) return loop();
  const elector = new LeaderElector(
    api,
    {
      namespace: 'kube-system',
      name: 'kube-scheduler',
      leaseDurationMs: durationFlag(flags, 'leader-elect-lease-duration', 6000),
      renewDeadlineMs: durationFlag(flags, 'leader-elect-renew-deadline', 4000),
      retryPeriodMs: durationFlag(flags, 'leader-elect-retry-period', 1000),
    },
    log,
  );
  await elector.acquire(stop.signal);
  void loop();
  await elector.holdUntilLost(stop.signal);
  stop.abort();
  log.error('leaderelection lost');
  process.exit(1);
}

main().catch((e) => {
  log.error(`kube-scheduler: ${(e as Error).message}`);
  process.exit(1);
});
