/**
 * `scripts/lab up` (cluster mode), after the hosts (and, for `--endpoint lb` or `--lb`, the load
 * balancer) are up: the endpoint's name in every host's /etc/hosts (`--endpoint name`), kubeadm init on the first master,
 * the other masters joined one at a time, the workers in parallel (10 at a time), every Node
 * Ready, workloads created; writes DIR/inventory.yaml's kubeadmConfig, DIR/kubeadm-config.yaml,
 * DIR/admin.conf. Everything goes over real ssh.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import PQueue from 'p-queue';
import { clusterConfiguration, initConfig } from './config.js';
import { type EndpointKind, endpointFor, pointName } from './endpoint.js';
import { parseInitOutput, type JoinInfo } from './join.js';
import { kubectl, refreshAdminConf, sleep } from './kube.js';
import { parseArgs, readLab, type Host, type LabDir, type Layout } from './labdir.js';
import { upKubespray, writeKubesprayInventory } from './up-kubespray.js';
import { sshOk } from './ssh.js';
import { WORKLOAD_NAMESPACES, workloadManifests } from './workloads.js';

const KUBEADM_TIMEOUT = 5 * 60_000;

/** kubeadm init on the first master with the lab's config; returns the join credentials. */
async function init(lab: LabDir, first: Host, serving: boolean, endpoint: string, encryptionAlgorithm?: string): Promise<JoinInfo> {
  await sshOk(lab, first, 'write the kubeadm config', ['sh', '-c', 'umask 077; mkdir -p /root/kubeadm && cat > /root/kubeadm/init.yaml'], {
    input: initConfig(first, serving, endpoint, encryptionAlgorithm),
  });
  const out = await sshOk(lab, first, 'kubeadm init', ['kubeadm', 'init', '--config', '/root/kubeadm/init.yaml', '--upload-certs'], {
    timeoutMs: KUBEADM_TIMEOUT,
  });
  return parseInitOutput(out);
}

/** kubeadm join of one more master (control plane, stacked etcd). */
async function joinMaster(lab: LabDir, m: Host, j: JoinInfo): Promise<void> {
  await sshOk(
    lab,
    m,
    `join master ${m.name}`,
    [
      'kubeadm',
      'join',
      j.endpoint,
      '--control-plane',
      '--token',
      j.token,
      '--discovery-token-ca-cert-hash',
      j.caCertHash,
      '--certificate-key',
      j.certificateKey,
      '--apiserver-advertise-address',
      m.address,
    ],
    { timeoutMs: KUBEADM_TIMEOUT },
  );
}

/** kubeadm join of one worker. */
async function joinWorker(lab: LabDir, w: Host, j: JoinInfo): Promise<void> {
  await sshOk(lab, w, `join worker ${w.name}`, ['kubeadm', 'join', j.endpoint, '--token', j.token, '--discovery-token-ca-cert-hash', j.caCertHash], {
    timeoutMs: KUBEADM_TIMEOUT,
  });
}

/** Waits until `expected` Nodes are Ready (real kubectl); throws naming the ones that are not. */
export async function waitNodesReady(lab: LabDir, expected: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const r = await kubectl(lab, ['get', 'nodes', '-o', 'json']);
    if (r.code === 0) {
      const items = JSON.parse(r.stdout).items as any[];
      const ready = new Set(items.filter((n) => n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata.name));
      const missing = expected.filter((n) => !ready.has(n));
      if (missing.length === 0) return;
      last = `not Ready: ${missing.join(', ')}`;
    } else last = r.stderr.trim();
    if (Date.now() > deadline) throw new Error(`wait for Nodes Ready: ${last}`);
    await sleep(2000);
  }
}

/** What is not yet running as wanted in the workload namespaces (controllers short of Ready replicas, pods not Ready); empty when all is. */
export async function workloadsPending(lab: LabDir): Promise<string[]> {
  const r = await kubectl(lab, ['get', 'deployments,daemonsets,replicasets,pods', '-A', '-o', 'json']);
  if (r.code !== 0) return [r.stderr.trim() || `kubectl exit ${r.code}`];
  const items = (JSON.parse(r.stdout).items as any[]).filter((o) => WORKLOAD_NAMESPACES.includes(o.metadata?.namespace));
  const out: string[] = [];
  for (const o of items) {
    const id = `${o.kind.toLowerCase()} ${o.metadata.namespace}/${o.metadata.name}`;
    const s = o.status ?? {};
    if (o.kind === 'Deployment' && ((s.readyReplicas ?? 0) < o.spec.replicas || (s.updatedReplicas ?? 0) < o.spec.replicas))
      out.push(`${id} ${s.readyReplicas ?? 0}/${o.spec.replicas} Ready`);
    if (o.kind === 'DaemonSet' && (!s.desiredNumberScheduled || (s.numberReady ?? 0) < s.desiredNumberScheduled))
      out.push(`${id} ${s.numberReady ?? 0}/${s.desiredNumberScheduled ?? 0} Ready`);
    if (o.kind === 'ReplicaSet' && !o.metadata.ownerReferences?.length && (s.readyReplicas ?? 0) < o.spec.replicas)
      out.push(`${id} ${s.readyReplicas ?? 0}/${o.spec.replicas} Ready`);
    if (
      o.kind === 'Pod' &&
      !o.metadata.annotations?.['kubernetes.io/config.mirror'] &&
      !o.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')
    )
      out.push(`pod ${o.metadata.namespace}/${o.metadata.name} not Ready`);
  }
  return out;
}

/** Waits until every workload controller has its replicas Ready and every workload pod is Ready. */
async function waitWorkloads(lab: LabDir, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = await workloadsPending(lab);
    if (pending.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `wait for workloads in ${WORKLOAD_NAMESPACES.join(', ')}: ${pending.slice(0, 8).join('; ')}${pending.length > 8 ? ` and ${pending.length - 8} more` : ''}`,
      );
    await sleep(2000);
  }
}

/** Adds `kubeadmConfig:` to the inventory the host part wrote (once), and sets its controlPlaneEndpoint. */
function writeInventoryExtras(lab: LabDir, first: Host, endpoint: string, encryptionAlgorithm?: string): void {
  writeFileSync(join(lab.dir, 'kubeadm-config.yaml'), clusterConfiguration(first, endpoint, encryptionAlgorithm));
  const inv = join(lab.dir, 'inventory.yaml');
  let text = readFileSync(inv, 'utf8').replace(/^controlPlaneEndpoint: .*$/m, `controlPlaneEndpoint: ${endpoint}`);
  if (!/^kubeadmConfig:/m.test(text)) text = text.replace(/^(controlPlaneEndpoint: .*\n)/m, '$1kubeadmConfig: kubeadm-config.yaml\n');
  writeFileSync(inv, text);
}

/**
 * DIR/layout.json for `layout` (kubespray: etcd on the first `etcdMasters` masters, all by default,
 * and on the hosts of role etcd, as kubespray's etcd group; kubeadm: no file, stacked etcd).
 */
function writeLayout(dir: string, layout: Layout['kind'], etcdMasters?: number): void {
  const f = join(dir, 'layout.json');
  if (layout === 'kubeadm') return;
  const hosts = JSON.parse(readFileSync(join(dir, 'hosts.json'), 'utf8')) as Host[];
  const masters = hosts.filter((h) => h.role === 'master');
  const members = [...masters.slice(0, etcdMasters ?? masters.length), ...hosts.filter((h) => h.role === 'etcd')];
  if (!members.length) throw new Error(`lab up ${dir}: no etcd member (--etcd-masters 0 needs --etcd-hosts N)`);
  const l: Layout = { kind: layout, etcd: members.map((h) => h.name) };
  if (!existsSync(f)) writeFileSync(f, JSON.stringify(l, null, 1) + '\n');
}

/** How `up` brings a cluster up. */
export interface UpOptions {
  /** kubelets ask for serving certificates (serverTLSBootstrap). */
  serving?: boolean;
  /** What controlPlaneEndpoint names (default the first master's address). */
  endpoint?: EndpointKind;
  /** kubeadm's stacked etcd (default) or kubespray's. */
  layout?: Layout['kind'];
  /** kubespray: etcd on the first this many masters (default all). */
  etcdMasters?: number;
  /** ClusterConfiguration.encryptionAlgorithm (default: kubeadm's, RSA-2048). */
  encryptionAlgorithm?: string;
}

/** Brings the cluster up on the lab's hosts (kubeadm's layout with the given endpoint, or kubespray's). */
export async function up(dir: string, o: UpOptions = {}): Promise<void> {
  const { serving = false, endpoint: kind = 'address', layout = 'kubeadm', etcdMasters, encryptionAlgorithm } = o;
  const t0 = Date.now();
  writeLayout(dir, layout, etcdMasters);
  const lab = readLab(dir);
  const [first, ...others] = lab.masters;
  if (!first) throw new Error(`lab up ${lab.dir}: no master host`);
  const step = (s: string) => process.stdout.write(`[lab] ${((Date.now() - t0) / 1000).toFixed(1)}s ${s}\n`);
  if (lab.layout.kind === 'kubespray') {
    await upKubespray(lab, step, encryptionAlgorithm);
    step(`kubespray inventory ${writeKubesprayInventory(lab)}`);
    await finish(lab, step, t0);
    return;
  }
  const endpoint = endpointFor(lab, kind, first);
  if (kind === 'name') {
    step(`${endpoint}: the name leads to ${first.name} (/etc/hosts on every host)`);
    await pointName(lab, [first.address], lab.hosts);
  }
  step(`kubeadm init on ${first.name} (controlPlaneEndpoint ${endpoint})`);
  const j = await init(lab, first, serving, endpoint, encryptionAlgorithm);
  writeInventoryExtras(lab, first, endpoint, encryptionAlgorithm);
  if (!(await refreshAdminConf(lab))) throw new Error('lab up: no admin.conf on the first master after kubeadm init');
  for (const m of others) {
    step(`kubeadm join --control-plane on ${m.name}`);
    await joinMaster(lab, m, j);
  }
  step(`kubeadm join on ${lab.workers.length} workers (10 at a time)`);
  const q = new PQueue({ concurrency: 10 });
  const errors: string[] = [];
  await Promise.all(
    lab.workers.map((w) =>
      q.add(() =>
        joinWorker(lab, w, j).catch((e: Error) => {
          errors.push(e.message);
        }),
      ),
    ),
  );
  if (errors.length) throw new Error(`lab up: ${errors.length} worker join(s) failed:\n${errors.sort().join('\n')}`);
  await finish(lab, step, t0);
}

/** Every Node Ready, the workloads created and Ready. */
async function finish(lab: LabDir, step: (s: string) => void, t0: number): Promise<void> {
  step('waiting for every Node to be Ready');
  await waitNodesReady(
    lab,
    lab.nodes.map((h) => h.name),
    5 * 60_000 + lab.hosts.length * 5_000,
  );
  step('creating workloads (apps: web, agent, batch, sa-probe, plain, static; the coredns PodDisruptionBudget; kubemend-lab/marker)');
  const ap = await kubectl(lab, ['apply', '-f', '-'], { input: workloadManifests(new Date().toISOString()) });
  if (ap.code !== 0) throw new Error(`lab up: kubectl apply workloads: exit ${ap.code}: ${ap.stderr.trim()}`);
  await waitWorkloads(lab, 5 * 60_000 + lab.workers.length * 6_000);
  step(
    `cluster up (${lab.layout.kind}): ${lab.masters.length} masters + ${lab.workers.length} workers${lab.layout.kind === 'kubespray' ? `, etcd on ${lab.etcdMembers.map((h) => h.name).join(', ')}` : ''}, all Ready, in ${((Date.now() - t0) / 1000).toFixed(1)}s`,
  );
  process.stdout.write(`KUBECONFIG=${join(lab.dir, 'admin.conf')} kubectl get nodes\n`);
}

/** CLI: node up.js --dir DIR [--serving-certs] [--endpoint address|name|lb] [--layout kubeadm|kubespray [--etcd-masters K]] [--encryption-algorithm ALG] [--masters M --workers W (informative)] */
async function main(): Promise<void> {
  const { flags } = parseArgs(process.argv.slice(2), ['serving-certs']);
  const kind = flags.endpoint ?? 'address';
  if (!['address', 'name', 'lb'].includes(kind)) throw new Error(`--endpoint must be address, name or lb, got ${JSON.stringify(kind)}`);
  const layout = flags.layout ?? 'kubeadm';
  if (layout !== 'kubeadm' && layout !== 'kubespray') throw new Error(`--layout ${layout}: kubeadm or kubespray`);
  const em = flags['etcd-masters'];
  if (em !== undefined && !/^\d+$/.test(em)) throw new Error(`--etcd-masters ${em}: a number of masters`);
  const alg = flags['encryption-algorithm'];
  await up(flags.dir ?? '/tmp/kubemend-lab', {
    serving: flags['serving-certs'] === '1',
    endpoint: kind as EndpointKind,
    layout,
    etcdMasters: em === undefined ? undefined : Number(em),
    encryptionAlgorithm: alg,
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  main().catch((e: Error) => {
    process.stderr.write(`lab up: ${e.message}\n`);
    process.exit(1);
  });
