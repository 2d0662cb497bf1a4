/**
 * Fidelity of the lab CLUSTER (one 3+3 lab, net 82, shared by every test of this file): each test
 * breaks one thing, shows the failure for its real reason (the TLS error, kubeadm's message, the
 * 401), then puts the cluster back. Witnesses: real kubectl, etcdctl (the machine's, from outside the
 * hosts), openssl, the components' logs. Tests 11-12: the lab's tools refuse what the real ones
 * refuse (kubeadm v1.32, crictl v1.32) and its hosts lack what kubeadm hosts lack (etcdctl).
 */
import test from 'ava';
import { createSign, generateKeyPairSync } from 'node:crypto';
import YAML from 'yaml';
import { requireRoot, sharedLab, type Lab } from '../helpers/lab.js';
import { kubectl, refreshAdminConf, sleep } from './cluster/kube.js';
import { etcdctlWitness } from './cluster/etcdctl.js';
import { hostOf, readLab, type LabDir } from './cluster/labdir.js';
import { ssh } from './cluster/ssh.js';

const DIR = '/tmp/h-labcluster/fidelity-net82';
let labP: Promise<{ lab: Lab; dir: LabDir }> | undefined;
function cluster() {
  labP ??= (async () => {
    const lab = await sharedLab({ masters: 3, workers: 3, net: 82, dir: DIR });
    const dir = readLab(lab.dir);
    if (!(await refreshAdminConf(dir))) throw new Error('no admin.conf on any master');
    return { lab, dir };
  })();
  return labP;
}
test.after.always(async () => {
  if (labP) await (await labP).lab.down();
});

/** Runs a bash script inside host (setup and checks; the components are the witnesses). */
async function sh(lab: Lab, host: string, script: string) {
  return lab.exec(host, ['bash', '-c', script]);
}
async function shOk(lab: Lab, host: string, script: string): Promise<string> {
  const r = await sh(lab, host, script);
  if (r.code !== 0) throw new Error(`${host}: ${script.slice(0, 80)}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}
async function until<T>(what: string, ms: number, fn: () => Promise<T | undefined | false>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(1000);
  }
}
async function nodeReady(dir: LabDir, node: string): Promise<string> {
  const r = await kubectl(dir, ['get', 'node', node, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
  return r.stdout.trim();
}
const ENDPOINT = (lab: Lab) => `${lab.hosts[0].address}:6443`;
const HASH = `openssl x509 -pubkey -in /etc/kubernetes/pki/ca.crt | openssl pkey -pubin -outform der | openssl dgst -sha256 -hex | sed 's/^.* /sha256:/'`;

/** openssl: a new CA in $1 (CN $2) and a leaf signed by it ($3 = name, $4 = subject, $5 = extensions). */
const OTHER_CA = `other_ca() { mkdir -p "$1"; cd "$1"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -subj "/CN=$2" -days 2 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$3.key" -out "$3.csr" -subj "$4" 2>/dev/null
  printf '%b' "$5" > ext.cnf
  openssl x509 -req -in "$3.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$3.crt" -days 2 -extfile ext.cnf 2>/dev/null; }
`;

test.serial('1. a kubelet whose client cert comes from another CA cannot heartbeat (TLS error in its log) and its Node goes NotReady', async (t) => {
  if (!requireRoot(t)) return;
  const { lab, dir } = await cluster();
  t.is(await nodeReady(dir, 'w1'), 'True');
  await shOk(
    lab,
    'w1',
    `${OTHER_CA}
cp -a /var/lib/kubelet/pki /root/pki.bak
other_ca /root/other kubernetes node "/O=system:nodes/CN=system:node:w1" "extendedKeyUsage=clientAuth\\nkeyUsage=digitalSignature,keyEncipherment"
cat node.crt node.key > /var/lib/kubelet/pki/kubelet-client-other.pem
ln -sfn /var/lib/kubelet/pki/kubelet-client-other.pem /var/lib/kubelet/pki/kubelet-client-current.pem
: > /var/log/kubelet.log
systemctl restart kubelet`,
  );
  try {
    const st = await until('w1 NotReady', 90_000, async () => {
      const s = await nodeReady(dir, 'w1');
      return s !== 'True' && s;
    });
    t.is(st, 'Unknown', 'the node controller marks it Unknown after the grace period');
    const log = await shOk(lab, 'w1', 'cat /var/log/kubelet.log');
    t.regex(log, /(certificate|tls|Unauthorized|401)/i, log.slice(-2000));
    t.notRegex(
      log
        .split('\n')
        .filter((l) => /Successfully|updated node status/i.test(l))
        .join('\n'),
      /Successfully registered/,
    );
  } finally {
    await shOk(lab, 'w1', 'rm -rf /var/lib/kubelet/pki && cp -a /root/pki.bak /var/lib/kubelet/pki && systemctl restart kubelet');
    await until('w1 Ready again', 120_000, async () => (await nodeReady(dir, 'w1')) === 'True');
  }
});

test.serial("2. an etcd member whose peer cert comes from another etcd CA cannot rejoin its peers (etcd's TLS error)", async (t) => {
  if (!requireRoot(t)) return;
  const { lab } = await cluster();
  const m3 = lab.hosts.find((h) => h.name === 'm3')!;
  // the witness: the machine's etcdctl from outside the hosts (a kubeadm host has none), with m1's certificates
  const m1 = lab.hosts.find((h) => h.name === 'm1')!;
  const health = async () => {
    const r = await etcdctlWitness(lab.dir, m1, ['endpoint', 'health', '--cluster']);
    return { stdout: r.stdout + r.stderr };
  };
  const restartEtcd = `id=$(crictl ps -q --name '^etcd$'); [ -n "$id" ] && crictl stop $id >/dev/null; true`;
  await shOk(
    lab,
    'm3',
    `${OTHER_CA}
cp /etc/kubernetes/pki/etcd/peer.crt /etc/kubernetes/pki/etcd/peer.key /root/
other_ca /root/etcd-other etcd-ca peer "/CN=m3" "subjectAltName=DNS:m3,DNS:localhost,IP:${m3.address},IP:127.0.0.1\\nextendedKeyUsage=serverAuth,clientAuth"
cp peer.crt peer.key /etc/kubernetes/pki/etcd/
${restartEtcd}`,
  );
  try {
    const seen = await until('a peer rejects m3', 90_000, async () => {
      const logs = await sh(lab, 'm1', 'cat /var/log/pods/kube-system_etcd-m1_*/etcd/*.log | tail -300');
      return /remote error: tls: bad certificate|certificate signed by unknown authority/.exec(logs.stdout)?.[0];
    });
    t.truthy(seen);
    const h = await health();
    t.regex(h.stdout, new RegExp(`https://${m3.address.replace(/\./g, '\\.')}:2379 is unhealthy`), h.stdout);
  } finally {
    await shOk(lab, 'm3', `cp /root/peer.crt /root/peer.key /etc/kubernetes/pki/etcd/ && ${restartEtcd}`);
    await until('etcd healthy again', 120_000, async () => ((await health()).stdout.match(/is healthy/g) ?? []).length === 3);
  }
});

test.serial("3. kubeadm join with a wrong --discovery-token-ca-cert-hash fails with kubeadm's message", async (t) => {
  if (!requireRoot(t)) return;
  const { lab } = await cluster();
  const token = (await shOk(lab, 'm1', 'kubeadm token create --ttl 10m')).trim();
  const right = (await shOk(lab, 'm1', HASH)).trim();
  const wrong = 'sha256:' + 'ab'.repeat(32);
  const r = await sh(lab, 'w3', `kubeadm join ${ENDPOINT(lab)} --token ${token} --discovery-token-ca-cert-hash ${wrong} --ignore-preflight-errors=all`);
  t.is(r.code, 1);
  t.true(
    r.stderr.includes(
      `couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${right}" are pinned`,
    ),
    r.stderr,
  );
  const ok = await sh(
    lab,
    'w3',
    `kubeadm join phase preflight ${ENDPOINT(lab)} --token ${token} --discovery-token-ca-cert-hash ${right} --ignore-preflight-errors=all`,
  );
  t.is(ok.code, 0, `the right hash passes discovery: ${ok.stderr}`);
});

test.serial('4. without kube-controller-manager a join cannot complete: no JWS signature on cluster-info, no CSR signing', async (t) => {
  if (!requireRoot(t)) return;
  const { lab, dir } = await cluster();
  const masters = lab.hosts.filter((h) => h.role === 'master').map((h) => h.name);
  const stop = `mv /etc/kubernetes/manifests/kube-controller-manager.yaml /root/kcm.yaml
for i in $(seq 60); do [ -z "$(crictl ps -q --name kube-controller-manager)" ] && exit 0; sleep 1; done; exit 1`;
  await Promise.all(masters.map((m) => shOk(lab, m, stop)));
  const csrName = `fid4-${Date.now()}`;
  try {
    const token = (await shOk(lab, 'm1', 'kubeadm token create --ttl 10m')).trim();
    const id = token.split('.')[0];
    const hash = (await shOk(lab, 'm1', HASH)).trim();
    const r = await sh(
      lab,
      'w3',
      `LAB_KUBEADM_DISCOVERY_TIMEOUT=5s kubeadm join phase preflight ${ENDPOINT(lab)} --token ${token} --discovery-token-ca-cert-hash ${hash} --ignore-preflight-errors=all`,
    );
    t.is(r.code, 1);
    t.true(r.stderr.includes(`could not find a JWS signature in the cluster-info ConfigMap for token ID "${id}"`), r.stderr);
    const req = await shOk(
      lab,
      'w3',
      'cd /tmp && openssl req -new -newkey rsa:2048 -nodes -keyout f4.key -subj "/O=system:nodes/CN=system:node:w3" 2>/dev/null | base64 -w0',
    );
    const csr = {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name: csrName },
      spec: {
        request: req.trim(),
        signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
        usages: ['digital signature', 'key encipherment', 'client auth'],
      },
    };
    t.is((await kubectl(dir, ['create', '-f', '-'], { input: JSON.stringify(csr) })).code, 0);
    t.is((await kubectl(dir, ['certificate', 'approve', csrName])).code, 0);
    await sleep(8000);
    const cert = await kubectl(dir, ['get', 'csr', csrName, '-o', 'jsonpath={.status.certificate}']);
    t.is(cert.stdout, '', 'approved but never signed while no controller-manager runs');
  } finally {
    await Promise.all(masters.map((m) => shOk(lab, m, 'mv /root/kcm.yaml /etc/kubernetes/manifests/kube-controller-manager.yaml')));
  }
  const signed = await until(
    'the CSR signed once a controller-manager runs',
    120_000,
    async () => (await kubectl(dir, ['get', 'csr', csrName, '-o', 'jsonpath={.status.certificate}'])).stdout,
  );
  t.truthy(signed, 'the same CSR is signed when the controller-manager is back (so the test can fail)');
  await kubectl(dir, ['delete', 'csr', csrName]);
});

test.serial('5. control-plane-prepare with a wrong or expired certificate key fails', async (t) => {
  if (!requireRoot(t)) return;
  const { lab, dir } = await cluster();
  const key = (await shOk(lab, 'm1', 'kubeadm certs certificate-key')).trim();
  // with --config the key goes in the InitConfiguration (real kubeadm refuses --certificate-key next to --config)
  await shOk(
    lab,
    'm1',
    `sed 's/^kind: InitConfiguration$/&\\ncertificateKey: ${key}/' /root/kubeadm/init.yaml > /root/kubeadm/f5.yaml && kubeadm init phase upload-certs --upload-certs --config /root/kubeadm/f5.yaml && rm /root/kubeadm/f5.yaml`,
  );
  const token = (await shOk(lab, 'm1', 'kubeadm token create --ttl 10m')).trim();
  const hash = (await shOk(lab, 'm1', HASH)).trim();
  const prepare = (k: string) =>
    sh(
      lab,
      'w3',
      `mkdir -p /root/f5 && LAB_ROOT=/root/f5 kubeadm join phase control-plane-prepare download-certs ${ENDPOINT(lab)} --control-plane --token ${token} --discovery-token-ca-cert-hash ${hash} --certificate-key ${k}`,
    );
  const wrong = await prepare('0'.repeat(64));
  t.is(wrong.code, 1);
  t.regex(wrong.stderr, /error downloading certs: error decoding secret data with provided key: cipher: message authentication failed/);
  // the secret lives 2 hours; an expired one is gone (its owner token was deleted)
  t.is((await kubectl(dir, ['-n', 'kube-system', 'delete', 'secret', 'kubeadm-certs'])).code, 0);
  const expired = await prepare(key);
  t.is(expired.code, 1);
  t.regex(expired.stderr, /kubeadm-certs/, expired.stderr);
  await sh(lab, 'w3', 'rm -rf /root/f5');
});

test.serial('6. a pod holding a token signed by another sa.key gets 401 from the apiserver', async (t) => {
  if (!requireRoot(t)) return;
  const { lab, dir } = await cluster();
  // a legacy token with the claims the lab's token controller writes, signed by a key the cluster never had
  const real = await kubectl(dir, ['-n', 'apps', 'get', 'secret', 'sa-probe-token', '-o', 'jsonpath={.data.token}']);
  const payload = JSON.parse(Buffer.from(Buffer.from(real.stdout, 'base64').toString().split('.')[1], 'base64url').toString());
  payload['kubernetes.io/serviceaccount/namespace'] = 'fid6';
  payload['kubernetes.io/serviceaccount/secret.name'] = 'forged-token';
  payload['kubernetes.io/serviceaccount/service-account.name'] = 'forged';
  payload.sub = 'system:serviceaccount:fid6:forged';
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const head = Buffer.from(JSON.stringify({ alg: 'RS256', kid: '' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(privateKey).toString('base64url');
  const forged = `${head}.${body}.${sig}`;
  const objs = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fid6' } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'forged', namespace: 'fid6' } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: { name: 'forged-token', namespace: 'fid6', annotations: { 'kubernetes.io/service-account.name': 'forged' } },
      data: { token: Buffer.from(forged).toString('base64') },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probe', namespace: 'fid6' },
      spec: {
        nodeName: 'w2',
        serviceAccountName: 'forged',
        automountServiceAccountToken: false,
        containers: [{ name: 'probe', image: 'lab/probe:1', volumeMounts: [{ name: 't', mountPath: '/var/run/secrets/lab' }] }],
        volumes: [{ name: 't', secret: { secretName: 'forged-token' } }],
      },
    },
  ];
  const apply = async (list: object[]) => kubectl(dir, ['apply', '-f', '-'], { input: list.map((o) => YAML.stringify(o)).join('---\n') });
  const c = await apply(objs.slice(0, 3));
  t.is(c.code, 0, c.stderr);
  try {
    // the token controller adds ca.crt to the Secret; a pod started before that reads no CA (client-go's
    // InClusterConfig loads it once, at start) and fails TLS instead of reaching the apiserver at all
    await until(
      'the token controller adds ca.crt',
      60_000,
      async () => (await kubectl(dir, ['-n', 'fid6', 'get', 'secret', 'forged-token', '-o', 'jsonpath={.data.ca\\.crt}'])).stdout,
    );
    const p = await apply(objs.slice(3));
    t.is(p.code, 0, p.stderr);
    const health = await until('the probe reports', 60_000, async () =>
      (await sh(lab, 'w2', 'cat /run/lab/workloads/fid6_probe.health 2>/dev/null')).stdout.trim(),
    );
    t.regex(health, /^401\b/, 'the apiserver answers 401 Unauthorized');
    await sleep(3000);
    t.not((await kubectl(dir, ['-n', 'fid6', 'get', 'pod', 'probe', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout, 'True');
    // the cluster's own sa-probe pods, whose token the cluster signed, are healthy
    const w2probe = (await sh(lab, 'w2', 'cat /run/lab/workloads/apps_sa-probe-*.health')).stdout.trim();
    t.is(w2probe, 'ok');
  } finally {
    await kubectl(dir, ['delete', 'namespace', 'fid6', '--wait=false']);
    await kubectl(dir, ['-n', 'fid6', 'delete', 'pod', 'probe', '--wait=false']);
  }
});

test.serial('7. kubeadm does not overwrite an existing cert or kubeconfig', async (t) => {
  if (!requireRoot(t)) return;
  const { lab } = await cluster();
  const sums = 'cd /etc/kubernetes && find pki -type f | sort | xargs sha256sum && sha256sum *.conf';
  const before = await shOk(lab, 'm1', sums);
  // the cluster's own config, as `scripts/lab up` gave it to kubeadm init
  const certs = await sh(lab, 'm1', 'kubeadm init phase certs all --config /root/kubeadm/init.yaml');
  const confs = await sh(lab, 'm1', 'kubeadm init phase kubeconfig all --config /root/kubeadm/init.yaml');
  t.is(certs.code, 0, certs.stderr);
  t.is(confs.code, 0, confs.stderr);
  t.regex(certs.stdout, /Using existing ca certificate authority/);
  t.regex(confs.stdout, /Using existing kubeconfig file: "\/etc\/kubernetes\/admin\.conf"/);
  t.notRegex(certs.stdout + confs.stdout, /Generating|Writing/);
  const after = await shOk(lab, 'm1', sums);
  const changed = before.split('\n').filter((l) => !after.split('\n').includes(l));
  t.deepEqual(changed, [], 'every existing cert, key and kubeconfig byte-identical');
});

test.serial('8. a kube-controller-manager started before the CA changed signs CSRs with the old CA', async (t) => {
  if (!requireRoot(t)) return;
  const { lab, dir } = await cluster();
  const masters = lab.hosts.filter((h) => h.role === 'master').map((h) => h.name);
  const oldCa = await shOk(lab, 'm1', 'cat /etc/kubernetes/pki/ca.crt');
  await Promise.all(
    masters.map((m) =>
      shOk(
        lab,
        m,
        `cd /etc/kubernetes/pki && cp ca.crt /root/ca.crt.old && cp ca.key /root/ca.key.old &&
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -subj /CN=kubernetes -days 2 2>/dev/null`,
      ),
    ),
  );
  const name = `fid8-${Date.now()}`;
  try {
    const newCa = await shOk(lab, 'm1', 'cat /etc/kubernetes/pki/ca.crt');
    t.not(newCa, oldCa);
    const req = await shOk(lab, 'm1', 'openssl req -new -newkey rsa:2048 -nodes -keyout /tmp/f8.key -subj "/CN=fid8-user" 2>/dev/null | base64 -w0');
    const csr = {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name },
      spec: { request: req.trim(), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] },
    };
    t.is((await kubectl(dir, ['create', '-f', '-'], { input: JSON.stringify(csr) })).code, 0);
    t.is((await kubectl(dir, ['certificate', 'approve', name])).code, 0);
    const b64 = await until('the CSR signed', 60_000, async () => (await kubectl(dir, ['get', 'csr', name, '-o', 'jsonpath={.status.certificate}'])).stdout);
    const pem = Buffer.from(b64, 'base64').toString();
    const verify = async (ca: string) => sh(lab, 'm1', `printf '%s' '${pem}' > /tmp/f8.crt; openssl verify -CAfile ${ca} /tmp/f8.crt`);
    t.is((await verify('/root/ca.crt.old')).code, 0, 'signed by the CA the controller-manager loaded at its start');
    const n = await verify('/etc/kubernetes/pki/ca.crt');
    t.not(n.code, 0);
    t.regex(n.stdout + n.stderr, /unable to get local issuer certificate|certificate signature failure/);
  } finally {
    await Promise.all(masters.map((m) => shOk(lab, m, 'cp /root/ca.crt.old /etc/kubernetes/pki/ca.crt && cp /root/ca.key.old /etc/kubernetes/pki/ca.key')));
    await kubectl(dir, ['delete', 'csr', name]);
  }
});

test.serial('9. a kubelet-serving CSR stays Pending until approved', async (t) => {
  if (!requireRoot(t)) return;
  const { lab, dir } = await cluster();
  await shOk(
    lab,
    'w2',
    `grep -q '^serverTLSBootstrap' /var/lib/kubelet/config.yaml && sed -i 's/^serverTLSBootstrap:.*/serverTLSBootstrap: true/' /var/lib/kubelet/config.yaml || echo 'serverTLSBootstrap: true' >> /var/lib/kubelet/config.yaml
rm -f /var/lib/kubelet/pki/kubelet-server-*; systemctl restart kubelet`,
  );
  const pending = async () => {
    const r = await kubectl(dir, ['get', 'csr', '-o', 'json']);
    return (JSON.parse(r.stdout).items as any[]).find(
      (c) => c.spec.signerName === 'kubernetes.io/kubelet-serving' && c.spec.username === 'system:node:w2' && !c.status?.certificate,
    );
  };
  const csr = await until('a kubelet-serving CSR from w2', 60_000, pending);
  await sleep(10_000);
  const still = (await kubectl(dir, ['get', 'csr', csr.metadata.name, '-o', 'json'])).stdout;
  t.deepEqual(JSON.parse(still).status?.conditions ?? [], [], 'no condition: Pending, nobody approves serving CSRs');
  t.is((await sh(lab, 'w2', 'ls /var/lib/kubelet/pki/kubelet-server-current.pem')).code, 2);
  t.is((await kubectl(dir, ['certificate', 'approve', csr.metadata.name])).code, 0);
  await until('w2 writes its serving cert', 60_000, async () => (await sh(lab, 'w2', 'test -s /var/lib/kubelet/pki/kubelet-server-current.pem')).code === 0);
  t.pass();
});

test.serial('10. after missed heartbeats a Node goes NotReady, and after the eviction timeout its pods are evicted', async (t) => {
  if (!requireRoot(t)) return;
  const { lab, dir } = await cluster();
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'fid10', namespace: 'default' },
    spec: { nodeName: 'w3', automountServiceAccountToken: false, containers: [{ name: 'p', image: 'registry.k8s.io/pause:3.10' }] },
  };
  t.is((await kubectl(dir, ['apply', '-f', '-'], { input: JSON.stringify(pod) })).code, 0);
  await until('fid10 Running', 60_000, async () => (await kubectl(dir, ['get', 'pod', 'fid10', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running');
  await shOk(lab, 'w3', 'systemctl stop kubelet');
  try {
    const stoppedAt = Date.now();
    await until('w3 NotReady', 60_000, async () => (await nodeReady(dir, 'w3')) === 'Unknown');
    const notReadyAfter = Date.now() - stoppedAt;
    t.true((await kubectl(dir, ['get', 'pod', 'fid10'])).code === 0, 'the pod is still there when the node just went NotReady');
    await until('fid10 evicted', 120_000, async () => (await kubectl(dir, ['get', 'pod', 'fid10'])).stderr.includes('NotFound'));
    const evictedAfter = Date.now() - stoppedAt;
    t.log(`NotReady after ${notReadyAfter} ms, evicted after ${evictedAfter} ms`);
    // one pod of every apps DaemonSet stays on w3 (the lab's apps namespace has three since the in-cluster clients came)
    const owners = await kubectl(dir, [
      '-n',
      'apps',
      'get',
      'pods',
      '--field-selector',
      'spec.nodeName=w3',
      '-o',
      'jsonpath={range .items[*]}{.metadata.ownerReferences[0].kind}{"\\n"}{end}',
    ]);
    const daemonSets = (await kubectl(dir, ['-n', 'apps', 'get', 'daemonsets', '-o', 'name'])).stdout.trim().split('\n').filter(Boolean);
    t.true(daemonSets.length >= 2, daemonSets.join(' '));
    t.is(owners.stdout.split('\n').filter((k) => k === 'DaemonSet').length, daemonSets.length, 'DaemonSet pods are not evicted');
  } finally {
    await shOk(lab, 'w3', 'systemctl start kubelet');
    await until('w3 Ready again', 120_000, async () => (await nodeReady(dir, 'w3')) === 'True');
    await kubectl(dir, ['delete', 'pod', 'fid10', '--wait=false']);
  }
});

const HINT = 'To see the stack trace of this error execute with --v=5 or higher\n';

test.serial(
  '11. kubeadm over SSH refuses, as v1.32 does, an unknown flag, --config mixed with --certificate-key, and an endpoint where the phase takes none; nothing changes',
  async (t) => {
    if (!requireRoot(t)) return;
    const { lab, dir } = await cluster();
    const m1 = hostOf(dir, 'm1');
    const m2 = hostOf(dir, 'm2');
    const files = 'sha256sum /etc/kubernetes/manifests/* /etc/kubernetes/pki/etcd/* /etc/kubernetes/*.conf';
    const before = { m1: await shOk(lab, 'm1', files), m2: await shOk(lab, 'm2', files) };
    const secret = await kubectl(dir, [
      '-n',
      'kube-system',
      'get',
      'secret',
      'kubeadm-certs',
      '-o',
      'jsonpath={.metadata.resourceVersion}',
      '--ignore-not-found',
    ]);

    const unknown = await ssh(dir, m1, ['kubeadm', 'init', 'phase', 'certs', 'all', '--log-file', '/tmp/kubeadm.log']);
    t.is(unknown.code, 1);
    t.is(unknown.stderr, `unknown flag: --log-file\n${HINT}`);
    t.is(unknown.stdout, '');

    await shOk(
      lab,
      'm1',
      `cat > /root/fid11.yaml <<EOF
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint: {advertiseAddress: ${m1.address}}
nodeRegistration: {name: m1}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
controlPlaneEndpoint: ${ENDPOINT(lab)}
EOF`,
    );
    const key = (await ssh(dir, m1, ['kubeadm', 'certs', 'certificate-key'])).stdout.trim();
    t.regex(key, /^[0-9a-f]{64}$/);
    const mixed = await ssh(dir, m1, ['kubeadm', 'init', 'phase', 'upload-certs', '--upload-certs', '--certificate-key', key, '--config', '/root/fid11.yaml']);
    t.is(mixed.code, 1);
    t.is(mixed.stderr, `can not mix '--config' with arguments [certificate-key]\n${HINT}`);
    t.is(mixed.stdout, '', 'nothing uploaded, nothing printed');

    const endpoint = await ssh(dir, m2, ['kubeadm', 'join', 'phase', 'control-plane-join', 'all', ENDPOINT(lab), '--control-plane', '--node-name', 'm2']);
    t.is(endpoint.code, 1);
    t.is(endpoint.stderr, `unknown command "${ENDPOINT(lab)}" for "kubeadm join phase control-plane-join all"\n${HINT}`);
    const discovery = await ssh(dir, m2, ['kubeadm', 'join', 'phase', 'control-plane-join', 'all', '--control-plane', '--token', 'abcdef.0123456789abcdef']);
    t.is(discovery.stderr, `unknown flag: --token\n${HINT}`, 'control-plane-join takes no discovery flag');

    t.is(await shOk(lab, 'm1', files), before.m1, 'no file of m1 changed');
    t.is(await shOk(lab, 'm2', files), before.m2, 'no file of m2 changed');
    const after = await kubectl(dir, [
      '-n',
      'kube-system',
      'get',
      'secret',
      'kubeadm-certs',
      '-o',
      'jsonpath={.metadata.resourceVersion}',
      '--ignore-not-found',
    ]);
    t.is(after.stdout, secret.stdout, 'the kubeadm-certs Secret was not written');
  },
);

test.serial(
  '12. no etcdctl on a host (command -v fails over SSH), but crictl exec into the etcd container runs it with the certs at the same paths; crictl refuses an unknown flag as urfave/cli does',
  async (t) => {
    if (!requireRoot(t)) return;
    const { dir } = await cluster();
    const m1 = hostOf(dir, 'm1');
    const which = await ssh(dir, m1, ['sh', '-c', 'command -v etcdctl']);
    t.is(which.code, 127, 'command -v finds no etcdctl');
    t.is(which.stdout, '');
    const run = await ssh(dir, m1, ['etcdctl', 'version']);
    t.is(run.code, 127);
    t.regex(run.stderr, /etcdctl: (command )?not found/);

    const id = (await ssh(dir, m1, ['crictl', 'ps', '-q', '--name', '^etcd$', '--label', 'io.kubernetes.pod.namespace=kube-system'])).stdout.trim();
    t.regex(id, /^[0-9a-f]{64}$/, 'exactly one etcd container');
    const pki = '/etc/kubernetes/pki/etcd';
    const health = await ssh(dir, m1, [
      'crictl',
      'exec',
      id,
      'etcdctl',
      '--endpoints=https://127.0.0.1:2379',
      `--cacert=${pki}/ca.crt`,
      `--cert=${pki}/healthcheck-client.crt`,
      `--key=${pki}/healthcheck-client.key`,
      'endpoint',
      'health',
    ]);
    t.is(health.code, 0, health.stderr);
    t.regex(health.stdout + health.stderr, /https:\/\/127\.0\.0\.1:2379 is healthy: successfully committed proposal/);
    const noCert = await ssh(dir, m1, ['crictl', 'exec', id, 'etcdctl', '--endpoints=https://127.0.0.1:2379', '--command-timeout=3s', 'endpoint', 'health']);
    t.is(noCert.code, 1, 'a failing command makes crictl exit 1');
    t.regex(noCert.stderr, new RegExp(`level=fatal msg="execing command in container ${id}: command terminated with exit code 1"`));
    const ls = await ssh(dir, m1, ['crictl', 'exec', id, 'ls', '/']);
    t.is(ls.code, 1, 'the etcd image has no ls');
    t.regex(ls.stderr, /exec: \\"ls\\": executable file not found in \$PATH/);

    const bad = await ssh(dir, m1, ['crictl', 'ps', '--nope']);
    t.is(bad.code, 1);
    t.true(bad.stdout.startsWith('Incorrect Usage: flag provided but not defined: -nope\n\n'), bad.stdout);
    t.regex(bad.stderr, /^time="[^"]+" level=fatal msg="flag provided but not defined: -nope"\n$/);
    const flagAfterId = await ssh(dir, m1, ['crictl', 'rm', id.slice(0, 13), '-f']);
    t.is(flagAfterId.code, 1, 'a flag after the id is an id (Go flag stops at the first argument): the running container is not removed');
    t.regex(flagAfterId.stderr, /container is still running|removing container "-f"/);
    t.is((await ssh(dir, m1, ['crictl', 'ps', '-q', '--name', '^etcd$'])).stdout.trim(), id, 'etcd still runs');
  },
);
