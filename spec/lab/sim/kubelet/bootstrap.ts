/**
 * The kubelet's client credentials, as bootstrap.LoadClientCert does: use kubelet.conf while its
 * client cert is valid; otherwise TLS-bootstrap with the token in bootstrap-kubelet.conf (CSR
 * `node-csr-<digest>` for system:node:<name>, wait for the signed cert, write
 * kubelet-client-<time>.pem + the kubelet-client-current.pem symlink and a kubelet.conf pointing at it).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import YAML from 'yaml';
import { registerSecret } from '../../../../lib/shell/secret.js';
import { KubeClient, type KubeCreds, loadKubeconfig } from '../kubeclient.js';
import { paths } from '../paths.js';
import { certFileStamp, certValidNow, csrUsages, makeCSR, newKey } from './certs.js';
import * as log from './log.js';

/** Where the kubelet keeps its credentials. */
export interface CredPaths {
  kubeconfig: string;
  bootstrapKubeconfig: string;
  certDir: string;
}

function readKubeconfig(path: string): KubeCreds | undefined {
  try {
    return loadKubeconfig(path);
  } catch {
    return undefined;
  }
}

/** Whether kubelet.conf exists and its client cert is valid now (bootstrap's isClientConfigStillValid). */
export function clientConfigValid(path: string): boolean {
  const c = readKubeconfig(path);
  return !!c && (!!c.token || certValidNow(c.cert));
}

/** The kubeconfig the kubelet's bootstrap writes (real layout and names). */
export function renderKubeletConf(server: string, caPem: Buffer | undefined, certFile: string): string {
  const cluster: Record<string, unknown> = { server };
  if (caPem) cluster['certificate-authority-data'] = caPem.toString('base64');
  return YAML.stringify({
    apiVersion: 'v1',
    clusters: [{ cluster, name: 'default-cluster' }],
    contexts: [{ context: { cluster: 'default-cluster', namespace: 'default', user: 'default-auth' }, name: 'default-context' }],
    'current-context': 'default-context',
    kind: 'Config',
    preferences: {},
    users: [{ name: 'default-auth', user: { 'client-certificate': certFile, 'client-key': certFile } }],
  });
}

/** Write `<prefix>-<time>.pem` (cert + key, 0600) and point `<prefix>-current.pem` at it. */
export function storeCert(certDir: string, prefix: string, certPem: string, keyPem: string): string {
  mkdirSync(certDir, { recursive: true });
  const file = join(certDir, `${prefix}-${certFileStamp()}.pem`);
  writeFileSync(file, certPem.trimEnd() + '\n' + keyPem.trimEnd() + '\n', { mode: 0o600 });
  const current = join(certDir, `${prefix}-current.pem`);
  const tmp = `${current}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  symlinkSync(file, tmp);
  renameSync(tmp, current);
  return current;
}

function digestedName(publicKeyDer: Buffer, cn: string, orgs: string[], usages: string[]): string {
  const h = createHash('sha512');
  const write = (s: Buffer | string) => {
    const b = Buffer.isBuffer(s) ? s : Buffer.from(s);
    h.update(`${b.length}:`).update(b);
  };
  write(publicKeyDer);
  write(cn);
  for (const o of orgs) write(o);
  for (const u of usages) write(u);
  return 'node-csr-' + h.digest('base64url').slice(0, 43);
}

/** Post a CSR and wait until it is signed; throws when denied or failed. `what` names it in errors. */
export async function requestCertificate(
  client: KubeClient,
  csr: { name?: string; generateName?: string; pem: string; signerName: string; usages: string[] },
  pollMs: number,
  shouldStop: () => boolean,
): Promise<string> {
  const body = {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: csr.name ? { name: csr.name } : { generateName: csr.generateName },
    spec: { request: Buffer.from(csr.pem).toString('base64'), signerName: csr.signerName, usages: csr.usages },
  };
  const res = await client.post('/apis/certificates.k8s.io/v1/certificatesigningrequests', body);
  if (res.status !== 201 && res.status !== 200 && !(res.status === 409 && csr.name)) {
    throw new Error(`cannot create certificate signing request: ${res.status} ${res.body?.message ?? res.text.slice(0, 200)}`);
  }
  const name = res.body?.metadata?.name ?? csr.name;
  let lastLog = 0;
  while (!shouldStop()) {
    const got = await client.get(`/apis/certificates.k8s.io/v1/certificatesigningrequests/${name}`);
    if (got.status === 200) {
      const conds: any[] = got.body?.status?.conditions ?? [];
      const denied = conds.find((c) => c.type === 'Denied' && c.status !== 'False');
      if (denied) throw new Error(`certificate request was denied: ${name}: ${denied.reason ?? ''} ${denied.message ?? ''}`.trim());
      const failed = conds.find((c) => c.type === 'Failed' && c.status !== 'False');
      if (failed) throw new Error(`certificate request failed: ${name}: ${failed.reason ?? ''} ${failed.message ?? ''}`.trim());
      if (got.body?.status?.certificate) return Buffer.from(got.body.status.certificate, 'base64').toString('utf8');
    } else if (got.status === 404) {
      throw new Error(`certificate signing request ${name} was deleted before it was signed`);
    }
    if (Date.now() - lastLog > 30_000) {
      log.info('csr.go:261', 'Waiting for certificate signing request to be approved and issued', { csr: name, signerName: csr.signerName });
      lastLog = Date.now();
    }
    await sleep(pollMs);
  }
  throw new Error(`waiting for certificate ${name}: kubelet stopping`);
}

/**
 * Make sure kubelet.conf holds usable client credentials, bootstrapping when it does not.
 * Throws the real kubelet's error when neither kubelet.conf nor the bootstrap kubeconfig works.
 */
export async function loadClientCert(p: CredPaths, node: string, shouldStop: () => boolean): Promise<void> {
  if (clientConfigValid(p.kubeconfig)) return;
  if (existsSync(p.kubeconfig))
    log.info('bootstrap.go:101', 'Kubeconfig exists but its client certificate is expired or missing, using the bootstrap kubeconfig', { path: p.kubeconfig });
  if (!p.bootstrapKubeconfig || !existsSync(p.bootstrapKubeconfig)) {
    throw new Error(`failed to run Kubelet: unable to load bootstrap kubeconfig: stat ${p.bootstrapKubeconfig}: no such file or directory`);
  }
  const boot = readKubeconfig(p.bootstrapKubeconfig);
  if (!boot) throw new Error(`failed to run Kubelet: unable to load bootstrap kubeconfig: invalid configuration: ${p.bootstrapKubeconfig}`);
  if (boot.token) registerSecret(boot.token, 'bootstrap-token');
  log.info('bootstrap.go:116', 'Using bootstrap kubeconfig to generate TLS client cert, key and kubeconfig file');
  const key = await newKey();
  const cn = `system:node:${node}`;
  const orgs = ['system:nodes'];
  const usages = csrUsages(key, 'client auth');
  const pem = await makeCSR(key, cn, orgs);
  const spki = Buffer.from(await crypto.subtle.exportKey('spki', key.keys.publicKey));
  const client = new KubeClient(boot);
  let certPem: string;
  try {
    certPem = await requestCertificate(
      client,
      { name: digestedName(spki, cn, orgs, usages), pem, signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages },
      1000,
      shouldStop,
    );
  } catch (e) {
    throw new Error(`failed to run Kubelet: unable to load bootstrap kubeconfig: ${log.errMsg(e)}`);
  } finally {
    client.close();
  }
  const current = storeCert(p.certDir, 'kubelet-client', certPem, key.pem);
  const conf = renderKubeletConf(boot.server, boot.ca, current);
  mkdirSync(join(p.kubeconfig, '..'), { recursive: true });
  writeFileSync(p.kubeconfig, conf, { mode: 0o600 });
  log.info('bootstrap.go:178', 'Wrote kubeconfig with the bootstrapped client certificate', { path: p.kubeconfig });
  rmSync(p.bootstrapKubeconfig, { force: true });
}

/** Default credential paths (the systemd drop-in's flags), overridden by the kubelet's flags. */
export function credPaths(kubeconfig?: string, bootstrap?: string): CredPaths {
  return { kubeconfig: kubeconfig || paths.kubeletConf, bootstrapKubeconfig: bootstrap || paths.bootstrapKubeletConf, certDir: paths.kubeletPki };
}

/**
 * With rotateCertificates, a kubelet.conf carrying its client cert inline (as kubeadm writes it on
 * control-plane nodes) seeds the cert store: the real certificate manager writes it to
 * kubelet-client-<time>.pem and points kubelet-client-current.pem at it (what kubeadm's
 * kubelet-finalize phase then switches kubelet.conf to). Does nothing when the store has a valid cert.
 */
export function seedCertStore(p: CredPaths): void {
  const current = join(p.certDir, 'kubelet-client-current.pem');
  if (existsSync(current) && certValidNow(readFileSync(current))) return;
  let user: any;
  try {
    const doc = YAML.parse(readFileSync(p.kubeconfig, 'utf8'));
    const ctx = doc.contexts?.find((c: any) => c.name === doc['current-context'])?.context ?? doc.contexts?.[0]?.context;
    user = doc.users?.find((u: any) => u.name === ctx?.user)?.user ?? doc.users?.[0]?.user;
  } catch {
    return;
  }
  if (!user?.['client-certificate-data'] || !user?.['client-key-data']) return;
  const cert = Buffer.from(user['client-certificate-data'], 'base64').toString('utf8');
  const key = Buffer.from(user['client-key-data'], 'base64').toString('utf8');
  if (!certValidNow(cert)) return;
  storeCert(p.certDir, 'kubelet-client', cert, key);
  log.info('certificate_store.go:130', 'Loading cert/key pair from the kubeconfig into the certificate store', { path: current });
}
