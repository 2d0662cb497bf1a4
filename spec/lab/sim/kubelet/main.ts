/**
 * The lab's kubelet daemon, started by the systemctl shim. Under systemd the real kubelet exits on
 * a fatal startup error and is restarted 10 s later (Restart=always); this process does the same
 * in place (state "activating (auto-restart)") so `systemctl is-active` answers as on a real host.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeClient } from '../kubeclient.js';
import { isAlive } from '../cri/process.js';
import { ensureStore } from '../cri/store.js';
import { paths } from '../paths.js';
import { restartSec, unitFiles } from '../systemctl/unit.js';
import { credPaths, loadClientCert, seedCertStore } from './bootstrap.js';
import { defaultKubeletConfig, loadKubeletConfig } from './config.js';
import { parseKubeletFlags, nodeIP, nodeName } from './flags.js';
import * as log from './log.js';
import { KUBELET_VERSION, NodeAgent } from './node.js';
import { PodWorkers } from './pods.js';
import { Serving } from './serving.js';
import { StaticPods } from './staticpods.js';

let stopping = false;
const timers: NodeJS.Timeout[] = [];
let serving: Serving | undefined;
/** Stops the pod watch at shutdown (set once the pod workers run). */
let closeWorkers: (() => void) | undefined;

function setState(state: string, result = 'success'): void {
  mkdirSync(dirname(unitFiles.state), { recursive: true });
  writeFileSync(unitFiles.state, JSON.stringify({ state, since: new Date().toISOString(), result }));
}

/** Take the kubelet lock (one kubelet per host); false when another live kubelet holds it. */
function lock(): boolean {
  mkdirSync(dirname(unitFiles.lock), { recursive: true });
  for (let i = 0; i < 2; i++) {
    try {
      const fd = openSync(unitFiles.lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch {
      const other = Number(readFileSync(unitFiles.lock, 'utf8').trim());
      if (other && other !== process.pid && isAlive(other)) return false;
      rmSync(unitFiles.lock, { force: true });
    }
  }
  return false;
}

function every(ms: number, fn: () => Promise<void>): void {
  const tick = async () => {
    if (stopping) return;
    await fn().catch(() => undefined);
    if (!stopping) timers.push(setTimeout(tick, ms));
  };
  void tick();
}

/** Start the kubelet; throws (like the real run.go) on a fatal startup error. */
async function run(argv: string[]): Promise<void> {
  const flags = parseKubeletFlags(argv);
  setState('active');
  log.info('server.go:484', 'Kubelet version', { kubeletVersion: KUBELET_VERSION });
  // no --config: the built-in defaults (no static pod path), as the real kubelet; kubeadm's drop-in
  // always passes --config=/var/lib/kubelet/config.yaml, kubespray's kubelet.env --config=/etc/kubernetes/kubelet-config.yaml
  const cfg = flags.config ? loadKubeletConfig(flags.config) : defaultKubeletConfig();
  if (!flags.kubeconfig && !flags.bootstrapKubeconfig) {
    // standalone mode (kubelet.go: "No API server defined - no node status update will be sent"):
    // e.g. kubespray's unit after /etc/kubernetes/kubelet.env is gone. Nothing registers; the lab idles.
    log.info('kubelet.go:500', 'No API server defined - no node status update will be sent');
    if (cfg.staticPodPath) {
      const statics = new StaticPods(cfg.staticPodPath, nodeName(flags));
      every(1000, () => statics.sync().catch((e) => log.error('kubelet.go:2394', 'Static pod sync failed', { err: log.errMsg(e) })));
    }
    return;
  }
  const node = nodeName(flags);
  const ip = nodeIP(flags, node);
  const creds = credPaths(flags.kubeconfig, flags.bootstrapKubeconfig);
  await loadClientCert(creds, node, () => stopping);
  if (cfg.rotateCertificates) seedCertStore(creds);
  const client = KubeClient.fromFile(creds.kubeconfig, 5000);
  log.info('kubelet.go:411', 'Kubelet is running', { node, nodeIP: ip, server: client.creds.server });
  ensureStore();
  mkdirSync(paths.workloads, { recursive: true });
  serving = new Serving({
    certDir: creds.certDir,
    node,
    ip,
    port: cfg.port,
    address: cfg.address,
    healthzPort: cfg.healthzPort,
    healthzBind: cfg.healthzBindAddress,
    tlsBootstrap: cfg.serverTLSBootstrap,
    certFile: cfg.tlsCertFile,
    keyFile: cfg.tlsPrivateKeyFile,
  });
  await serving.listen();
  if (cfg.staticPodPath) {
    const statics = new StaticPods(cfg.staticPodPath, node);
    every(1000, () => statics.sync().catch((e) => log.error('kubelet.go:2394', 'Static pod sync failed', { err: log.errMsg(e) })));
  } else {
    log.info('kubelet.go:406', 'No static pod path, not watching any');
  }
  const agent = new NodeAgent(client, { name: node, ip, port: cfg.port, labels: flags.nodeLabels, taints: flags.registerWithTaints });
  const workers = new PodWorkers(client, node, ip, cfg.staticPodPath, cfg.syncFrequencyMs);
  let lastErr = '';
  every(cfg.heartbeatMs, async () => {
    try {
      await agent.heartbeat();
      workers.nodeUid = agent.nodeUid;
      serving?.maybeRequest(client, () => stopping);
      lastErr = '';
    } catch (e) {
      const msg = log.errMsg(e);
      if (msg !== lastErr) log.error('kubelet_node_status.go:549', 'Error updating node status, will retry', { err: msg });
      lastErr = msg;
    }
  });
  let lastPodErr = '';
  const syncPods = async () => {
    try {
      await workers.sync();
      lastPodErr = '';
    } catch (e) {
      const msg = log.errMsg(e);
      if (msg !== lastPodErr) log.error('reflector.go:158', 'Failed to watch pods', { err: msg });
      lastPodErr = msg;
    }
  };
  // every 2 s (containers and probes), and at once when the pods bound here change (the sync loop's config channel)
  workers.onChange = () => void (stopping || syncPods());
  closeWorkers = () => workers.close();
  every(2000, syncPods);
}

function shutdown(): void {
  if (stopping) return;
  stopping = true;
  for (const t of timers) clearTimeout(t);
  closeWorkers?.();
  serving?.close();
  log.info('kubelet.go:1697', 'Shutting down kubelet (containers keep running)');
  try {
    if (Number(readFileSync(unitFiles.lock, 'utf8').trim()) === process.pid) rmSync(unitFiles.lock, { force: true });
  } catch {
    // no lock
  }
  setTimeout(() => process.exit(0), 50).unref();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--version') || args.includes('--version=true')) {
    process.stdout.write(`Kubernetes ${KUBELET_VERSION}\n`); // what kubeadm's preflight KubeletVersionCheck reads
    return;
  }
  if (args.includes('-h') || args.includes('--help')) {
    process.stdout.write('The kubelet is the primary "node agent" that runs on each node (lab simulation).\n\nUsage:\n  kubelet [flags]\n');
    return;
  }
  // a bug in a loop must not take the node down for good (under systemd it would restart)
  process.on('uncaughtException', (e) => log.error('runtime.go:79', 'Observed a panic', { panic: log.errMsg(e) }));
  process.on('unhandledRejection', (e) => log.error('runtime.go:79', 'Observed a panic', { panic: log.errMsg(e) }));
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  if (!lock()) {
    log.error('run.go:72', 'command failed', { err: `another kubelet is already running (lock ${unitFiles.lock})` });
    process.exit(1);
  }
  const argv = process.argv.slice(2);
  while (!stopping) {
    try {
      await run(argv);
      return;
    } catch (e) {
      log.error('run.go:72', 'command failed', { err: log.errMsg(e) });
      serving?.close();
      serving = undefined;
      setState('activating', 'exit-code');
      await sleep(restartSec() * 1000);
    }
  }
}

void main();
