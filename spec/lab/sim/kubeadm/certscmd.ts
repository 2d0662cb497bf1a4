/** `kubeadm certs check-expiration|renew|certificate-key`, with kubeadm's output. */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pki from '../pki.js';
import { paths } from '../paths.js';
import { CERTS } from './certs.js';
import type { Config } from './config.js';
import { KUBECONFIGS } from './kubeconfig.js';
import { say } from './out.js';
import { humanDuration } from './tokens.js';

/** Where the ClusterConfiguration came from (`--config`, the kubeadm-config ConfigMap, or defaults). */
export type ConfigSource = 'file' | 'cluster' | 'defaults';

/** One renewable item: a cert file or a kubeconfig with an embedded cert. */
interface Item {
  name: string;
  kind: 'cert' | 'kubeconfig';
  ca: string;
  path: string;
  keyPath?: string;
  long: string;
}

const LONG: Record<string, string> = {
  'admin.conf': 'certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself',
  apiserver: 'certificate for serving the Kubernetes API',
  'apiserver-etcd-client': 'certificate the apiserver uses to access etcd',
  'apiserver-kubelet-client': 'certificate for the API server to connect to kubelet',
  'controller-manager.conf': 'certificate embedded in the kubeconfig file for the controller manager to use',
  'etcd-healthcheck-client': 'certificate for liveness probes to healthcheck etcd',
  'etcd-peer': 'certificate for etcd nodes to communicate with each other',
  'etcd-server': 'certificate for serving etcd',
  'front-proxy-client': 'certificate for the front proxy client',
  'scheduler.conf': 'certificate embedded in the kubeconfig file for the scheduler manager to use',
  'super-admin.conf': 'certificate embedded in the kubeconfig file for the super-admin',
};

/** Every renewable item, sorted by name as kubeadm lists them. */
export function items(c: Config): Item[] {
  const out: Item[] = [];
  for (const s of CERTS) {
    if (!s.caName) continue;
    out.push({
      name: s.name,
      kind: 'cert',
      ca: s.caName,
      path: join(c.certDir, `${s.baseName}.crt`),
      keyPath: join(c.certDir, `${s.baseName}.key`),
      long: LONG[s.name],
    });
  }
  for (const k of KUBECONFIGS) {
    if (k.name === 'kubelet') continue;
    out.push({ name: k.file, kind: 'kubeconfig', ca: 'ca', path: join(paths.kubernetes, k.file), long: LONG[k.file] });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

function certOf(it: Item): string | undefined {
  if (!existsSync(it.path)) return undefined;
  const text = readFileSync(it.path, 'utf8');
  return it.kind === 'cert' ? text : pki.parseKubeconfig(text).certPem;
}

/** Go's time format "Jan 02, 2006 15:04 MST" in UTC. */
export function goDate(d: Date): string {
  const mon = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${mon} ${pad(d.getUTCDate())}, ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** Go's tabwriter (minwidth 10, padding 3): tab-terminated cells aligned, the last cell printed as is. */
export function tabwrite(rows: string[][]): string {
  const cols = Math.max(...rows.map((r) => r.length));
  const w = Array.from({ length: cols }, (_, i) => Math.max(10, ...rows.map((r) => (i < r.length - 1 ? r[i].length + 3 : 0))));
  return rows.map((r) => r.map((cell, i) => (i < r.length - 1 ? cell.padEnd(w[i]) : cell)).join('')).join('\n') + '\n';
}

function residual(notAfter: Date, now: number): string {
  const ms = notAfter.getTime() - now;
  return ms <= 0 ? '<invalid>' : humanDuration(ms);
}

/** Run `certs check-expiration`. */
export function checkExpiration(c: Config, source: ConfigSource): void {
  if (source === 'cluster') {
    say(`[check-expiration] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...`);
    say(`[check-expiration] Use 'kubeadm init phase upload-config --config your-config.yaml' to re-upload it.`);
  } else if (source === 'defaults') {
    say('[check-expiration] Error reading configuration from the Cluster. Falling back to default configuration');
  }
  say('');
  const now = Date.now();
  const rows: string[][] = [['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'EXTERNALLY MANAGED']];
  const missing: string[] = [];
  for (const it of items(c)) {
    const pem = certOf(it);
    if (!pem) {
      missing.push(`!MISSING! ${it.name}`);
      continue;
    }
    const info = pki.readCertInfo(pem);
    const external = !existsSync(join(c.certDir, it.ca === 'etcd-ca' ? 'etcd/ca.key' : `${it.ca}.key`));
    rows.push([it.name, goDate(info.notAfter), residual(info.notAfter, now), it.ca, (external ? 'yes' : 'no').padEnd(8)]);
  }
  process.stdout.write(tabwrite(rows));
  for (const m of missing) say(m);
  say('');
  const caRows: string[][] = [['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'EXTERNALLY MANAGED']];
  for (const [name, base] of [
    ['ca', 'ca'],
    ['etcd-ca', 'etcd/ca'],
    ['front-proxy-ca', 'front-proxy-ca'],
  ]) {
    const f = join(c.certDir, `${base}.crt`);
    if (!existsSync(f)) {
      caRows.push([`!MISSING! ${name}`]);
      continue;
    }
    const info = pki.readCertInfo(readFileSync(f, 'utf8'));
    caRows.push([name, goDate(info.notAfter), residual(info.notAfter, now), (existsSync(join(c.certDir, `${base}.key`)) ? 'no' : 'yes').padEnd(8)]);
  }
  process.stdout.write(tabwrite(caRows));
}

function caFor(c: Config, ca: string): pki.CA {
  const base = ca === 'etcd-ca' ? 'etcd/ca' : ca;
  const pair = pki.readKeyPair(c.certDir, base);
  if (!pair) throw new Error(`failed to load existing certificate ${ca}: open ${join(c.certDir, `${base}.key`)}: no such file or directory`);
  return pair;
}

async function renewOne(c: Config, it: Item): Promise<boolean> {
  const pem = certOf(it);
  if (!pem) return false;
  const ca = caFor(c, it.ca);
  const info = pki.readCertInfo(pem);
  const x = new X509Certificate(pki.firstCert(pem));
  const usages: pki.Usage[] = [];
  const eku = (x as any).keyUsage as string[] | undefined;
  if (eku?.includes('1.3.6.1.5.5.7.3.1')) usages.push('server');
  if (eku?.includes('1.3.6.1.5.5.7.3.2')) usages.push('client');
  // renewal/manager.go RenewUsingLocalCA: a new key of the cluster's encryptionAlgorithm, not the old cert's (index id 116734938)
  const key = await pki.newKey(c.cluster.encryptionAlgorithm);
  const nb = Date.now() - pki.BACKDATE_MS;
  const certPem = await pki.signCert({
    ca,
    key,
    cn: info.cn,
    orgs: info.orgs,
    dnsNames: info.dnsNames,
    ips: info.ips,
    usages,
    notBefore: new Date(nb),
    notAfter: new Date(nb + pki.LEAF_VALIDITY_MS),
  });
  if (it.kind === 'cert') {
    pki.writeKeyPair(
      join(it.path, '..'),
      it.path
        .split('/')
        .pop()!
        .replace(/\.crt$/, ''),
      certPem,
      key.keyPem,
    );
  } else {
    const kc = pki.parseKubeconfig(readFileSync(it.path, 'utf8'));
    pki.writeSecretFile(
      it.path,
      pki.renderKubeconfig({ server: kc.server, caPem: kc.caPem ?? ca.certPem, clusterName: kc.clusterName, user: kc.user, certPem, keyPem: key.keyPem }),
    );
  }
  return true;
}

/** Run `certs renew <name|all>`. */
export async function renew(c: Config, which: string, source: ConfigSource): Promise<void> {
  const all = items(c);
  const chosen = which === 'all' ? all : all.filter((i) => i.name === which);
  if (chosen.length === 0) throw new Error(`unknown command "${which}" for "kubeadm certs renew"`);
  if (source === 'cluster') {
    say(`[renew] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...`);
    say(`[renew] Use 'kubeadm init phase upload-config --config your-config.yaml' to re-upload it.`);
  } else if (source === 'defaults') {
    say('[renew] Error reading configuration from the Cluster. Falling back to default configuration');
  }
  say('');
  for (const it of chosen) {
    if (await renewOne(c, it)) say(`${it.long} renewed`);
    else say(`MISSING! ${it.long}`);
  }
  say('');
  say(
    'Done renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates.',
  );
}
