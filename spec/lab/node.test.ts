/**
 * Fidelity tests of the lab's node side (kubelet, systemctl, crictl, lab-workload): each simulated
 * node runs in its own folder (LAB_ROOT) through the real shims, against the real etcd and the
 * simulated apiserver and controller-manager (spec/lab/controlplane); real kubectl and etcdctl
 * are the witnesses. Needs `npm run build` first.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { join } from 'node:path';
import {
  type ControlPlane,
  type Proc,
  LAB_BIN,
  SIM_DIST,
  freePort,
  newClusterCAs,
  startControlPlane,
  startProc,
  writeClientKubeconfig,
  writeTokenKubeconfig,
} from './controlplane/index.js';
import { newCA, newKey, readCertInfo, signCert, writeKeyPair } from './sim/pki.js';
import { KubeClient } from './sim/kubeclient.js';
import { humanDuration, table } from './sim/crictl/format.js';
import { etcdctlWitness } from './cluster/etcdctl.js';
import { NodeRig, alive, sleep, waitFor } from './node/rig.js';
import { type Lab, labDir, labNet, requireRoot, sharedLab } from '../helpers/lab.js';
import { KUBECTL } from './cluster/kube.js';

const run = promisify(execFile);
const BASE = labDir('/tmp/h-node/unit');
/** This file's lab: net 73 (shifted by the lab slot), its bridge address in the root namespace. */
const LAB_NET = labNet(73);
const BRIDGE = `10.${LAB_NET}.0.1`;
const LAB_DIR = '/tmp/h-node/lab';
let lab: Lab | undefined;

let cp: ControlPlane;
let admin: KubeClient;
let kcm: Proc;
const rigs: NodeRig[] = [];

async function kubectl(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run(KUBECTL, ['--kubeconfig', cp.adminConf, ...args], { timeout: 30_000 });
    return stdout;
  } catch (e: any) {
    throw new Error(`kubectl ${args.join(' ')}: ${e.stderr || e.message}`);
  }
}

async function rig(name: string, config: Record<string, unknown> = {}): Promise<NodeRig> {
  const r = await NodeRig.create(join(BASE, name), name, config);
  rigs.push(r);
  return r;
}

/** kubelet.conf for system:node:NAME, as kubeadm writes it on a master (embedded cert). */
async function nodeKubeconfig(r: NodeRig, server = cp.server, ca = cp.cas.ca): Promise<void> {
  await writeClientKubeconfig(r.path('etc/kubernetes/kubelet.conf'), { server, serverCa: cp.cas.ca, ca, cn: `system:node:${r.name}`, orgs: ['system:nodes'] });
}

function sleeperPod(name: string, seconds = 3600, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'kube-system', labels: { component: name, tier: 'control-plane' } },
    spec: { containers: [{ name, image: 'registry.k8s.io/pause:3.10', command: ['sleep', String(seconds)], ...extra }], hostNetwork: true },
  };
}

/** Restart the apiserver (with new `cas` when given) serving a cert that also names the bridge address. */
async function restartApiserver(cas?: ControlPlane['cas']): Promise<void> {
  if (cas) await cp.restartApiserver(cas);
  const key = await newKey();
  writeKeyPair(
    cp.pki,
    'apiserver',
    await signCert({
      ca: cp.cas.ca,
      key,
      cn: 'kube-apiserver',
      usages: ['server'],
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
      ips: ['10.96.0.1', '127.0.0.1', BRIDGE],
    }),
    key.keyPem,
  );
  await cp.restartApiserver();
}

let kcmRuns = 0;
/** Start the controller-manager with kubeadm's flags (node-monitor grace 10 s, no eviction during the tests). */
function startKcm(): Proc {
  const pki = cp.pki;
  const conf = cp.controllerManagerConf;
  return startProc(
    join(LAB_BIN, 'kube-controller-manager'),
    [
      `--authentication-kubeconfig=${conf}`,
      `--authorization-kubeconfig=${conf}`,
      '--bind-address=127.0.0.1',
      `--client-ca-file=${pki}/ca.crt`,
      '--cluster-name=kubernetes',
      `--cluster-signing-cert-file=${pki}/ca.crt`,
      `--cluster-signing-key-file=${pki}/ca.key`,
      '--controllers=*,bootstrapsigner,tokencleaner',
      `--kubeconfig=${conf}`,
      '--leader-elect=false',
      `--requestheader-client-ca-file=${pki}/front-proxy-ca.crt`,
      `--root-ca-file=${pki}/ca.crt`,
      `--service-account-private-key-file=${pki}/sa.key`,
      '--service-cluster-ip-range=10.96.0.0/12',
      '--use-service-account-credentials=true',
      '--node-monitor-grace-period=10s',
      '--lab-eviction-timeout=600s',
      // no health port: 127.0.0.1:10257 of the root namespace is shared with every other test (and checkout) running
      // a controller-manager here; a second one there fails to start with EADDRINUSE, as the real one does
      '--secure-port=0',
    ],
    join(BASE, `cp/log/kcm.${++kcmRuns}.log`),
  );
}

test.before(async () => {
  for (const c of ['apiserver', 'controller-manager', 'kubelet', 'crictl', 'systemctl', 'workload']) {
    const main = join(SIM_DIST, `spec/lab/sim/${c}/main.js`);
    if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  }
  rmSync(BASE, { recursive: true, force: true });
  // reachable from the lab hosts through the bridge address (10.73.0.1) as well as 127.0.0.1
  cp = await startControlPlane({ dir: join(BASE, 'cp'), apiserverArgs: ['--bind-address=0.0.0.0'] });
  await restartApiserver();
  admin = KubeClient.fromFile(cp.adminConf);
  kcm = startKcm();
});

test.after.always(async () => {
  if (lab && !process.env.KEEP_NODE_LAB) await lab.down().catch(() => undefined);
  for (const r of rigs) await r.destroy().catch(() => undefined);
  await kcm?.stop();
  admin?.close();
  await cp?.stop();
});

test('crictl tables are Go tabwriter tables (minwidth 20, padding 3) with go-units durations', (t) => {
  const out = table([
    ['CONTAINER', 'IMAGE', 'CREATED', 'STATE', 'NAME', 'ATTEMPT', 'POD ID', 'POD'],
    ['1f5c8d3c3e3b1', '6e38f40d628db', '2 minutes ago', 'Running', 'kube-controller-manager', '0', 'd4a5b3c2e1f0a', 'kube-controller-manager-m1'],
  ]);
  const [head, row] = out.split('\n');
  t.is(
    head,
    'CONTAINER           IMAGE               CREATED             STATE               ' + 'NAME'.padEnd(26) + 'ATTEMPT             POD ID              POD',
  );
  t.is(row.indexOf('kube-controller-manager'), 80);
  t.is(row.indexOf('0 '), 106);
  t.is(
    table([
      ['CONTAINER', 'POD'],
      ['a', 'b'],
    ]),
    'CONTAINER           POD\na                   b\n',
  );
  t.is(humanDuration(500), 'Less than a second');
  t.is(humanDuration(1000), '1 second');
  t.is(humanDuration(59_000), '59 seconds');
  t.is(humanDuration(90_000), 'About a minute');
  t.is(humanDuration(3 * 3600_000), '3 hours');
});

test.serial('systemctl: unknown units, exit codes, enable, and a kubelet without config.yaml crash-loops as under systemd', async (t) => {
  const r = await rig('sysd');
  rmSync(r.path('var/lib/kubelet/config.yaml'));
  t.is((await r.sh('kubelet', '--version')).stdout, 'Kubernetes v1.32.4\n', 'what kubeadm preflight reads');
  let x = await r.systemctl('start', 'containerd');
  t.is(x.code, 5);
  t.is(x.stderr.trim(), 'Failed to start containerd.service: Unit containerd.service not found.');
  x = await r.systemctl('is-active', 'kubelet');
  t.is(x.stdout.trim(), 'inactive');
  t.is(x.code, 3);
  x = await r.systemctl('is-enabled', 'kubelet');
  t.is(x.stdout.trim(), 'disabled');
  t.is(x.code, 1);
  t.is((await r.systemctl('enable', 'kubelet')).code, 0);
  t.is((await r.systemctl('is-enabled', 'kubelet.service')).stdout.trim(), 'enabled');
  t.is((await r.systemctl('daemon-reload')).code, 0);
  t.is((await r.systemctl('start', 'kubelet')).code, 0);
  await waitFor('the config error in the kubelet log', () => r.log().includes('failed to load kubelet config file'));
  t.regex(r.log(), /"command failed" err="failed to load kubelet config file, path: \S+config.yaml, error: .*no such file or directory"/);
  x = await r.systemctl('is-active', 'kubelet');
  t.is(x.stdout.trim(), 'activating');
  t.is(x.code, 3);
  x = await r.systemctl('status', 'kubelet');
  t.is(x.code, 3);
  t.regex(x.stdout, /Active: activating \(auto-restart\)/);
  // kubeadm's kubelet-start writes the file and restarts: then it runs (no kubelet.conf: the next real error)
  r.writeConfig();
  t.is((await r.systemctl('restart', 'kubelet')).code, 0);
  // only lines written after the restart: the old kubelet, woken from its crash-loop sleep by the
  // new config, may itself have logged the bootstrap error just before it was stopped. Waiting on
  // that line let the second kubelet below start before the restarted one took the lock: the
  // second one won it and ran until execFile's timeout (SIGTERM, exit 0): "expected 1, got 0".
  const mark = r.log().length;
  await waitFor('the bootstrap error of the restarted kubelet', () => r.log().slice(mark).includes('unable to load bootstrap kubeconfig'));
  const pid = Number(readFileSync(r.path('run/lab/kubelet.pid'), 'utf8').split(' ')[0]);
  t.true(alive(pid));
  t.is(readFileSync(r.path('run/lab/kubelet.lock'), 'utf8').trim(), String(pid), 'the restarted kubelet holds the lock');
  // a second kubelet cannot run beside it
  const second = await r.sh('kubelet', `--config=${r.path('var/lib/kubelet/config.yaml')}`);
  t.is(second.code, 1, 'a second kubelet is refused by the lock');
  t.regex(second.stdout + second.stderr, /another kubelet is already running/);
  t.is((await r.systemctl('start', 'kubelet')).code, 0);
  t.is(Number(readFileSync(r.path('run/lab/kubelet.pid'), 'utf8').split(' ')[0]), pid, 'start of a running unit keeps it');
  t.is((await r.systemctl('stop', 'kubelet')).code, 0);
  t.false(alive(pid));
  x = await r.systemctl('is-active', 'kubelet');
  t.is(x.stdout.trim(), 'inactive');
  t.is(x.code, 3);
});

test.serial(
  'static pods: start from the manifest, restart after crictl stop and rm, restart on change, go with the manifest; no apiserver needed',
  async (t) => {
    const r = await rig('static1');
    // a valid client cert, but nothing listens at the server: static pods run anyway
    await nodeKubeconfig(r, `https://127.0.0.1:${await freePort()}`);
    r.manifest('sleeper.yaml', sleeperPod('sleeper'));
    t.is((await r.systemctl('start', 'kubelet')).code, 0);
    const first = await waitFor('sleeper running', async () => (await r.containers(false)).find((c) => c.metadata.name === 'sleeper'));
    t.is(first.state, 'CONTAINER_RUNNING');
    t.is(first.labels['io.kubernetes.pod.name'], 'sleeper-static1');
    t.is(first.labels['io.kubernetes.pod.namespace'], 'kube-system');
    const ps = await r.crictl('ps');
    t.regex(
      ps.stdout.split('\n')[1],
      new RegExp(`^${first.id.slice(0, 13)} {7}[0-9a-f]{13} {7}.+Running {13}sleeper {13}0 {19}[0-9a-f]{13} {7}sleeper-static1$`),
    );
    const pid1 = await r.pidOf(first.id);
    t.true(alive(pid1));
    // crictl stop kills it; the kubelet restarts it (attempt 1) in the same sandbox
    const stop = await r.crictl('stop', first.id.slice(0, 13));
    t.is(stop.stdout.trim(), first.id.slice(0, 13));
    t.false(alive(pid1));
    const second = await waitFor('sleeper restarted', async () => (await r.containers(false)).find((c) => c.metadata.name === 'sleeper' && c.id !== first.id));
    t.is(second.metadata.attempt, 1);
    t.is(second.podSandboxId, first.podSandboxId);
    const exited = (await r.containers()).find((c) => c.id === first.id);
    t.is(exited?.state, 'CONTAINER_EXITED');
    // crictl rm refuses a running container, like the real one
    const rm = await r.crictl('rm', second.id);
    t.is(rm.code, 1);
    t.regex(rm.stderr, /container is still running, to stop first/);
    // rm -f removes it; the kubelet starts a new one
    t.is((await r.crictl('rm', '-f', second.id)).code, 0);
    const third = await waitFor('sleeper recreated after rm -f', async () =>
      (await r.containers(false)).find((c) => c.metadata.name === 'sleeper' && c.id !== second.id && c.id !== first.id),
    );
    t.true(alive(await r.pidOf(third.id)));
    // a changed manifest: a new pod sandbox, the old container killed
    const pid3 = await r.pidOf(third.id);
    r.manifest('sleeper.yaml', sleeperPod('sleeper', 3601));
    const fourth = await waitFor('sleeper re-created from the new manifest', async () =>
      (await r.containers(false)).find((c) => c.metadata.name === 'sleeper' && c.podSandboxId !== first.podSandboxId),
    );
    t.false(alive(pid3));
    const inspect = JSON.parse((await r.crictl('inspect', fourth.id)).stdout);
    t.deepEqual(inspect.info.config.args, ['sleep', '3601']);
    // the manifest goes: pod and container go
    const pid4 = await r.pidOf(fourth.id);
    rmSync(r.path('etc/kubernetes/manifests/sleeper.yaml'));
    await waitFor('sleeper gone', async () => (await r.crictl('pods', '-q')).stdout.trim() === '');
    t.false(alive(pid4));
    t.is((await r.crictl('ps', '-aq')).stdout.trim(), '');
    t.regex(r.log(), /Error updating node status|connect ECONNREFUSED/);
  },
);

test.serial('static etcd: the real etcd runs from a kubeadm-style manifest with client and peer TLS', async (t) => {
  const r = await rig('etcd1');
  await nodeKubeconfig(r, `https://127.0.0.1:${await freePort()}`);
  const pki = r.path('etc/kubernetes/pki/etcd');
  const ca = await newCA('etcd-ca');
  writeKeyPair(pki, 'ca', ca.certPem, ca.keyPem);
  for (const [name, cn, usages] of [
    ['server', 'etcd1', ['server', 'client']],
    ['peer', 'etcd1', ['server', 'client']],
    ['healthcheck-client', 'kube-etcd-healthcheck-client', ['client']],
  ] as const) {
    const key = await newKey();
    writeKeyPair(pki, name, await signCert({ ca, key, cn, dnsNames: ['localhost', 'etcd1'], ips: ['127.0.0.1'], usages: [...usages] }), key.keyPem);
  }
  const [client, peer] = [await freePort(), await freePort()];
  r.manifest('etcd.yaml', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'etcd', namespace: 'kube-system', labels: { component: 'etcd', tier: 'control-plane' } },
    spec: {
      hostNetwork: true,
      containers: [
        {
          name: 'etcd',
          image: 'registry.k8s.io/etcd:3.5.16-0',
          command: [
            'etcd',
            `--advertise-client-urls=https://127.0.0.1:${client}`,
            `--cert-file=${pki}/server.crt`,
            '--client-cert-auth=true',
            `--data-dir=${r.path('var/lib/etcd')}`,
            `--initial-advertise-peer-urls=https://127.0.0.1:${peer}`,
            `--initial-cluster=etcd1=https://127.0.0.1:${peer}`,
            `--key-file=${pki}/server.key`,
            `--listen-client-urls=https://127.0.0.1:${client}`,
            `--listen-peer-urls=https://127.0.0.1:${peer}`,
            '--name=etcd1',
            `--peer-cert-file=${pki}/peer.crt`,
            '--peer-client-cert-auth=true',
            `--peer-key-file=${pki}/peer.key`,
            `--peer-trusted-ca-file=${pki}/ca.crt`,
            '--snapshot-count=10000',
            `--trusted-ca-file=${pki}/ca.crt`,
          ],
        },
      ],
    },
  });
  t.is((await r.systemctl('start', 'kubelet')).code, 0);
  const etcdctl = (cert: string, key: string) =>
    run('/usr/bin/etcdctl', [`--endpoints=https://127.0.0.1:${client}`, `--cacert=${pki}/ca.crt`, `--cert=${cert}`, `--key=${key}`, 'endpoint', 'health'], {
      env: { ...process.env, ETCDCTL_API: '3' },
      timeout: 15_000,
    });
  const ok = await waitFor(
    'etcd healthy over TLS',
    async () => {
      const o = await etcdctl(`${pki}/healthcheck-client.crt`, `${pki}/healthcheck-client.key`);
      return o.stdout + o.stderr; // etcdctl 3.4 reports health on stderr
    },
    30_000,
    500,
  );
  t.regex(ok, /is healthy/);
  // a client cert from another etcd CA is refused by the real etcd
  const other = await newCA('etcd-ca');
  const key = await newKey();
  writeKeyPair(r.path('other'), 'client', await signCert({ ca: other, key, cn: 'intruder', usages: ['client'] }), key.keyPem);
  await t.throwsAsync(etcdctl(r.path('other/client.crt'), r.path('other/client.key')));
  const c = (await r.containers(false)).find((x) => x.metadata.name === 'etcd');
  t.truthy(c);
  t.regex((await r.crictl('ps', '--name', 'etcd|kube-apiserver', '-q')).stdout, new RegExp(c.id));
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function nodeJson(name: string): Promise<any> {
  return JSON.parse(await kubectl('get', 'node', name, '-o', 'json'));
}

function readyOf(o: any): string | undefined {
  return o?.status?.conditions?.find((c: any) => c.type === 'Ready')?.status;
}

async function leaseRenew(name: string): Promise<string | undefined> {
  const r = await admin.get(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`);
  return r.status === 200 ? r.body.spec.renewTime : undefined;
}

test.serial('TLS bootstrap: token -> CSR -> signed client cert in kubelet-client-current.pem -> kubelet.conf -> Node Ready with a renewed Lease', async (t) => {
  const r = await rig('boot1');
  const [id, secret] = ['n0de7a', 'k3l3tb00tstrap01'];
  const s = await admin.post('/api/v1/namespaces/kube-system/secrets', {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'bootstrap.kubernetes.io/token',
    metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
    data: {
      'token-id': b64(id),
      'token-secret': b64(secret),
      'usage-bootstrap-authentication': b64('true'),
      'usage-bootstrap-signing': b64('true'),
      'auth-extra-groups': b64('system:bootstrappers:kubeadm:default-node-token'),
    },
  });
  t.true(s.status === 201 || s.status === 409, s.text);
  writeTokenKubeconfig(r.path('etc/kubernetes/bootstrap-kubelet.conf'), {
    server: cp.server,
    serverCa: cp.cas.ca,
    user: 'tls-bootstrap-token-user',
    token: `${id}.${secret}`,
  });
  t.is((await r.systemctl('start', 'kubelet')).code, 0);
  await waitFor('kubelet.conf written by the bootstrap', () => existsSync(r.path('etc/kubernetes/kubelet.conf')), 30_000);
  const current = r.path('var/lib/kubelet/pki/kubelet-client-current.pem');
  t.true(lstatSync(current).isSymbolicLink());
  t.regex(readlinkSync(current), /kubelet-client-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.pem$/);
  const pem = readFileSync(current, 'utf8');
  // as the real kubelet: an ECDSA P-256 key in SEC1 PEM (keyutil.MakeEllipticPrivateKeyPEM), and a cert
  // without key encipherment, which its CSR did not ask for (client-go DefaultKubeletClientGetUsages)
  t.regex(pem, /-----BEGIN EC PRIVATE KEY-----/);
  const cert = new X509Certificate(pem);
  t.is(cert.publicKey.asymmetricKeyType, 'ec');
  t.is(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  t.deepEqual(readCertInfo(pem).keyUsage, ['digitalSignature']);
  t.is(cert.subject.split('\n').sort().join(','), 'CN=system:node:boot1,O=system:nodes');
  t.true(cert.verify(new X509Certificate(cp.cas.ca.certPem).publicKey), 'signed by the cluster CA');
  const conf = readFileSync(r.path('etc/kubernetes/kubelet.conf'), 'utf8');
  t.true(conf.includes(`client-certificate: ${current}`));
  t.true(conf.includes(`client-key: ${current}`));
  await waitFor('bootstrap-kubelet.conf removed', () => !existsSync(r.path('etc/kubernetes/bootstrap-kubelet.conf')), 5000);
  const csrs = JSON.parse(await kubectl('get', 'csr', '-o', 'json')).items.filter((c: any) => c.spec.username === `system:bootstrap:${id}`);
  t.is(csrs.length, 1);
  t.regex(csrs[0].metadata.name, /^node-csr-/);
  t.is(csrs[0].spec.signerName, 'kubernetes.io/kube-apiserver-client-kubelet');
  t.deepEqual([...csrs[0].spec.usages].sort(), ['client auth', 'digital signature']);
  const node = await waitFor(
    'node boot1 Ready',
    async () => {
      const n = await nodeJson('boot1');
      return readyOf(n) === 'True' && n;
    },
    20_000,
  );
  t.is(node.metadata.labels['kubernetes.io/hostname'], 'boot1');
  t.is(node.metadata.labels['kubernetes.io/os'], 'linux');
  t.is(node.status.nodeInfo.kubeletVersion, 'v1.32.4');
  t.deepEqual(node.status.addresses, [
    { type: 'InternalIP', address: '127.0.0.1' },
    { type: 'Hostname', address: 'boot1' },
  ]);
  const r1 = await waitFor('lease', () => leaseRenew('boot1'));
  const r2 = await waitFor('lease renewed', async () => ((await leaseRenew('boot1')) !== r1 ? leaseRenew('boot1') : undefined), 10_000);
  t.not(r1, r2);
  t.false(r.log().includes(secret), 'the bootstrap token never reaches the log');
});

test.serial('a kubelet.conf from another CA fails at TLS: no Lease renewal, and the controller-manager marks the Node NotReady', async (t) => {
  const r = await rig('rogue1');
  await nodeKubeconfig(r);
  t.is((await r.systemctl('start', 'kubelet')).code, 0);
  await waitFor('node rogue1 Ready', async () => readyOf(await nodeJson('rogue1')) === 'True', 20_000);
  await r.systemctl('stop', 'kubelet');
  const other = await newCA('kubernetes');
  await writeClientKubeconfig(r.path('etc/kubernetes/kubelet.conf'), {
    server: cp.server,
    serverCa: cp.cas.ca,
    ca: other,
    cn: 'system:node:rogue1',
    orgs: ['system:nodes'],
  });
  t.is((await r.systemctl('start', 'kubelet')).code, 0);
  const failure = /Error updating node status.*(certificate|Unauthorized|401|socket hang up|ECONNRESET|alert)/i;
  await waitFor('the heartbeat failing', () => failure.test(r.log().split('Kubelet version').pop()!), 20_000);
  const before = await leaseRenew('rogue1');
  await sleep(5000);
  t.is(await leaseRenew('rogue1'), before, 'the Lease is not renewed');
  t.regex(r.log().split('Kubelet version').pop()!, failure);
  await waitFor('node rogue1 not Ready', async () => readyOf(await nodeJson('rogue1')) !== 'True', 30_000, 1000);
  t.is((await r.systemctl('is-active', 'kubelet')).stdout.trim(), 'active', 'the kubelet keeps running and retrying');
});

test.serial('serverTLSBootstrap: the kubelet-serving CSR stays Pending until approved, then the kubelet serves with the signed cert', async (t) => {
  const r = await rig('serve1', { serverTLSBootstrap: true });
  await nodeKubeconfig(r);
  t.is((await r.systemctl('start', 'kubelet')).code, 0);
  const csr = await waitFor(
    'kubelet-serving CSR',
    async () =>
      JSON.parse(await kubectl('get', 'csr', '-o', 'json')).items.find(
        (c: any) => c.spec.signerName === 'kubernetes.io/kubelet-serving' && c.spec.username === 'system:node:serve1',
      ),
    20_000,
  );
  t.deepEqual([...csr.spec.usages].sort(), ['digital signature', 'server auth'], 'an ECDSA key: no key encipherment (DefaultKubeletServingGetUsages)');
  await sleep(4000);
  const pending = JSON.parse(await kubectl('get', 'csr', csr.metadata.name, '-o', 'json'));
  t.falsy(pending.status?.certificate, 'nobody approves serving CSRs by default');
  t.false(existsSync(r.path('var/lib/kubelet/pki/kubelet-server-current.pem')));
  const handshake = () =>
    new Promise<X509Certificate>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: r.port, ca: cp.cas.ca.certPem }, () => {
        const c = s.getPeerX509Certificate();
        s.end();
        c ? resolve(c) : reject(new Error('no peer cert'));
      });
      s.on('error', reject);
    });
  await t.throwsAsync(handshake(), undefined, 'no serving cert before approval');
  await kubectl('certificate', 'approve', csr.metadata.name);
  await waitFor('kubelet-server-current.pem', () => existsSync(r.path('var/lib/kubelet/pki/kubelet-server-current.pem')), 20_000);
  const served = await waitFor('TLS with the signed serving cert', () => handshake(), 10_000);
  t.regex(served.subject, /CN=system:node:serve1/);
  t.regex(served.subjectAltName ?? '', /DNS:serve1/);
  t.regex(served.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
});

async function podJson(ns: string, name: string): Promise<any> {
  return JSON.parse(await kubectl('get', 'pod', '-n', ns, name, '-o', 'json'));
}

test.serial(
  'workloads: run with their SA token, survive systemctl restart kubelet unchanged, die with crictl rm $(crictl ps -aq), go with a pod delete',
  async (t) => {
    const r = await rig('work1');
    await nodeKubeconfig(r);
    r.manifest('sleeper.yaml', sleeperPod('sleeper'));
    t.is((await r.systemctl('start', 'kubelet')).code, 0);
    await waitFor('node work1 Ready', async () => readyOf(await nodeJson('work1')) === 'True', 20_000);
    // rotateCertificates: the inline client cert of kubelet.conf seeds the cert store (what kubelet-finalize needs)
    const seeded = r.path('var/lib/kubelet/pki/kubelet-client-current.pem');
    t.true(lstatSync(seeded).isSymbolicLink());
    t.is(new X509Certificate(readFileSync(seeded)).subject.split('\n').sort().join(','), 'CN=system:node:work1,O=system:nodes');
    const ns = 'default';
    await admin.post(`/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app', namespace: ns } });
    await admin.post(`/api/v1/namespaces/${ns}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: { name: 'app-token', namespace: ns, annotations: { 'kubernetes.io/service-account.name': 'app' } },
    });
    await waitFor(
      'token filled by the controller-manager',
      async () => (await admin.get(`/api/v1/namespaces/${ns}/secrets/app-token`)).body?.data?.token,
      20_000,
    );
    const pod = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns },
      spec: {
        nodeName: 'work1',
        serviceAccountName: 'app',
        automountServiceAccountToken: false,
        containers: [{ name: 'web', image: 'nginx:1.27', volumeMounts: [{ name: 'app-token', mountPath: '/var/run/secrets/app' }] }],
        volumes: [{ name: 'app-token', secret: { secretName: 'app-token' } }],
      },
    });
    const created = await admin.post(`/api/v1/namespaces/${ns}/pods`, pod('web'));
    t.is(created.status, 201, created.text);
    const running = await waitFor(
      'web Running and Ready',
      async () => {
        const p = await podJson(ns, 'web');
        return p.status?.phase === 'Running' && readyOf(p) === 'True' && p;
      },
      30_000,
      500,
    );
    const cs = running.status.containerStatuses[0];
    t.regex(cs.containerID, /^containerd:\/\/[0-9a-f]{64}$/);
    t.is(cs.restartCount, 0);
    t.truthy(cs.state.running.startedAt);
    t.is(readFileSync(r.path('run/lab/workloads/default_web.health'), 'utf8').trim(), 'ok');
    const cid = cs.containerID.slice('containerd://'.length);
    const pid = await r.pidOf(cid);
    t.true(alive(pid));
    // the mirror pod of the static pod
    const mirror = await waitFor(
      'mirror pod',
      async () => {
        const p = await podJson('kube-system', 'sleeper-work1').catch(() => undefined);
        return p?.status?.phase === 'Running' && p;
      },
      20_000,
    );
    t.is(mirror.metadata.annotations['kubernetes.io/config.source'], 'file');

    // systemctl restart kubelet: the workload keeps running, adopted with the same id and startedAt
    t.is((await r.systemctl('restart', 'kubelet')).code, 0);
    await sleep(6000);
    const after = await podJson(ns, 'web');
    t.is(after.status.containerStatuses[0].containerID, cs.containerID);
    t.is(after.status.containerStatuses[0].state.running.startedAt, cs.state.running.startedAt);
    t.is(after.status.containerStatuses[0].restartCount, 0);
    t.true(alive(pid));
    t.is(readyOf(after), 'True');

    // the article's trap, with the kubelet stopped (so nothing restarts in between):
    // crictl stop $(crictl ps -q); crictl rm $(crictl ps -aq) takes the workload too
    t.is((await r.systemctl('stop', 'kubelet')).code, 0);
    const running1 = (await r.crictl('ps', '-q')).stdout.trim().split('\n');
    t.true(running1.includes(cid));
    t.is((await r.crictl('stop', ...running1)).code, 0);
    const all = (await r.crictl('ps', '-aq')).stdout.trim().split('\n');
    t.true(all.includes(cid));
    t.is((await r.crictl('rm', ...all)).code, 0);
    t.false(alive(pid), 'the workload process was killed');
    t.is((await r.crictl('ps', '-aq')).stdout.trim(), '');
    t.is((await r.systemctl('start', 'kubelet')).code, 0);
    const restarted = await waitFor(
      'web restarted by the kubelet',
      async () => {
        const p = await podJson(ns, 'web');
        const c = p.status?.containerStatuses?.[0];
        return c?.containerID !== cs.containerID && c?.state?.running && p;
      },
      30_000,
      500,
    );
    t.not(restarted.status.containerStatuses[0].state.running.startedAt, cs.state.running.startedAt);
    t.is(restarted.status.containerStatuses[0].restartCount, 1, 'the restart is counted from the log folder, as real');

    // a pod deleted in the API: its process is killed and its sandbox removed
    const newPid = await r.pidOf(restarted.status.containerStatuses[0].containerID.slice('containerd://'.length));
    await kubectl('delete', 'pod', '-n', ns, 'web', '--wait=false');
    await waitFor('web process killed', () => !alive(newPid), 20_000);
    await waitFor('web sandbox removed', async () => (await r.crictl('pods', '--name', '^web$', '-q')).stdout.trim() === '', 10_000);
    await waitFor('web gone from the API', async () => (await admin.get(`/api/v1/namespaces/${ns}/pods/web`)).status === 404, 20_000);
  },
);

test.serial('a workload whose token stops verifying turns unready but keeps running; a recreated pod gets the new token', async (t) => {
  const r = await rig('work2');
  await nodeKubeconfig(r);
  t.is((await r.systemctl('start', 'kubelet')).code, 0);
  const ns = 'kube-public';
  await admin.post(`/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app2', namespace: ns } });
  await admin.post(`/api/v1/namespaces/${ns}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/service-account-token',
    metadata: { name: 'app2-token', namespace: ns, annotations: { 'kubernetes.io/service-account.name': 'app2' } },
  });
  const tok1 = await waitFor('token filled', async () => (await admin.get(`/api/v1/namespaces/${ns}/secrets/app2-token`)).body?.data?.token, 20_000);
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'api-user', namespace: ns },
    spec: {
      nodeName: 'work2',
      serviceAccountName: 'app2',
      automountServiceAccountToken: false,
      containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 't', mountPath: '/var/run/secrets/app' }] }],
      volumes: [{ name: 't', secret: { secretName: 'app2-token' } }],
    },
  };
  t.is((await admin.post(`/api/v1/namespaces/${ns}/pods`, pod)).status, 201);
  const p1 = await waitFor(
    'api-user Ready',
    async () => {
      const p = await podJson(ns, 'api-user');
      return readyOf(p) === 'True' && p;
    },
    30_000,
    500,
  );
  const pid = await r.pidOf(p1.status.containerStatuses[0].containerID.slice(13));
  // the sa key pair is replaced (as in a PKI rebuild): apiserver and controller-manager restart with it
  await restartApiserver({ ...cp.cas, sa: await newKey() });
  await kcm.stop();
  kcm = startKcm();
  // procedure step 15: blank the token; the controller-manager refills it, signed with the new key
  await admin.patch(`/api/v1/namespaces/${ns}/secrets/app2-token`, { data: { token: null } });
  await waitFor(
    'a new token',
    async () => {
      const tk = (await admin.get(`/api/v1/namespaces/${ns}/secrets/app2-token`)).body?.data?.token;
      return tk && tk !== tok1;
    },
    20_000,
  );
  const p2 = await waitFor(
    'api-user unready',
    async () => {
      const p = await podJson(ns, 'api-user');
      return readyOf(p) === 'False' && p;
    },
    20_000,
    500,
  );
  // the pod can turn unready on refused connections while the apiserver restarts (twice, above) and
  // be seen so before its next call: what it gets once the apiserver is back is 401, and it stays unready
  const health = r.path(`run/lab/workloads/${ns}_api-user.health`);
  t.log(`api-user unready, its last probe: ${readFileSync(health, 'utf8').trim()}`);
  await waitFor('api-user refused with 401 by the restarted apiserver', async () => /^401/.test(readFileSync(health, 'utf8')), 20_000, 500);
  t.is(readyOf(await podJson(ns, 'api-user')), 'False', 'still unready with its token refused');
  t.true(alive(pid), 'still running');
  t.is(p2.status.containerStatuses[0].restartCount, 0);
  await kubectl('delete', 'pod', '-n', ns, 'api-user', '--wait=false');
  await waitFor('old pod gone', async () => (await admin.get(`/api/v1/namespaces/${ns}/pods/api-user`)).status === 404, 20_000);
  t.is((await admin.post(`/api/v1/namespaces/${ns}/pods`, pod)).status, 201);
  await waitFor('recreated api-user Ready', async () => readyOf(await podJson(ns, 'api-user')) === 'True', 30_000, 500);
  t.false(alive(pid));
});

/** The claims of a JWT (no check). */
const jwtClaims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

test.serial(
  'projected token: kube-api-access-* from the TokenRequest API bound to the pod, kube-root-ca.crt, namespace; after a CA and sa.key change the client fails x509 (its CA is read once) until its pod is restarted',
  async (t) => {
    const r = await rig('work3', { syncFrequency: '3s' });
    await nodeKubeconfig(r);
    t.is((await r.systemctl('start', 'kubelet')).code, 0);
    await waitFor('node work3 Ready', async () => readyOf(await nodeJson('work3')) === 'True', 20_000);
    const ns = 'default';
    await admin.post(`/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'client', namespace: ns } });
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'client', namespace: ns },
      spec: { nodeName: 'work3', serviceAccountName: 'client', containers: [{ name: 'c', image: 'lab/api-client:1' }] },
    };
    const created = await admin.post(`/api/v1/namespaces/${ns}/pods`, pod);
    t.is(created.status, 201, created.text);
    const p1 = await waitFor(
      'client Ready',
      async () => {
        const p = await podJson(ns, 'client');
        return readyOf(p) === 'True' && p;
      },
      30_000,
      500,
    );
    // what the ServiceAccount admission plugin injected, and what the kubelet wrote from it
    const vol = p1.spec.volumes.find((v: any) => v.name.startsWith('kube-api-access-'));
    t.truthy(vol, 'a kube-api-access-* projected volume');
    t.deepEqual(p1.spec.containers[0].volumeMounts, [{ name: vol.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    const dir = r.path(`var/lib/kubelet/pods/${p1.metadata.uid}/volumes/kubernetes.io~projected/${vol.name}`);
    const file = (f: string) => readFileSync(join(dir, f), 'utf8');
    t.is(file('namespace'), ns);
    t.is(file('ca.crt'), cp.cas.ca.certPem, 'kube-root-ca.crt as published by the controller-manager');
    const tok1 = file('token');
    const c1 = jwtClaims(tok1);
    t.deepEqual(c1['kubernetes.io'].pod, { name: 'client', uid: p1.metadata.uid }, 'bound to this pod');
    t.is(c1['kubernetes.io'].node.name, 'work3');
    t.is(c1['kubernetes.io'].warnafter - c1.iat, 3607, 'asked for 3607 s');
    t.is(c1.exp - c1.iat, 365 * 24 * 3600, 'issued for a year (--service-account-extend-token-expiration)');
    t.is(file('token'), tok1, 'the token manager keeps it until 80% of its 3607 s');
    const report = () => JSON.parse(readFileSync(r.path(`run/lab/workloads/${ns}_client.client`), 'utf8'));
    t.truthy(report().lastSuccess);
    const pid = await r.pidOf(p1.status.containerStatuses[0].containerID.slice('containerd://'.length));

    // a new CA and sa.key (a PKI rebuild): apiserver and controller-manager restart with them; the
    // kubelet gets credentials from the new CA (as recover's steps 10 and 13 give it) and restarts
    await restartApiserver(await newClusterCAs());
    const changedAt = new Date().toISOString();
    admin = KubeClient.fromFile(cp.adminConf);
    await kcm.stop();
    kcm = startKcm();
    await nodeKubeconfig(r);
    t.is((await r.systemctl('restart', 'kubelet')).code, 0);
    await waitFor('node work3 Ready with the new CA', async () => readyOf(await nodeJson('work3')) === 'True', 30_000);
    // the restarted kubelet re-projects the volume: the new CA in ca.crt, a token signed with the new key
    await waitFor("the new CA in the pod's ca.crt", () => file('ca.crt') === cp.cas.ca.certPem, 30_000, 500);
    await waitFor("a new token in the pod's token file", () => file('token') !== tok1, 30_000, 500);
    // the client read its CA once at start: it fails at TLS, whatever the files say now
    const failed = await waitFor(
      'client not Ready',
      async () => {
        const p = await podJson(ns, 'client');
        return readyOf(p) === 'False' && p;
      },
      30_000,
      500,
    );
    t.is(failed.status.containerStatuses[0].restartCount, 0, 'still the same container');
    t.true(alive(pid), 'still running');
    // its first failures can be the restart window's "connection refused" (the client was not Ready
    // before it tried the new apiserver once, under load): wait for a call to the restarted apiserver
    const rep = await waitFor(
      'a client call to the restarted apiserver',
      () => {
        const r = report();
        return !/connection refused/.test(r.lastError?.error ?? 'connection refused') && r;
      },
      30_000,
      500,
    );
    t.regex(rep.lastError.error, /tls: failed to verify certificate: x509: certificate signed by unknown authority/);
    t.true(rep.lastSuccess < changedAt, `no success since the change (last ${rep.lastSuccess})`);
    await sleep(8000); // past several token re-reads and volume syncs: it does not heal by itself
    t.regex(report().lastError.error, /x509: certificate signed by unknown authority/);
    t.true(report().lastSuccess < changedAt);
    t.is(readyOf(await podJson(ns, 'client')), 'False');
    // restarted (deleted and made again, as its controller would): it reads the new CA at start
    await kubectl('delete', 'pod', '-n', ns, 'client', '--wait=false');
    await waitFor('old client gone', async () => (await admin.get(`/api/v1/namespaces/${ns}/pods/client`)).status === 404, 20_000);
    await waitFor('its process killed by the kubelet', () => !alive(pid), 20_000);
    t.is((await admin.post(`/api/v1/namespaces/${ns}/pods`, pod)).status, 201);
    await waitFor('restarted client Ready', async () => readyOf(await podJson(ns, 'client')) === 'True', 30_000, 500);
    t.true(report().lastSuccess > changedAt, 'a successful API call after the change');
  },
);

/** Run a command in a lab host; throws with its output when it fails. */
async function inHost(host: string, ...cmd: string[]): Promise<string> {
  const r = await lab!.exec(host, cmd);
  if (r.code !== 0) throw new Error(`${host}: ${cmd.join(' ')}: exit ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Set up a lab host as a node: kubelet config, kubelet.conf for system:node:HOST to the test's apiserver. */
async function labNode(host: string): Promise<void> {
  // a reused lab may hold a node from an earlier run: start from a clean host
  await inHost(
    host,
    'sh',
    '-c',
    'systemctl stop kubelet; crictl rmp -f --all >/dev/null; rm -rf /etc/kubernetes /var/lib/kubelet /var/lib/etcd /run/lab /var/log/pods /var/log/kubelet.log /etc/systemd/system/multi-user.target.wants/kubelet.service',
  );
  const conf = join(BASE, `${host}.kubelet.conf`);
  await writeClientKubeconfig(conf, {
    server: `https://${BRIDGE}:${cp.apiPort}`,
    serverCa: cp.cas.ca,
    ca: cp.cas.ca,
    cn: `system:node:${host}`,
    orgs: ['system:nodes'],
  });
  const cfg = [
    'apiVersion: kubelet.config.k8s.io/v1beta1',
    'kind: KubeletConfiguration',
    'staticPodPath: /etc/kubernetes/manifests',
    'rotateCertificates: true',
    '',
  ].join('\n');
  const r = await lab!.exec(host, ['sh', '-c', 'mkdir -p /etc/kubernetes/manifests /var/lib/kubelet && cat > /var/lib/kubelet/config.yaml && echo ok'], {
    input: cfg,
  });
  if (r.code !== 0) throw new Error(`${host}: write config.yaml: ${r.stderr}`);
  const k = await lab!.exec(host, ['sh', '-c', 'umask 077; cat > /etc/kubernetes/kubelet.conf'], { input: readFileSync(conf, 'utf8') });
  if (k.code !== 0) throw new Error(`${host}: write kubelet.conf: ${k.stderr}`);
}

test.serial(
  'in lab hosts: systemctl and crictl are the shims, the real etcd runs as a static pod with TLS, the Node registers with the host address',
  async (t) => {
    if (!requireRoot(t)) return;
    lab = await sharedLab({ hosts: 2, net: LAB_NET, dir: LAB_DIR });
    const h = lab.hosts[0];
    t.is(
      (await inHost(h.name, 'sh', '-c', 'for c in systemctl crictl kubelet; do command -v $c; done')).trim().split('\n').join(','),
      '/usr/local/bin/systemctl,/usr/local/bin/crictl,/usr/local/bin/kubelet',
    );
    await labNode(h.name);
    // etcd certs for this host, in kubeadm's layout
    const etcdDir = join(BASE, `${h.name}-etcd`);
    const ca = await newCA('etcd-ca');
    writeKeyPair(etcdDir, 'ca', ca.certPem, ca.keyPem);
    for (const [name, cn, usages] of [
      ['server', h.name, ['server', 'client']],
      ['peer', h.name, ['server', 'client']],
      ['healthcheck-client', 'kube-etcd-healthcheck-client', ['client']],
    ] as const) {
      const key = await newKey();
      writeKeyPair(
        etcdDir,
        name,
        await signCert({ ca, key, cn, dnsNames: ['localhost', h.name], ips: ['127.0.0.1', h.address], usages: [...usages] }),
        key.keyPem,
      );
    }
    const files = ['ca.crt', 'ca.key', 'server.crt', 'server.key', 'peer.crt', 'peer.key', 'healthcheck-client.crt', 'healthcheck-client.key'];
    for (const f of files) {
      const r = await lab.exec(h.name, ['sh', '-c', `mkdir -p /etc/kubernetes/pki/etcd && cat > /etc/kubernetes/pki/etcd/${f}`], {
        input: readFileSync(join(etcdDir, f), 'utf8'),
      });
      t.is(r.code, 0, r.stderr);
    }
    const a = h.address;
    const manifest = [
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      '  name: etcd',
      '  namespace: kube-system',
      'spec:',
      '  hostNetwork: true',
      '  containers:',
      '  - name: etcd',
      '    image: registry.k8s.io/etcd:3.5.16-0',
      '    command:',
      '    - etcd',
      ...[
        `--advertise-client-urls=https://${a}:2379`,
        '--cert-file=/etc/kubernetes/pki/etcd/server.crt',
        '--client-cert-auth=true',
        '--data-dir=/var/lib/etcd',
        `--initial-advertise-peer-urls=https://${a}:2380`,
        `--initial-cluster=${h.name}=https://${a}:2380`,
        '--key-file=/etc/kubernetes/pki/etcd/server.key',
        `--listen-client-urls=https://127.0.0.1:2379,https://${a}:2379`,
        `--listen-peer-urls=https://${a}:2380`,
        `--name=${h.name}`,
        '--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt',
        '--peer-client-cert-auth=true',
        '--peer-key-file=/etc/kubernetes/pki/etcd/peer.key',
        '--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt',
        '--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt',
      ].map((x) => `    - ${x}`),
      '',
    ].join('\n');
    t.is((await lab.exec(h.name, ['sh', '-c', 'cat > /etc/kubernetes/manifests/etcd.yaml'], { input: manifest })).code, 0);
    t.is((await lab.exec(h.name, ['systemctl', 'is-active', 'kubelet'])).code, 3);
    await inHost(h.name, 'systemctl', 'enable', '--now', 'kubelet');
    t.is((await inHost(h.name, 'systemctl', 'is-active', 'kubelet')).trim(), 'active');
    const health = await waitFor(
      'etcd healthy inside the host',
      async () => {
        // the machine's etcdctl, from outside the host (a kubeadm host has none)
        const r = await etcdctlWitness(lab!.dir, h, ['endpoint', 'health']);
        return r.code === 0 && r.stdout + r.stderr;
      },
      40_000,
      1000,
    );
    t.regex(health, /is healthy/);
    const ps = await inHost(h.name, 'crictl', 'ps', '--name', 'etcd');
    // column widths follow the content (Go tabwriter: a long CREATED such as 'Less than a second ago' widens its column); the exact layout is checked by the tabwriter test
    t.regex(
      ps,
      /^CONTAINER {3,}IMAGE {3,}CREATED {3,}STATE {3,}NAME {3,}ATTEMPT {3,}POD ID {3,}POD\n[0-9a-f]{13} {3,}[0-9a-f]{13} {3,}\S.*? {3,}Running {3,}etcd {3,}0 {3,}[0-9a-f]{13} {3,}etcd-h001\n$/,
    );
    // the other host sees none of it
    const etcdId = (await inHost(h.name, 'crictl', 'ps', '--name', '^etcd$', '-q')).trim();
    t.regex(etcdId, /^[0-9a-f]{64}$/);
    t.false((await inHost(lab.hosts[1].name, 'crictl', 'ps', '-aq')).includes(etcdId));
    const node = await waitFor(
      'Node h001 Ready',
      async () => {
        const n = await nodeJson(h.name);
        return readyOf(n) === 'True' && n;
      },
      30_000,
      1000,
    );
    t.deepEqual(node.status.addresses, [
      { type: 'InternalIP', address: a },
      { type: 'Hostname', address: h.name },
    ]);
  },
);

test.serial('in lab hosts: a workload survives systemctl restart kubelet, and crictl rm $(crictl ps -aq) after stop kills it', async (t) => {
  if (!requireRoot(t)) return;
  lab = await sharedLab({ hosts: 2, net: LAB_NET, dir: LAB_DIR });
  const h = lab.hosts[1].name;
  await labNode(h);
  await inHost(h, 'systemctl', 'start', 'kubelet');
  await waitFor(`Node ${h} Ready`, async () => readyOf(await nodeJson(h)) === 'True', 30_000, 1000);
  const ns = 'default';
  const created = await admin.post(`/api/v1/namespaces/${ns}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'in-host', namespace: ns },
    spec: { nodeName: h, containers: [{ name: 'app', image: 'busybox' }] },
  });
  t.is(created.status, 201, created.text);
  const p1 = await waitFor(
    'in-host Ready',
    async () => {
      const p = await podJson(ns, 'in-host');
      return readyOf(p) === 'True' && p;
    },
    30_000,
    500,
  );
  const cs = p1.status.containerStatuses[0];
  const cid = cs.containerID.slice('containerd://'.length);
  const pid = JSON.parse(await inHost(h, 'crictl', 'inspect', cid)).info.pid;
  await inHost(h, 'systemctl', 'restart', 'kubelet');
  await sleep(5000);
  const p2 = await podJson(ns, 'in-host');
  t.is(p2.status.containerStatuses[0].containerID, cs.containerID);
  t.is(p2.status.containerStatuses[0].state.running.startedAt, cs.state.running.startedAt);
  t.is((await lab.exec(h, ['kill', '-0', String(pid)])).code, 0, 'same process');
  // the trap, as an operator would type it in the host
  await inHost(h, 'systemctl', 'stop', 'kubelet');
  await inHost(h, 'sh', '-c', 'crictl stop $(crictl ps -q) >/dev/null && crictl rm $(crictl ps -aq) >/dev/null');
  t.not((await lab.exec(h, ['kill', '-0', String(pid)])).code, 0, 'the workload was killed');
  await inHost(h, 'systemctl', 'start', 'kubelet');
  const p3 = await waitFor(
    'in-host restarted',
    async () => {
      const p = await podJson(ns, 'in-host');
      const c = p.status?.containerStatuses?.[0];
      return c?.containerID !== cs.containerID && c?.state?.running && p;
    },
    30_000,
    500,
  );
  t.not(p3.status.containerStatuses[0].state.running.startedAt, cs.state.running.startedAt);
  t.is(p3.status.containerStatuses[0].restartCount, 1);
  await admin.delete(`/api/v1/namespaces/${ns}/pods/in-host`);
});
