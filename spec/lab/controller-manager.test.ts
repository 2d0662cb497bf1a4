/**
 * Fidelity tests of the lab's simulated kube-controller-manager and kube-scheduler: the real etcd
 * and the simulated apiserver on 127.0.0.1 (spec/lab/controlplane), the compiled components as
 * processes with kubeadm's flags, real kubectl as the witness. Needs `npm run build` first.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { createHmac, createPublicKey, verify as verifySig } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ControlPlane, type Proc, LAB_BIN, SIM_DIST, startControlPlane, startProc, writeClientKubeconfig, writeTokenKubeconfig } from './controlplane/index.js';
import { createCSR, newCA, newKey, readCertInfo, verifyChain } from './sim/pki.js';
import { KubeClient } from './sim/kubeclient.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let cp: ControlPlane;
let admin: KubeClient;
const procs: Proc[] = [];

/** Run real kubectl as the admin; resolves with stdout, rejects with stderr in the message. */
async function kubectl(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('/usr/bin/kubectl', ['--kubeconfig', cp.adminConf, ...args], { timeout: 30_000 });
    return stdout;
  } catch (e: any) {
    throw new Error(`kubectl ${args.join(' ')}: ${e.stderr || e.message}`);
  }
}

/** Poll `fn` until it returns a truthy value. */
async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

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
  const p = startProc(join(LAB_BIN, 'kube-scheduler'), [`--authentication-kubeconfig=${conf}`, `--authorization-kubeconfig=${conf}`, '--bind-address=127.0.0.1', `--kubeconfig=${conf}`, '--leader-elect=true'], join(cp.dir, `log/sched.${++kcmCount}.log`));
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
async function postCSR(client: KubeClient, name: string, o: { cn: string; orgs?: string[]; dns?: string[]; ips?: string[]; signer: string; usages: string[]; expirationSeconds?: number }): Promise<string> {
  const key = await newKey();
  const pem = await createCSR({ key, cn: o.cn, orgs: o.orgs, dnsNames: o.dns, ips: o.ips });
  const res = await client.post(CSRS, {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name },
    spec: { request: Buffer.from(pem).toString('base64'), signerName: o.signer, usages: o.usages, ...(o.expirationSeconds ? { expirationSeconds: o.expirationSeconds } : {}) },
  });
  if (res.status !== 201) throw new Error(`create csr ${name}: ${res.status} ${res.text}`);
  return name;
}

/** Approve a CSR over REST as an admin would (the approval subresource). */
async function approve(name: string): Promise<void> {
  const cur = await admin.get(`${CSRS}/${name}`);
  const cond = { type: 'Approved', status: 'True', reason: 'AdminApproval', message: 'approved by the test' };
  const res = await admin.put(`${CSRS}/${name}/approval`, { ...cur.body, status: { ...cur.body.status, conditions: [...(cur.body.status?.conditions ?? []), cond] } });
  if (res.status !== 200) throw new Error(`approve csr ${name}: ${res.status} ${res.text}`);
}

/** Wait until a CSR has a certificate; returns its PEM. */
function issued(name: string, timeoutMs = 15_000): Promise<string> {
  return waitFor(`certificate of csr ${name}`, async () => {
    const r = await admin.get(`${CSRS}/${name}`);
    const c = r.body?.status?.certificate;
    return c ? Buffer.from(c, 'base64').toString('utf8') : undefined;
  }, timeoutMs);
}

test.before(async () => {
  for (const c of ['apiserver', 'controller-manager', 'scheduler']) {
    const main = join(SIM_DIST, `spec/lab/sim/${c}/main.js`);
    if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  }
  cp = await startControlPlane();
  admin = KubeClient.fromFile(cp.adminConf);
});

test.after.always(async () => {
  for (const p of procs) await p.stop();
  admin?.close();
  await cp?.stop();
});

test.serial('csrsigning signs with the CA it loaded at start, even after the files change; a restart picks up the new CA', async (t) => {
  const kdir = join(cp.dir, 'kcm-a');
  mkdirSync(kdir, { recursive: true });
  for (const f of ['ca.crt', 'ca.key', 'sa.key', 'front-proxy-ca.crt']) copyFileSync(join(cp.pki, f), join(kdir, f));
  const caA = cp.cas.ca;
  const kcm = startKcm(kcmFlags({ pki: kdir }));
  const client = (n: string) => postCSR(admin, n, { cn: `user-${n}`, orgs: ['team'], signer: 'kubernetes.io/kube-apiserver-client', usages: ['digital signature', 'key encipherment', 'client auth'], expirationSeconds: 3600 });

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
