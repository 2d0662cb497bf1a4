/**
 * Witnesses for the renew-certs lab test, independent of the playbook's own reading: the
 * certificates on a master (node:crypto), the certificate a live server presents (TLS), and a
 * background poller of every apiserver's /readyz.
 */
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import tls from 'node:tls';
import YAML from 'yaml';
import type { Lab } from '../helpers/lab.js';
import { loadKubeconfig } from '../lab/sim/kubeclient.js';

/** The CAs kubeadm must keep and every cert and kubeconfig it renews on a stacked-etcd master. */
export const CA_FILES = ['ca', 'front-proxy-ca', 'etcd/ca'].map((b) => `/etc/kubernetes/pki/${b}.crt`);
export const LEAF_FILES = [
  ...['apiserver', 'apiserver-kubelet-client', 'apiserver-etcd-client', 'front-proxy-client', 'etcd/server', 'etcd/peer', 'etcd/healthcheck-client'].map(
    (b) => `/etc/kubernetes/pki/${b}.crt`,
  ),
  ...['admin.conf', 'super-admin.conf', 'controller-manager.conf', 'scheduler.conf'].map((f) => `/etc/kubernetes/${f}`),
];

/** One certificate seen by the witness. */
export interface Seen {
  serial: string;
  notAfter: number;
  fingerprint: string;
}

/** path -> certificate, for every CA and leaf present on `host` (kubeconfigs: their embedded client cert). */
export async function certsOn(lab: Lab, host: string): Promise<Map<string, Seen>> {
  const files = [...CA_FILES, ...LEAF_FILES];
  const r = await lab.exec(host, ['sh', '-c', 'for f in "$@"; do [ -f "$f" ] && { echo "@@@ $f"; cat "$f"; }; done; exit 0', 'sh', ...files]);
  if (r.code !== 0) throw new Error(`read certs on ${host}: exit ${r.code}: ${r.stderr}`);
  const out = new Map<string, Seen>();
  for (const part of r.stdout.split('@@@ ').slice(1)) {
    const nl = part.indexOf('\n');
    const path = part.slice(0, nl);
    const text = part.slice(nl + 1);
    const pem = path.endsWith('.conf') ? Buffer.from(YAML.parse(text).users[0].user['client-certificate-data'], 'base64').toString() : text;
    const x = new X509Certificate(pem);
    out.set(path, { serial: x.serialNumber.toUpperCase(), notAfter: Date.parse(x.validTo), fingerprint: x.fingerprint256 });
  }
  return out;
}

/** The serial of the certificate a TLS server presents (what the running process loaded). */
export function servedSerial(host: string, port: number, creds?: { cert: Buffer; key: Buffer }): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host, port, rejectUnauthorized: false, ...creds, timeout: 5000 }, () => {
      const serial = s.getPeerCertificate().serialNumber;
      s.end();
      resolve(serial.toUpperCase());
    });
    s.on('error', reject);
    s.on('timeout', () => s.destroy(new Error(`tls ${host}:${port}: timeout`)));
  });
}

/** One poll of every apiserver: which answered /readyz 200. */
export interface Tick {
  at: number;
  ok: string[];
  failed: Record<string, string>;
}

/** GET /readyz on `addr`:6443 with the kubeconfig's client cert; resolves with '' on 200, else why not. */
function readyz(addr: string, creds: ReturnType<typeof loadKubeconfig>): Promise<string> {
  return new Promise((resolve) => {
    const req = https.get({ host: addr, port: 6443, path: '/readyz', ca: creds.ca, cert: creds.cert, key: creds.key, timeout: 4000, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? '' : `HTTP ${res.statusCode}`));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve(e.message));
  });
}

/** Poll every master's apiserver once a second until stop() (which returns the ticks). */
export function pollApiservers(kubeconfig: string, masters: Array<{ name: string; address: string }>): { stop(): Promise<Tick[]> } {
  const creds = loadKubeconfig(kubeconfig);
  const ticks: Tick[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      const res = await Promise.all(masters.map(async (m) => [m.name, await readyz(m.address, creds)] as const));
      ticks.push({ at, ok: res.filter(([, e]) => !e).map(([n]) => n), failed: Object.fromEntries(res.filter(([, e]) => e)) });
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - at))));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return ticks;
    },
  };
}
