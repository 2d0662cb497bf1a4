/**
 * Fidelity tests of the lab's simulated kube-controller-manager and kube-scheduler: the real etcd
 * and the simulated apiserver on 127.0.0.1 (spec/lab/controlplane), the compiled components as
 * processes with kubeadm's flags, real kubectl as the witness. Needs `npm run build` first.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { X509Certificate, createHmac, createPublicKey, verify as verifySig } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import https from 'node:https';
import YAML from 'yaml';
import {
  type ControlPlane,
  type Proc,
  LAB_BIN,
  SIM_DIST,
  freePort,
  refusedSoon,
  startControlPlane,
  startProc,
  writeClientKubeconfig,
  writeTokenKubeconfig,
} from './controlplane/index.js';
import { createCSR, newCA, newKey, readCertInfo, verifyChain } from './sim/pki.js';
import { KubeClient } from './sim/kubeclient.js';
import { pollUntil, sleep } from '../helpers/wait.js';
import { Node, Pod, Secret, ConfigMap } from 'kubernetes-models/v1';
import { Lease } from 'kubernetes-models/coordination.k8s.io/v1';
import { CertificateSigningRequest } from 'kubernetes-models/certificates.k8s.io/v1';
import { DaemonSet } from 'kubernetes-models/apps/v1';
import { KUBECTL } from './cluster/kube.js';

/** Validate an object written by the controllers against the official schema (throws on a violation). */
function valid(t: { notThrows(fn: () => void, msg?: string): void }, Model: any, obj: any, what: string): void {
  t.notThrows(() => new Model(obj).validate(), `${what} validates against the official schema`);
}

const run = promisify(execFile);

let cp: ControlPlane;
let cpDir: string | undefined;
let admin: KubeClient;
const procs: Proc[] = [];

/** Run real kubectl as the admin; resolves with stdout, rejects with stderr in the message. */
async function kubectl(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run(KUBECTL, ['--kubeconfig', cp.adminConf, ...args], { timeout: 120_000 });
    return stdout;
  } catch (e: any) {
    throw new Error(`kubectl ${args.join(' ')}: ${e.stderr || e.message}`);
  }
}

/** Poll `fn` until it returns a truthy value. */
const waitFor = <T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> => pollUntil(what, fn, timeoutMs);

/** kube-controller-manager flags exactly as kubeadm 1.32 writes them, for this control plane. */
function kcmFlags(o: { pki?: string; conf?: string; extra?: string[] } = {}): string[] {
  const pki = o.pki ?? cp.pki;
  const conf = o.conf ?? cp.controllerManagerConf;
  return [
    '--allocate-node-cidrs=true',
    `--authentication-kubeconfig=${conf}`,
    `--authorization-kubeconfig=${conf}`,
    '--bind-address=127.0.0.1',
    `--client-ca-file=${pki}/ca.crt`,
    '--cluster-cidr=10.244.0.0/16',
    '--cluster-name=kubernetes',
    `--cluster-signing-cert-file=${pki}/ca.crt`,
    `--cluster-signing-key-file=${pki}/ca.key`,
    '--controllers=*,bootstrapsigner,tokencleaner',
    `--kubeconfig=${conf}`,
    '--leader-elect=true',
    `--requestheader-client-ca-file=${pki}/front-proxy-ca.crt`,
    `--root-ca-file=${pki}/ca.crt`,
    `--service-account-private-key-file=${pki}/sa.key`,
    '--service-cluster-ip-range=10.96.0.0/12',
    '--use-service-account-credentials=true',
    '--secure-port=0', // several controller-managers share 127.0.0.1 here; one test serves 10257-like
    ...(o.extra ?? []),
  ];
}

let kcmCount = 0;
/** Start a controller-manager process (its log under the control plane's folder). */
function startKcm(flags: string[]): Proc {
  const p = startProc(join(LAB_BIN, 'kube-controller-manager'), flags, join(cp.dir, `log/kcm.${++kcmCount}.log`));
  procs.push(p);
  return p;
}

/** Start a scheduler process. */
function startScheduler(conf: string): Proc {
  const p = startProc(
    join(LAB_BIN, 'kube-scheduler'),
    [
      `--authentication-kubeconfig=${conf}`,
      `--authorization-kubeconfig=${conf}`,
      '--bind-address=127.0.0.1',
      `--kubeconfig=${conf}`,
      '--leader-elect=true',
      '--secure-port=0',
    ],
    join(cp.dir, `log/sched.${++kcmCount}.log`),
  );
  procs.push(p);
  return p;
}

/** Stop a component and forget its leader lease, so the next one starts at once. */
async function stopComponent(p: Proc, lease = 'kube-controller-manager'): Promise<void> {
  await p.stop();
  await admin.delete(`/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${lease}`);
}

const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

/** Post a CSR as `client`; returns its name. */
async function postCSR(
  client: KubeClient,
  name: string,
  o: { cn: string; orgs?: string[]; dns?: string[]; ips?: string[]; signer: string; usages: string[]; expirationSeconds?: number },
): Promise<string> {
  const key = await newKey();
  const pem = await createCSR({ key, cn: o.cn, orgs: o.orgs, dnsNames: o.dns, ips: o.ips });
  const res = await client.post(CSRS, {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: {
      request: Buffer.from(pem).toString('base64'),
      signerName: o.signer,
      usages: o.usages,
      ...(o.expirationSeconds ? { expirationSeconds: o.expirationSeconds } : {}),
    },
  });
  if (res.status !== 201) throw new Error(`create csr ${name}: ${res.status} ${res.text}`);
  return name;
}

/** Approve a CSR over REST as an admin would (the approval subresource). */
async function approve(name: string): Promise<void> {
  const cur = await admin.get(`${CSRS}/${name}`);
  const cond = { type: 'Approved', status: 'True', reason: 'AdminApproval', message: 'approved by the test' };
  const res = await admin.put(`${CSRS}/${name}/approval`, {
    ...cur.body,
    status: { ...cur.body.status, conditions: [...(cur.body.status?.conditions ?? []), cond] },
  });
  if (res.status !== 200) throw new Error(`approve csr ${name}: ${res.status} ${res.text}`);
}

/** Wait until a CSR has a certificate; returns its PEM. */
function issued(name: string, timeoutMs = 60_000): Promise<string> {
  return waitFor(
    `certificate of csr ${name}`,
    async () => {
      const r = await admin.get(`${CSRS}/${name}`);
      const c = r.body?.status?.certificate;
      return c ? Buffer.from(c, 'base64').toString('utf8') : undefined;
    },
    timeoutMs,
  );
}

test.before(async () => {
  for (const c of ['apiserver', 'controller-manager', 'scheduler']) {
    const main = join(SIM_DIST, `spec/lab/sim/${c}/main.js`);
    if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  }
  // our own folder name, apart from other suites' kubemend-cp-* folders
  cpDir = tempDir(join(tmpdir(), 'kubemend-cm-test-'));
  cp = await startControlPlane({ dir: cpDir });
  admin = KubeClient.fromFile(cp.adminConf);
  // the ServiceAccount admission plugin refuses pods whose service account does not exist; tests
  // create pods before any controller-manager (whose serviceaccount controller makes it) runs
  const sa = await admin.post('/api/v1/namespaces/default/serviceaccounts', {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'default', namespace: 'default' },
  });
  if (sa.status !== 201 && sa.status !== 409) throw new Error(`create serviceaccount default/default: ${sa.status} ${sa.text}`);
});

// a failed test leaves no controller-manager or scheduler running into the next one
test.beforeEach(async () => {
  for (const p of procs) await p.stop();
  for (const l of ['kube-controller-manager', 'kube-scheduler']) await admin.delete(`/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${l}`);
});

test.after.always(async () => {
  for (const p of procs) await p.stop();
  admin?.close();
  await cp?.stop();
  if (cpDir && !process.env.KEEP_CONTROLPLANE) rmSync(cpDir, { recursive: true, force: true });
});

test.serial('csrsigning signs with the CA it loaded at start, even after the files change; a restart picks up the new CA', async (t) => {
  const kdir = join(cp.dir, 'kcm-a');
  mkdirSync(kdir, { recursive: true });
  for (const f of ['ca.crt', 'ca.key', 'sa.key', 'front-proxy-ca.crt']) copyFileSync(join(cp.pki, f), join(kdir, f));
  const caA = cp.cas.ca;
  const kcm = startKcm(kcmFlags({ pki: kdir }));
  const client = (n: string) =>
    postCSR(admin, n, {
      cn: `user-${n}`,
      orgs: ['team'],
      signer: 'kubernetes.io/kube-apiserver-client',
      usages: ['digital signature', 'key encipherment', 'client auth'],
      expirationSeconds: 3600,
    });

  await client('sign-1');
  await sleep(1500);
  const pending = await kubectl('get', 'csr', 'sign-1');
  t.regex(pending, /sign-1\s+\S+\s+kubernetes\.io\/kube-apiserver-client\s+kubernetes-admin\s+60m\s+Pending/, 'not approved: nothing signs it');
  await approve('sign-1');
  const cert1 = await issued('sign-1');
  t.true(verifyChain(cert1, caA.certPem), 'signed by CA A');
  const info = readCertInfo(cert1);
  t.is(info.cn, 'user-sign-1');
  t.deepEqual(info.orgs, ['team']);
  const life = info.notAfter.getTime() - Date.now();
  t.true(life > 3500_000 && life <= 3600_000, `expirationSeconds honoured (${life} ms left)`);
  t.regex(await kubectl('get', 'csr', 'sign-1'), /Approved,Issued/);
  valid(t, CertificateSigningRequest, (await admin.get(`${CSRS}/sign-1`)).body, 'the signed CSR');

  // the CA files on disk change to B: the running controller-manager keeps A
  const caB = await newCA('kubernetes');
  writeFileSync(join(kdir, 'ca.crt'), caB.certPem);
  writeFileSync(join(kdir, 'ca.key'), caB.keyPem);
  await client('sign-2');
  await approve('sign-2');
  const cert2 = await issued('sign-2');
  t.true(verifyChain(cert2, caA.certPem), 'still signed by the CA loaded at start (A)');
  t.false(verifyChain(cert2, caB.certPem));

  await stopComponent(kcm);
  startKcm(kcmFlags({ pki: kdir }));
  await client('sign-3');
  await approve('sign-3');
  const cert3 = await issued('sign-3');
  t.true(verifyChain(cert3, caB.certPem), 'after a restart: signed by B');
  t.false(verifyChain(cert3, caA.certPem));
  await stopComponent(procs[procs.length - 1]);
});

test.serial('a kubelet-serving CSR stays Pending until an admin approves it; then it is signed for server auth', async (t) => {
  const kcm = startKcm(kcmFlags());
  const node = KubeClient.fromFile(await cp.kubeconfig('node-w1', 'system:node:w1', ['system:nodes']));
  await postCSR(node, 'serving-w1', {
    cn: 'system:node:w1',
    orgs: ['system:nodes'],
    dns: ['w1'],
    ips: ['10.0.0.11'],
    signer: 'kubernetes.io/kubelet-serving',
    usages: ['digital signature', 'key encipherment', 'server auth'],
  });
  // a kubelet client CSR of the same node is auto-approved meanwhile: proof the approver runs
  await postCSR(node, 'client-w1', {
    cn: 'system:node:w1',
    orgs: ['system:nodes'],
    signer: 'kubernetes.io/kube-apiserver-client-kubelet',
    usages: ['digital signature', 'key encipherment', 'client auth'],
  });
  await issued('client-w1');
  await sleep(2000);
  const csr = (await admin.get(`${CSRS}/serving-w1`)).body;
  t.deepEqual(csr.status?.conditions ?? [], [], 'never auto-approved');
  t.falsy(csr.status?.certificate);
  t.regex(await kubectl('get', 'csr', 'serving-w1'), /serving-w1\s+\S+\s+kubernetes\.io\/kubelet-serving\s+system:node:w1\s+<none>\s+Pending/);
  t.regex(await kubectl('get', 'csr', 'client-w1'), /Approved,Issued/);
  await kubectl('certificate', 'approve', 'serving-w1');
  const pem = await issued('serving-w1');
  t.true(verifyChain(pem, cp.cas.ca.certPem));
  const info = readCertInfo(pem);
  t.deepEqual(info.dnsNames, ['w1']);
  t.deepEqual(info.ips, ['10.0.0.11']);
  t.deepEqual(new X509Certificate(pem).keyUsage, ['1.3.6.1.5.5.7.3.1'], 'extended key usage: server auth only');
  node.close();
  await stopComponent(kcm);
});

test.serial(
  'bootstrap token: cluster-info gets a JWS that verifies with the token, node CSRs made with it are auto-approved, expired tokens are cleaned',
  async (t) => {
    const kcm = startKcm(kcmFlags());
    const kubeconfig = readFileSync(cp.adminConf, 'utf8')
      .split('\n')
      .filter((l) => !/client-(certificate|key)-data/.test(l))
      .join('\n');
    await admin.post('/api/v1/namespaces/kube-public/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cluster-info', namespace: 'kube-public' },
      data: { kubeconfig },
    });
    const token = (id: string, secret: string, expiration: Date, usages = ['authentication', 'signing']) =>
      admin.post('/api/v1/namespaces/kube-system/secrets', {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'bootstrap.kubernetes.io/token',
        metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
        stringData: undefined,
        data: Object.fromEntries(
          Object.entries({
            'token-id': id,
            'token-secret': secret,
            expiration: expiration.toISOString().replace(/\.\d+Z$/, 'Z'),
            'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
            ...Object.fromEntries(usages.map((u) => [`usage-bootstrap-${u}`, 'true'])),
          }).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
        ),
      });
    t.is((await token('abcdef', '0123456789abcdef', new Date(Date.now() + 3600_000))).status, 201);
    t.is((await token('zzzzzz', 'zzzzzzzzzzzzzzzz', new Date(Date.now() + 3600_000), ['authentication'])).status, 201, 'no signing usage: no signature');
    t.is((await token('oldtok', '1111111111111111', new Date(Date.now() + 3600_000))).status, 201);

    const cm = await waitFor('cluster-info signatures', async () => {
      const c = (await admin.get('/api/v1/namespaces/kube-public/configmaps/cluster-info')).body;
      return c.data?.['jws-kubeconfig-abcdef'] && c.data?.['jws-kubeconfig-oldtok'] ? c : undefined;
    });
    t.falsy(cm.data['jws-kubeconfig-zzzzzz']);
    // verify the detached JWS as kubeadm's discovery does: header.payload(kubeconfig).signature, HS256 keyed by the token secret
    const [h, empty, sig] = cm.data['jws-kubeconfig-abcdef'].split('.');
    t.is(empty, '', 'detached payload');
    t.deepEqual(JSON.parse(Buffer.from(h, 'base64url').toString()), { alg: 'HS256', kid: 'abcdef' });
    const expected = createHmac('sha256', '0123456789abcdef')
      .update(`${h}.${Buffer.from(cm.data.kubeconfig).toString('base64url')}`)
      .digest('base64url');
    t.is(sig, expected, 'the signature verifies with the token');
    const wrong = createHmac('sha256', 'ffffffffffffffff')
      .update(`${h}.${Buffer.from(cm.data.kubeconfig).toString('base64url')}`)
      .digest('base64url');
    t.not(sig, wrong);

    // TLS bootstrap with the token: the kubelet client CSR is auto-approved and signed
    const boot = KubeClient.fromFile(
      writeTokenKubeconfig(join(cp.dir, 'bootstrap-kubelet.conf'), {
        server: cp.server,
        serverCa: cp.cas.ca,
        user: 'tls-bootstrap-token-user',
        token: 'abcdef.0123456789abcdef',
      }),
    );
    await postCSR(boot, 'node-csr-w9', {
      cn: 'system:node:w9',
      orgs: ['system:nodes'],
      signer: 'kubernetes.io/kube-apiserver-client-kubelet',
      usages: ['digital signature', 'key encipherment', 'client auth'],
    });
    // the same token asking for a wrong subject or a serving cert gets nothing
    await postCSR(boot, 'node-csr-bad-org', {
      cn: 'system:node:w9',
      orgs: ['system:masters'],
      signer: 'kubernetes.io/kube-apiserver-client-kubelet',
      usages: ['digital signature', 'key encipherment', 'client auth'],
    });
    await postCSR(boot, 'node-csr-serving', {
      cn: 'system:node:w9',
      orgs: ['system:nodes'],
      dns: ['w9'],
      signer: 'kubernetes.io/kubelet-serving',
      usages: ['digital signature', 'key encipherment', 'server auth'],
    });
    const pem = await issued('node-csr-w9');
    t.true(verifyChain(pem, cp.cas.ca.certPem));
    const csr = (await admin.get(`${CSRS}/node-csr-w9`)).body;
    t.is(csr.spec.username, 'system:bootstrap:abcdef');
    t.like(csr.status.conditions[0], { type: 'Approved', status: 'True', reason: 'AutoApproved' });
    valid(t, CertificateSigningRequest, csr, 'the auto-approved CSR');
    valid(t, ConfigMap, cm, 'cluster-info');
    await sleep(1500);
    for (const n of ['node-csr-bad-org', 'node-csr-serving']) {
      t.deepEqual((await admin.get(`${CSRS}/${n}`)).body.status?.conditions ?? [], [], `${n} not approved`);
    }

    // the token expires (its expiration moved to the past): deleted by the token cleaner, its signature removed
    const past = Buffer.from(new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, 'Z')).toString('base64');
    t.is((await admin.patch('/api/v1/namespaces/kube-system/secrets/bootstrap-token-oldtok', { data: { expiration: past } })).status, 200);
    await waitFor('expired token gone', async () => (await admin.get('/api/v1/namespaces/kube-system/secrets/bootstrap-token-oldtok')).status === 404);
    await waitFor('signature of the expired token removed', async () => {
      const c = (await admin.get('/api/v1/namespaces/kube-public/configmaps/cluster-info')).body;
      return !c.data['jws-kubeconfig-oldtok'] && c.data['jws-kubeconfig-abcdef'];
    });
    boot.close();
    await stopComponent(kcm);
  },
);

test.serial(
  'legacy service-account tokens: filled with sa.key, a blanked token is refused until refilled with a new one that works; kube-root-ca.crt published',
  async (t) => {
    const kcm = startKcm(kcmFlags());
    await admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } });
    const sa = (await admin.post('/api/v1/namespaces/apps/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web' } })).body;
    t.truthy(sa.metadata?.uid);
    await admin.post('/api/v1/namespaces/apps/secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: { name: 'web-token', annotations: { 'kubernetes.io/service-account.name': 'web' } },
    });
    const tokenOf = async () => {
      const s = (await admin.get('/api/v1/namespaces/apps/secrets/web-token')).body;
      return s.data?.token ? { token: Buffer.from(s.data.token, 'base64').toString(), secret: s } : undefined;
    };
    const first = await waitFor('token filled', tokenOf);
    t.is(Buffer.from(first.secret.data['ca.crt'], 'base64').toString(), cp.cas.ca.certPem);
    t.is(Buffer.from(first.secret.data.namespace, 'base64').toString(), 'apps');
    t.is(first.secret.metadata.annotations['kubernetes.io/service-account.uid'], sa.metadata.uid);
    valid(t, Secret, first.secret, 'the filled token secret');
    // the JWT: RS256 with sa.key, the legacy claims
    const [h, p, s] = first.token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    t.like(claims, {
      iss: 'kubernetes/serviceaccount',
      sub: 'system:serviceaccount:apps:web',
      'kubernetes.io/serviceaccount/namespace': 'apps',
      'kubernetes.io/serviceaccount/secret.name': 'web-token',
      'kubernetes.io/serviceaccount/service-account.name': 'web',
      'kubernetes.io/serviceaccount/service-account.uid': sa.metadata.uid,
    });
    t.is(JSON.parse(Buffer.from(h, 'base64url').toString()).alg, 'RS256');
    t.true(verifySig('sha256', Buffer.from(`${h}.${p}`), createPublicKey(cp.cas.sa.publicKeyPem), Buffer.from(s, 'base64url')));

    const asSa = (tok: string) =>
      KubeClient.fromFile(writeTokenKubeconfig(join(cp.dir, 'sa.conf'), { server: cp.server, serverCa: cp.cas.ca, user: 'web', token: tok }));
    const c1 = asSa(first.token);
    t.is((await c1.get('/api/v1/namespaces/apps/pods')).status, 200, 'the filled token works');

    // blank it as kubemend does; the old token is refused, a new one is filled that works
    await kcm.stop();
    await kubectl('patch', 'secret', '-n', 'apps', 'web-token', '-p', '{"data":{"token":null}}');
    t.true(await refusedSoon(c1, '/api/v1/namespaces/apps/pods', 'token of a blanked secret'));
    await sleep(1000);
    t.is((await c1.get('/api/v1/namespaces/apps/pods')).status, 401, 'no controller-manager: stays refused');
    await admin.delete('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager');
    const kcm2 = startKcm(kcmFlags());
    const second = await waitFor('token refilled', tokenOf);
    // legacy tokens have no iat/jti: same key and claims give the same JWT, as in real Kubernetes
    t.is(second.token, first.token);
    t.is((await c1.get('/api/v1/namespaces/apps/pods')).status, 200, 'refilled: the token works again');

    // a secret whose service account is gone is deleted, as the real token controller does
    await admin.post('/api/v1/namespaces/apps/secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: { name: 'ghost-token', annotations: { 'kubernetes.io/service-account.name': 'ghost' } },
    });
    await waitFor('secret of a missing service account deleted', async () => (await admin.get('/api/v1/namespaces/apps/secrets/ghost-token')).status === 404);

    // kube-root-ca.crt in every namespace = --root-ca-file
    for (const ns of ['default', 'kube-system', 'apps']) {
      const cm = await waitFor(`kube-root-ca.crt in ${ns}`, async () => (await admin.get(`/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`)).body?.data);
      t.deepEqual(cm, { 'ca.crt': cp.cas.ca.certPem });
    }
    c1.close();
    await stopComponent(kcm2);
  },
);

/** Create a Node reporting Ready, and its Lease. */
async function createNode(name: string, o: { taints?: any[]; labels?: Record<string, string> } = {}): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const res = await admin.post('/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: o.taints ? { taints: o.taints } : {},
    status: {
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now },
      ],
    },
  });
  if (res.status !== 201) throw new Error(`create node ${name}: ${res.status} ${res.text}`);
  await renewLease(name);
}

/** Renew (or create) a node's Lease, as a kubelet heartbeat does. */
async function renewLease(name: string): Promise<void> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`;
  const renewTime = new Date()
    .toISOString()
    .replace(/Z$/, '000Z')
    .replace(/\.(\d{3})000Z$/, '.$1000Z');
  const cur = await admin.get(path);
  if (cur.status === 404) {
    await admin.post('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: 'kube-node-lease' },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime },
    });
  } else {
    await admin.put(path, { ...cur.body, spec: { ...cur.body.spec, renewTime } });
  }
}

/** Heartbeat these nodes every second until the returned function is called. */
function heartbeat(names: string[]): () => void {
  const timer = setInterval(() => {
    for (const n of names) void renewLease(n).catch(() => undefined);
  }, 1000);
  return () => clearInterval(timer);
}

/** Create a pod bound to a node (as if scheduled). */
async function createPod(
  ns: string,
  name: string,
  nodeName: string | undefined,
  extra: { ownerReferences?: any[]; tolerations?: any[]; nodeSelector?: any } = {},
): Promise<void> {
  const res = await admin.post(`/api/v1/namespaces/${ns}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, ...(extra.ownerReferences ? { ownerReferences: extra.ownerReferences } : {}) },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [{ name: 'app', image: 'lab/workload' }],
      ...(extra.tolerations ? { tolerations: extra.tolerations } : {}),
      ...(extra.nodeSelector ? { nodeSelector: extra.nodeSelector } : {}),
    },
  });
  if (res.status !== 201) throw new Error(`create pod ${ns}/${name}: ${res.status} ${res.text}`);
}

const exists = async (path: string) => (await admin.get(path)).status === 200;
const nodeReady = async (name: string) =>
  ((await admin.get(`/api/v1/nodes/${name}`)).body.status?.conditions ?? []).find((c: any) => c.type === 'Ready')?.status;

async function deleteNodes(names: string[]): Promise<void> {
  for (const n of names) {
    await admin.delete(`/api/v1/nodes/${n}`);
    await admin.delete(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${n}`);
  }
}

test.serial('node lifecycle disabled with --controllers=*,-node-lifecycle-controller: a silent node stays Ready and keeps its pods', async (t) => {
  const kcm = startKcm(
    kcmFlags({
      extra: ['--controllers=*,bootstrapsigner,tokencleaner,-node-lifecycle-controller', '--node-monitor-grace-period=2s', '--lab-eviction-timeout=2s'],
    }),
  );
  await createNode('off1');
  await createPod('default', 'off-web', 'off1');
  await waitFor('controller-manager leading', async () => readFileSync(kcm.log, 'utf8').includes('started controllers'));
  await sleep(7000); // well past grace period + eviction timeout, with no heartbeat
  t.is(await nodeReady('off1'), 'True');
  t.regex(await kubectl('get', 'nodes', 'off1'), /off1\s+Ready\s/);
  t.true(await exists('/api/v1/namespaces/default/pods/off-web'));
  t.notRegex(readFileSync(kcm.log, 'utf8'), /node-lifecycle/);
  await stopComponent(kcm);
  await admin.delete('/api/v1/namespaces/default/pods/off-web');
  await deleteNodes(['off1']);
});

test.serial(
  'a node whose heartbeats stop goes NotReady after the grace period; its pods are evicted after the timeout, except DaemonSet and tolerating pods; no eviction in a full disruption',
  async (t) => {
    await createNode('lc1');
    await createNode('lc2');
    await createNode('lc3');
    const stopBeats12 = heartbeat(['lc1', 'lc2']);
    try {
      const dsOwner = [
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'proxy', uid: '6b1c6c1e-0000-4000-8000-000000000001', controller: true, blockOwnerDeletion: true },
      ];
      await createPod('default', 'lc3-web', 'lc3');
      await createPod('default', 'lc3-daemon', 'lc3', { ownerReferences: dsOwner });
      await createPod('default', 'lc3-tolerant', 'lc3', { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }] });
      await createPod('default', 'lc1-web', 'lc1');
      const kcm = startKcm(kcmFlags({ extra: ['--node-monitor-grace-period=5s', '--lab-eviction-timeout=4s'] }));

      await waitFor('lc3 NotReady', async () => (await nodeReady('lc3')) === 'Unknown');
      const nodes = await kubectl('get', 'nodes');
      t.regex(nodes, /lc3\s+NotReady\s/);
      t.regex(nodes, /lc1\s+Ready\s/);
      const lc3 = (await admin.get('/api/v1/nodes/lc3')).body;
      t.like(
        lc3.status.conditions.find((c: any) => c.type === 'Ready'),
        { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' },
      );
      valid(t, Node, lc3, 'the NotReady node');
      await waitFor('unreachable taints on lc3', async () => {
        const taints = (await admin.get('/api/v1/nodes/lc3')).body.spec?.taints ?? [];
        return ['NoSchedule', 'NoExecute'].every((e) => taints.some((x: any) => x.key === 'node.kubernetes.io/unreachable' && x.effect === e));
      });

      await waitFor('lc3-web evicted', async () => !(await exists('/api/v1/namespaces/default/pods/lc3-web')));
      t.true(await exists('/api/v1/namespaces/default/pods/lc3-daemon'), 'DaemonSet pods are not evicted');
      t.true(await exists('/api/v1/namespaces/default/pods/lc3-tolerant'), 'a pod tolerating unreachable:NoExecute forever stays');
      t.is(await nodeReady('lc1'), 'True');
      t.true(await exists('/api/v1/namespaces/default/pods/lc1-web'));

      // every node silent: full disruption, the controller assumes its own network is at fault and evicts nothing
      stopBeats12();
      await waitFor('all nodes NotReady', async () => (await nodeReady('lc1')) === 'Unknown' && (await nodeReady('lc2')) === 'Unknown');
      await waitFor('NoExecute taints lifted in full disruption', async () => {
        const all = await Promise.all(['lc1', 'lc2', 'lc3'].map(async (n) => (await admin.get(`/api/v1/nodes/${n}`)).body.spec?.taints ?? []));
        return all.every((ts) => !ts.some((x: any) => x.effect === 'NoExecute'));
      });
      await sleep(6000); // past the eviction timeout
      t.true(await exists('/api/v1/namespaces/default/pods/lc1-web'), 'no eviction while every node is NotReady');
      t.regex(await kubectl('get', 'nodes'), /lc1\s+NotReady\s/);

      // lc1 comes back: Ready again, its taints are removed
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const lc1 = (await admin.get('/api/v1/nodes/lc1')).body;
      lc1.status.conditions = lc1.status.conditions.map((c: any) =>
        c.type === 'Ready' ? { ...c, status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now } : c,
      );
      t.is((await admin.put('/api/v1/nodes/lc1/status', lc1)).status, 200);
      const stopBeat1 = heartbeat(['lc1']);
      await waitFor('lc1 untainted', async () => ((await admin.get('/api/v1/nodes/lc1')).body.spec?.taints ?? []).length === 0);
      stopBeat1();
      await stopComponent(kcm);
    } finally {
      stopBeats12();
      for (const p of ['lc3-web', 'lc3-daemon', 'lc3-tolerant', 'lc1-web']) await admin.delete(`/api/v1/namespaces/default/pods/${p}`);
      await deleteNodes(['lc1', 'lc2', 'lc3']);
    }
  },
);

test.serial(
  'daemonset pods: one per eligible node, bound by the scheduler, a deleted one is recreated; the scheduler needs an accepted kubeconfig and binds plain pods to Ready nodes',
  async (t) => {
    await createNode('s1');
    await createNode('s2');
    await createNode('m1', {
      taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
      labels: { 'node-role.kubernetes.io/control-plane': '' },
    });
    let stopBeats = heartbeat(['s1', 's2', 'm1']);
    const pods = async (ns: string) => ((await admin.get(`/api/v1/namespaces/${ns}/pods`)).body.items ?? []) as any[];
    try {
      // a scheduler whose client cert comes from another CA is refused at the TLS layer and binds nothing
      const otherCa = await newCA('kubernetes');
      const badConf = await writeClientKubeconfig(join(cp.dir, 'bad-scheduler.conf'), {
        server: cp.server,
        serverCa: cp.cas.ca,
        ca: otherCa,
        cn: 'system:kube-scheduler',
      });
      const bad = startScheduler(badConf);
      await createPod('default', 'plain', undefined);
      await waitFor(
        'the refused scheduler logs its error',
        async () => /kube-system\/kube-scheduler/.test(readFileSync(bad.log, 'utf8')) && /E\d{4}/.test(readFileSync(bad.log, 'utf8')),
      );
      await sleep(1500);
      t.falsy((await admin.get('/api/v1/namespaces/default/pods/plain')).body.spec.nodeName, 'not bound by a scheduler the apiserver refused');
      t.notRegex(readFileSync(bad.log, 'utf8'), /successfully acquired/);
      await bad.stop();

      const sched = startScheduler(cp.schedulerConf);
      const kcm = startKcm(kcmFlags({ extra: ['--node-monitor-grace-period=5s', '--lab-eviction-timeout=2s'] }));
      const plain = await waitFor('plain pod bound', async () => (await admin.get('/api/v1/namespaces/default/pods/plain')).body.spec.nodeName);
      t.true(['s1', 's2'].includes(plain), `bound to a worker, not the tainted master (${plain})`);
      await createPod('default', 'picky', undefined, { nodeSelector: { disk: 'ssd' } });
      const cond = await waitFor('picky marked unschedulable', async () =>
        ((await admin.get('/api/v1/namespaces/default/pods/picky')).body.status?.conditions ?? []).find(
          (c: any) => c.type === 'PodScheduled' && c.status === 'False',
        ),
      );
      t.is(cond.reason, 'Unschedulable');
      t.regex(cond.message, /^0\/\d+ nodes are available: .*didn't match Pod's node affinity\/selector/);

      const ds = await admin.post('/apis/apps/v1/namespaces/kube-system/daemonsets', {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'lab-proxy', namespace: 'kube-system' },
        spec: {
          selector: { matchLabels: { app: 'lab-proxy' } },
          template: { metadata: { labels: { app: 'lab-proxy' } }, spec: { containers: [{ name: 'proxy', image: 'lab/workload' }] } },
        },
      });
      t.is(ds.status, 201, ds.text);
      const daemonPods = async () =>
        (await pods('kube-system')).filter((p) => p.metadata.ownerReferences?.some((o: any) => o.kind === 'DaemonSet' && o.name === 'lab-proxy'));
      const bound = await waitFor('one bound daemon pod on s1 and s2', async () => {
        const ps = await daemonPods();
        const nodes = ps.map((p) => p.spec.nodeName).sort();
        return ps.length === 2 && nodes[0] === 's1' && nodes[1] === 's2' ? ps : undefined;
      });
      const onS1 = bound.find((p) => p.spec.nodeName === 's1');
      t.like(onS1.metadata.ownerReferences[0], { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'lab-proxy', uid: ds.body.metadata.uid, controller: true });
      t.true(
        onS1.spec.tolerations.some((x: any) => x.key === 'node.kubernetes.io/unreachable' && x.effect === 'NoExecute' && x.tolerationSeconds === undefined),
      );
      t.is(onS1.metadata.labels.app, 'lab-proxy');
      valid(t, Pod, onS1, 'the daemon pod');

      await kubectl('delete', 'pod', '-n', 'kube-system', onS1.metadata.name, '--wait=false');
      const again = await waitFor('daemon pod recreated on s1', async () =>
        (await daemonPods()).find((p) => p.spec.nodeName === 's1' && p.metadata.name !== onS1.metadata.name),
      );
      t.not(again.metadata.uid, onS1.metadata.uid);
      t.is((await daemonPods()).length, 2);
      const st = await waitFor('daemonset status', async () => {
        const s = (await admin.get('/apis/apps/v1/namespaces/kube-system/daemonsets/lab-proxy')).body.status;
        return s?.desiredNumberScheduled === 2 && s.currentNumberScheduled === 2 ? s : undefined;
      });
      t.is(st.numberMisscheduled, 0);
      valid(t, DaemonSet, (await admin.get('/apis/apps/v1/namespaces/kube-system/daemonsets/lab-proxy')).body, 'the daemonset with its status');
      valid(t, Pod, (await admin.get('/api/v1/namespaces/default/pods/picky')).body, 'the unschedulable pod');

      // s2 goes silent: NotReady and tainted unreachable; its daemon pod tolerates that and stays
      stopBeats();
      stopBeats = heartbeat(['s1', 'm1']);
      await waitFor('s2 tainted unreachable:NoExecute', async () =>
        ((await admin.get('/api/v1/nodes/s2')).body.spec?.taints ?? []).some(
          (x: any) => x.key === 'node.kubernetes.io/unreachable' && x.effect === 'NoExecute',
        ),
      );
      const onS2 = (await daemonPods()).find((p) => p.spec.nodeName === 's2');
      await sleep(5000); // past the eviction timeout and several daemonset syncs
      t.true(await exists(`/api/v1/namespaces/kube-system/pods/${onS2.metadata.name}`), 'the daemon pod on the NotReady node is kept');
      t.is((await daemonPods()).length, 2);
      await stopComponent(sched, 'kube-scheduler');
      await stopComponent(kcm);
      await admin.delete('/apis/apps/v1/namespaces/kube-system/daemonsets/lab-proxy');
      for (const p of await daemonPods()) await admin.delete(`/api/v1/namespaces/kube-system/pods/${p.metadata.name}`);
    } finally {
      stopBeats();
      for (const p of ['plain', 'picky']) await admin.delete(`/api/v1/namespaces/default/pods/${p}`);
      await deleteNodes(['s1', 's2', 'm1']);
    }
  },
);

/**
 * Stand in for the kubelets of this rig (no kubelet runs here): every pod of `ns` bound to a node is
 * reported Running and Ready, except those `hold` keeps unready. Returns a stop function.
 */
function fakeKubelet(ns: string, hold: (p: any) => boolean = () => false): () => void {
  const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const timer = setInterval(() => {
    void (async () => {
      for (const p of ((await admin.get(`/api/v1/namespaces/${ns}/pods`)).body?.items ?? []) as any[]) {
        if (!p.spec?.nodeName || p.metadata.deletionTimestamp) continue;
        const ready = !hold(p);
        const cur = (p.status?.conditions ?? []).find((c: any) => c.type === 'Ready')?.status;
        if (p.status?.phase === 'Running' && cur === (ready ? 'True' : 'False')) continue;
        const status = {
          ...p.status,
          phase: 'Running',
          startTime: p.status?.startTime ?? now(),
          conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: now() }],
        };
        await admin.put(`/api/v1/namespaces/${ns}/pods/${p.metadata.name}/status`, { ...p, status }).catch(() => undefined);
      }
    })().catch(() => undefined);
  }, 400);
  return () => clearInterval(timer);
}

test.serial(
  'workload controllers: kubectl rollout restart rolls a Deployment within maxSurge/maxUnavailable and a DaemonSet within maxUnavailable, kubectl rollout status follows; evictions honour PodDisruptionBudgets (429, then allowed)',
  async (t) => {
    const ns = 'roll';
    await createNode('d1');
    await createNode('d2');
    const stopBeats = heartbeat(['d1', 'd2']);
    // new web pods can be held unready, to watch the rolling update's bounds
    let hold = (_p: any) => false;
    const stopKubelet = fakeKubelet(ns, (p) => hold(p));
    const sched = startScheduler(cp.schedulerConf);
    const kcm = startKcm(kcmFlags());
    const pods = async () => ((await admin.get(`/api/v1/namespaces/${ns}/pods`)).body.items ?? []) as any[];
    const ofApp = async (app: string) => (await pods()).filter((p) => p.metadata.labels?.app === app);
    try {
      t.is((await admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status, 201);
      await waitFor('the serviceaccount controller made roll/default', async () => exists(`/api/v1/namespaces/${ns}/serviceaccounts/default`));
      const manifests = [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', namespace: ns },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: 'web' } },
            template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'lab/api-client:1' }] } },
          },
        },
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: { name: 'batch', namespace: ns },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: 'batch' } },
            template: { metadata: { labels: { app: 'batch' } }, spec: { containers: [{ name: 'batch', image: 'lab/api-client:1' }] } },
          },
        },
        {
          apiVersion: 'policy/v1',
          kind: 'PodDisruptionBudget',
          metadata: { name: 'batch', namespace: ns },
          spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'batch' } } },
        },
        {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          metadata: { name: 'agent', namespace: ns },
          spec: {
            selector: { matchLabels: { app: 'agent' } },
            template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'lab/api-client:1' }] } },
          },
        },
      ];
      const file = join(cp.dir, 'roll.yaml');
      writeFileSync(file, manifests.map((m) => YAML.stringify(m)).join('---\n'));
      t.regex(await kubectl('apply', '-f', file), /deployment\.apps\/web created/);
      t.regex(await kubectl('rollout', 'status', '-n', ns, 'deployment/web', '--timeout=90s'), /deployment "web" successfully rolled out/);
      t.regex(await kubectl('rollout', 'status', '-n', ns, 'daemonset/agent', '--timeout=90s'), /daemon set "agent" successfully rolled out/);
      const table = await kubectl('get', 'deployment,replicaset,pdb', '-n', ns);
      t.regex(table, /NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\ndeployment\.apps\/web\s+2\/2\s+2\s+2\s/);
      t.regex(table, /NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\nreplicaset\.apps\/batch\s+2\s+2\s+2\s/);
      t.regex(table, /replicaset\.apps\/web-[bcdfghjklmnpqrstvwxz2456789]{10}\s+2\s+2\s+2/);
      t.regex(table, /NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\npoddisruptionbudget\.policy\/batch\s+N\/A\s+1\s+1\s/);

      // rollout restart with the new pods held unready: maxSurge 1 (25% of 2, up), maxUnavailable 0 (down)
      const oldUids = new Set((await ofApp('web')).map((p) => p.metadata.uid));
      hold = (p) => p.metadata.labels?.app === 'web' && !oldUids.has(p.metadata.uid);
      t.regex(await kubectl('rollout', 'restart', '-n', ns, 'deployment/web'), /deployment\.apps\/web restarted/);
      const d = JSON.parse(await kubectl('get', '-n', ns, 'deployment', 'web', '-o', 'json'));
      t.regex(d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'], /^\d{4}-\d\d-\d\dT/);
      let most = 0;
      for (let i = 0; i < 12; i++) {
        const now = await ofApp('web');
        most = Math.max(most, now.length);
        t.is(now.filter((p) => oldUids.has(p.metadata.uid)).length, 2, 'no old pod goes while the new one is not available (maxUnavailable 0)');
        await sleep(500);
      }
      t.is(most, 3, 'one pod over the 2 replicas at most (maxSurge 1)');
      hold = () => false;
      t.regex(await kubectl('rollout', 'status', '-n', ns, 'deployment/web', '--timeout=90s'), /successfully rolled out/);
      const after = await ofApp('web');
      t.is(after.length, 2);
      t.false(
        after.some((p) => oldUids.has(p.metadata.uid)),
        'every pod replaced',
      );
      const rss = JSON.parse(await kubectl('get', '-n', ns, 'replicasets', '-o', 'json')).items.filter((r: any) => r.metadata.name.startsWith('web-'));
      t.deepEqual(rss.map((r: any) => r.spec.replicas).sort(), [0, 2], 'the old ReplicaSet scaled to 0, kept as history');
      t.is(JSON.parse(await kubectl('get', '-n', ns, 'deployment', 'web', '-o', 'json')).metadata.annotations['deployment.kubernetes.io/revision'], '2');

      // the DaemonSet rolls one node at a time (maxUnavailable 1)
      const dsOld = new Set((await ofApp('agent')).map((p) => p.metadata.uid));
      t.regex(await kubectl('rollout', 'restart', '-n', ns, 'daemonset/agent'), /daemonset\.apps\/agent restarted/);
      let worst = 2;
      const deadline = Date.now() + 60_000;
      for (;;) {
        const now = await ofApp('agent');
        const ready = now.filter((p) => (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True')).length;
        worst = Math.min(worst, ready);
        if (now.length === 2 && now.every((p) => !dsOld.has(p.metadata.uid)) && ready === 2) break;
        if (Date.now() > deadline) throw new Error('daemonset agent did not roll');
        await sleep(300);
      }
      t.true(worst >= 1, 'never both daemon pods down at once');
      t.regex(await kubectl('rollout', 'status', '-n', ns, 'daemonset/agent', '--timeout=30s'), /successfully rolled out/);

      // evictions through the budget (maxUnavailable 1 of the ReplicaSet's 2)
      const evictPod = (name: string) =>
        admin.post(`/api/v1/namespaces/${ns}/pods/${name}/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns } });
      await waitFor(
        'pdb batch allows 1',
        async () => (await admin.get(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/batch`)).body.status?.disruptionsAllowed === 1,
      );
      const [b1, b2] = await ofApp('batch');
      const first = await evictPod(b1.metadata.name);
      t.is(first.status, 201, first.text);
      const second = await evictPod(b2.metadata.name);
      t.is(second.status, 429, 'the budget is spent until the replacement is Ready');
      t.is(second.body.message, "Cannot evict pod as it would violate the pod's disruption budget.");
      t.regex(
        second.body.details.causes[0].message,
        /^The disruption budget batch (needs 1 healthy pods and has [12] currently|is still being processed by the server\.)$/,
      );
      t.true(await exists(`/api/v1/namespaces/${ns}/pods/${b2.metadata.name}`));
      const third = await waitFor(
        'the second eviction allowed once the replacement is Ready',
        async () => {
          const r = await evictPod(b2.metadata.name);
          return r.status === 201 ? r : undefined;
        },
        60_000,
      );
      t.is(third.status, 201);
      await waitFor('batch back to 2 pods', async () => (await ofApp('batch')).length === 2);
    } finally {
      stopKubelet();
      stopBeats();
      await stopComponent(sched, 'kube-scheduler');
      await stopComponent(kcm);
      for (const [path, name] of [
        ['apis/apps/v1', 'deployments/web'],
        ['apis/apps/v1', 'daemonsets/agent'],
        ['apis/policy/v1', 'poddisruptionbudgets/batch'],
      ])
        await admin.delete(`/${path}/namespaces/${ns}/${name}`);
      for (const r of (await admin.get(`/apis/apps/v1/namespaces/${ns}/replicasets`)).body.items ?? [])
        await admin.delete(`/apis/apps/v1/namespaces/${ns}/replicasets/${r.metadata.name}`);
      for (const p of await pods()) await admin.delete(`/api/v1/namespaces/${ns}/pods/${p.metadata.name}`);
      await deleteNodes(['d1', 'd2']);
    }
  },
);

test.serial(
  'leader election: of two controller-managers only the lease holder acts; when it dies the other takes over; a refused kubeconfig never leads',
  async (t) => {
    const lease = async () => (await admin.get('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager')).body;
    // a controller-manager whose client cert is from another CA: refused, never leads, acts on nothing
    const otherCa = await newCA('kubernetes');
    const badConf = await writeClientKubeconfig(join(cp.dir, 'bad-kcm.conf'), {
      server: cp.server,
      serverCa: cp.cas.ca,
      ca: otherCa,
      cn: 'system:kube-controller-manager',
    });
    const bad = startKcm(kcmFlags({ conf: badConf }));
    await postCSR(admin, 'le-0', { cn: 'le-0', signer: 'kubernetes.io/kube-apiserver-client', usages: ['digital signature', 'client auth'] });
    await approve('le-0');
    await waitFor('the refused controller-manager logs its error', async () =>
      /error retrieving resource lock kube-system\/kube-controller-manager/.test(readFileSync(bad.log, 'utf8')),
    );
    await sleep(1500);
    t.is((await admin.get('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager')).status, 404, 'no lease taken');
    t.falsy((await admin.get(`${CSRS}/le-0`)).body.status?.certificate, 'nothing signed');
    await bad.stop();

    // the real default timings here, so that a loaded test machine does not make the leader miss its renewals
    const le = ['--leader-elect-lease-duration=15s', '--leader-elect-renew-deadline=10s', '--leader-elect-retry-period=2s'];
    const a = startKcm(kcmFlags({ extra: le }));
    const first = await waitFor('a lease holder', async () => (await lease())?.spec?.holderIdentity);
    const b = startKcm(kcmFlags({ extra: le }));
    await issued('le-0');
    // b must have tried the lease at least once before we look (a fixed sleep alone read an empty
    // log at load average 75); then a retry period and more, in which it must still not lead
    await waitFor('the second controller-manager tries the lease', async () => /attempting to acquire leader lease/.test(readFileSync(b.log, 'utf8')));
    await sleep(2500);
    const logs = [a, b].map((p) => readFileSync(p.log, 'utf8'));
    const leaders = logs.filter((l) => l.includes('started controllers'));
    t.is(leaders.length, 1, 'exactly one controller-manager runs the controllers');
    t.is((await lease()).spec.holderIdentity, first, 'the first holder keeps renewing');
    const [leader, follower] = logs[0].includes('started controllers') ? [a, b] : [b, a];
    t.regex(readFileSync(follower.log, 'utf8'), /attempting to acquire leader lease/);

    leader.child.kill('SIGKILL');
    const next = await waitFor('the other one takes the lease', async () => {
      const l = await lease();
      return l?.spec?.holderIdentity && l.spec.holderIdentity !== first ? l : undefined;
    });
    t.true(next.spec.leaseTransitions >= 1);
    t.is(next.spec.leaseDurationSeconds, 15);
    valid(t, Lease, next, 'the leader lease');
    await postCSR(admin, 'le-1', { cn: 'le-1', signer: 'kubernetes.io/kube-apiserver-client', usages: ['digital signature', 'client auth'] });
    await approve('le-1');
    t.true(verifyChain(await issued('le-1'), cp.cas.ca.certPem), 'the new leader signs');
    t.regex(readFileSync(follower.log, 'utf8'), /started controllers/);
    await stopComponent(follower);
  },
);

test.serial(
  'after a PKI replacement, a controller-manager started before it fails like a real one until restarted; then it signs with the new CA and refills blanked tokens with the new sa.key',
  async (t) => {
    const oldKcm = startKcm(kcmFlags());
    await waitFor('old controller-manager leading', async () => readFileSync(oldKcm.log, 'utf8').includes('started controllers'));
    const sec = async () => (await admin.get('/api/v1/namespaces/apps/secrets/web-token')).body;
    // the service account and its token secret (made by the legacy-token test; made here when run alone)
    await admin.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } });
    await admin.post('/api/v1/namespaces/apps/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web' } });
    await admin.post('/api/v1/namespaces/apps/secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: { name: 'web-token', annotations: { 'kubernetes.io/service-account.name': 'web' } },
    });
    const oldToken = Buffer.from(await waitFor('web-token filled', async () => (await sec()).data?.token), 'base64').toString();

    const { newClusterCAs } = await import('./controlplane/index.js');
    const cas = await newClusterCAs();
    await cp.restartApiserver(cas);
    admin.close();
    admin = KubeClient.fromFile(cp.adminConf);
    t.is((await admin.get('/api/v1/namespaces/apps/secrets/web-token')).status, 200, 'objects survive the PKI replacement (etcd kept)');

    // the old controller-manager still holds the old CA and credentials: refused, so nothing gets signed or refilled
    // (while the apiserver was down it could not renew its lease: it exits as the real one does; else it logs TLS errors)
    const mark = readFileSync(oldKcm.log, 'utf8').length;
    await waitFor(
      'the old controller-manager fails against the new apiserver',
      async () => oldKcm.child.exitCode === 1 || /E\d{4} /.test(readFileSync(oldKcm.log, 'utf8').slice(mark)),
    );
    if (oldKcm.child.exitCode === 1) t.regex(readFileSync(oldKcm.log, 'utf8'), /leaderelection lost/);
    const saConf = (tok: string, name: string) =>
      KubeClient.fromFile(writeTokenKubeconfig(join(cp.dir, `${name}.conf`), { server: cp.server, serverCa: cas.ca, user: 'web', token: tok }));
    const oldClient = saConf(oldToken, 'sa-old');
    t.is((await oldClient.get('/api/v1/namespaces/apps/pods')).status, 401, 'a token signed with the lost sa.key is refused');
    await kubectl('patch', 'secret', '-n', 'apps', 'web-token', '-p', '{"data":{"token":null}}');
    await sleep(2000);
    t.falsy((await sec()).data?.token, 'not refilled by the controller-manager that lost its connection');
    await oldKcm.stop();

    // restarted with the new files (as `kubeadm init phase control-plane controller-manager` does)
    await admin.delete('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager');
    const kcm = startKcm(kcmFlags());
    const filled = await waitFor('token refilled with the new sa.key', async () => (await sec()).data?.token);
    const newToken = Buffer.from(filled, 'base64').toString();
    t.not(newToken, oldToken);
    const newClient = saConf(newToken, 'sa-new');
    t.is((await newClient.get('/api/v1/namespaces/apps/pods')).status, 200, 'the new token works');
    t.is((await oldClient.get('/api/v1/namespaces/apps/pods')).status, 401);
    t.is(Buffer.from((await sec()).data['ca.crt'], 'base64').toString(), cas.ca.certPem, 'ca.crt of the secret = the new root CA');
    const rootCm = await waitFor('kube-root-ca.crt carries the new CA', async () => {
      const d = (await admin.get('/api/v1/namespaces/apps/configmaps/kube-root-ca.crt')).body.data;
      return d?.['ca.crt'] === cas.ca.certPem ? d : undefined;
    });
    t.truthy(rootCm);
    await postCSR(admin, 'after-pki', { cn: 'after', signer: 'kubernetes.io/kube-apiserver-client', usages: ['digital signature', 'client auth'] });
    await approve('after-pki');
    t.true(verifyChain(await issued('after-pki'), cas.ca.certPem), 'signed with the new CA');
    oldClient.close();
    newClient.close();
    await stopComponent(kcm);
  },
);

test.serial(
  'the secure port serves /healthz like the real one (self-signed, open health paths, 403 elsewhere); a second process on a taken port fails to start',
  async (t) => {
    const port = await freePort();
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        https
          .get({ host: '127.0.0.1', port, path, rejectUnauthorized: false }, (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          })
          .on('error', reject);
      });
    const kcm = startKcm(kcmFlags({ extra: [`--secure-port=${port}`] }));
    const health = await waitFor('/healthz', () => get('/healthz').catch(() => undefined));
    t.deepEqual(health, { status: 200, body: 'ok' });
    const metrics = await get('/metrics');
    t.is(metrics.status, 403);
    t.regex(metrics.body, /forbidden: User \\"system:anonymous\\" cannot get path \\"\/metrics\\"/);
    const second = startKcm(kcmFlags({ extra: [`--secure-port=${port}`] }));
    const code = await second.closed; // its last lines are in the log only once its output has closed
    t.is(code, 1);
    t.regex(readFileSync(second.log, 'utf8'), /failed to listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    await stopComponent(kcm);
  },
);

test.serial('the signer never issues past its CA NotAfter and refuses once the CA has expired', async (t) => {
  const kdir = join(cp.dir, 'kcm-exp');
  mkdirSync(kdir, { recursive: true });
  for (const f of ['sa.key', 'front-proxy-ca.crt']) copyFileSync(join(cp.pki, f), join(kdir, f));
  const hour = 3600_000;
  const soon = await newCA('kubernetes', { notBefore: new Date(Date.now() - hour), notAfter: new Date(Date.now() + 2 * hour) });
  writeFileSync(join(kdir, 'ca.crt'), soon.certPem);
  writeFileSync(join(kdir, 'ca.key'), soon.keyPem);
  let kcm = startKcm(kcmFlags({ pki: kdir }));
  await postCSR(admin, 'exp-1', { cn: 'exp-1', signer: 'kubernetes.io/kube-apiserver-client', usages: ['digital signature', 'client auth'] });
  await approve('exp-1');
  const info = readCertInfo(await issued('exp-1'));
  t.true(info.notAfter.getTime() <= Date.now() + 2 * hour, 'capped at the CA NotAfter, not one year');
  await stopComponent(kcm);

  const expired = await newCA('kubernetes', { notBefore: new Date(Date.now() - 3 * hour), notAfter: new Date(Date.now() - hour) });
  writeFileSync(join(kdir, 'ca.crt'), expired.certPem);
  writeFileSync(join(kdir, 'ca.key'), expired.keyPem);
  kcm = startKcm(kcmFlags({ pki: kdir }));
  await postCSR(admin, 'exp-2', { cn: 'exp-2', signer: 'kubernetes.io/kube-apiserver-client', usages: ['digital signature', 'client auth'] });
  await approve('exp-2');
  await waitFor('the signer reports its expiry', async () => readFileSync(kcm.log, 'utf8').includes('the signer has expired'));
  t.falsy((await admin.get(`${CSRS}/exp-2`)).body.status?.certificate, 'approved but never issued');
  await stopComponent(kcm);
});
