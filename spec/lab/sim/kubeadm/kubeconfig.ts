/**
 * The `kubeconfig` phase: admin.conf, super-admin.conf, kubelet.conf, controller-manager.conf and
 * scheduler.conf with certs signed by the cluster CA; an existing file is kept unless its CA differs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pki from '../pki.js';
import { paths } from '../paths.js';
import { type Config, controlPlaneURL, localURL, parseDuration } from './config.js';
import { say, warn } from './out.js';

/** One kubeconfig file kubeadm writes. */
export interface KubeconfigSpec {
  name: string;
  file: string;
  user: (c: Config) => string;
  orgs: string[];
  /** Which API server URL it uses. */
  server: (c: Config) => string;
}

/** The kubeconfig files of `kubeconfig all`, in order. */
export const KUBECONFIGS: KubeconfigSpec[] = [
  { name: 'admin', file: 'admin.conf', user: () => 'kubernetes-admin', orgs: ['kubeadm:cluster-admins'], server: controlPlaneURL },
  { name: 'super-admin', file: 'super-admin.conf', user: () => 'kubernetes-super-admin', orgs: ['system:masters'], server: controlPlaneURL },
  { name: 'kubelet', file: 'kubelet.conf', user: (c) => `system:node:${c.nodeName}`, orgs: ['system:nodes'], server: controlPlaneURL },
  { name: 'controller-manager', file: 'controller-manager.conf', user: () => 'system:kube-controller-manager', orgs: [], server: localURL },
  { name: 'scheduler', file: 'scheduler.conf', user: () => 'system:kube-scheduler', orgs: [], server: localURL },
];

/** Load the cluster CA (cert and key) or fail with kubeadm's message. */
export function loadCA(c: Config): pki.CA {
  const crt = join(c.certDir, 'ca.crt');
  const key = join(c.certDir, 'ca.key');
  if (!existsSync(crt))
    throw new Error(
      `couldn't create a kubeconfig; the CA files couldn't be loaded: failed to load certificate: couldn't load the certificate file ${crt}: open ${crt}: no such file or directory`,
    );
  if (!existsSync(key))
    throw new Error(
      `couldn't create a kubeconfig; the CA files couldn't be loaded: failed to load key: couldn't load the private key file ${key}: open ${key}: no such file or directory`,
    );
  return { certPem: readFileSync(crt, 'utf8'), keyPem: readFileSync(key, 'utf8') };
}

/** kubeadm's validateKubeConfig: an existing file must carry the same CA; a different server only warns. */
export function validateExisting(path: string, caPem: string, server: string): void {
  const cur = pki.parseKubeconfig(readFileSync(path, 'utf8'));
  if ((cur.caPem ?? '').trim() !== caPem.trim()) {
    throw new Error(`a kubeconfig file "${displayPath(path)}" exists already but has got the wrong CA cert`);
  }
  if (cur.server !== server) {
    warn(
      `a kubeconfig file "${displayPath(path)}" exists already but has an unexpected API Server URL: expected: ${server}, got: ${cur.server}`,
      'kubeconfig.go:322',
    );
  }
}

/** The path as kubeadm names it on a node (LAB_ROOT stripped). */
export function displayPath(path: string): string {
  const root = process.env.LAB_ROOT;
  if (root && root !== '/' && path.startsWith(root)) return '/' + path.slice(root.length).replace(/^\/+/, '');
  return path;
}

/** Make one kubeconfig text signed by the CA (a fresh key and client cert). */
export async function makeKubeconfig(c: Config, ca: pki.CA, user: string, orgs: string[], server: string, validityMs?: number): Promise<string> {
  const key = await pki.newKey(c.cluster.encryptionAlgorithm);
  const nb = Date.now() - pki.BACKDATE_MS;
  const certPem = await pki.signCert({
    ca,
    key,
    cn: user,
    orgs,
    usages: ['client'],
    notBefore: new Date(nb),
    notAfter: new Date(nb + (validityMs ?? parseDuration(c.cluster.certificateValidityPeriod))),
  });
  return pki.renderKubeconfig({ server, caPem: ca.certPem, clusterName: c.cluster.clusterName, user, certPem, keyPem: key.keyPem });
}

/** Run one `kubeconfig <name>` sub-phase. */
export async function runKubeconfigPhase(c: Config, name: string): Promise<void> {
  const spec = KUBECONFIGS.find((k) => k.name === name);
  if (!spec) throw new Error(`unknown kubeconfig ${name}`);
  const ca = loadCA(c);
  const path = join(paths.kubernetes, spec.file);
  const server = spec.server(c);
  if (existsSync(path)) {
    validateExisting(path, ca.certPem, server);
    say(`[kubeconfig] Using existing kubeconfig file: "${displayPath(path)}"`);
    return;
  }
  say(`[kubeconfig] Writing "${spec.file}" kubeconfig file`);
  pki.writeSecretFile(path, await makeKubeconfig(c, ca, spec.user(c), spec.orgs, server));
}

/** Run `kubeconfig all` (all five files). */
export async function runKubeconfigAll(c: Config, names = KUBECONFIGS.map((k) => k.name), skip: (p: string) => boolean = () => false): Promise<void> {
  say(`[kubeconfig] Using kubeconfig folder "/etc/kubernetes"`);
  for (const n of names) {
    if (skip(`kubeconfig/${n}`)) continue;
    await runKubeconfigPhase(c, n);
  }
}
