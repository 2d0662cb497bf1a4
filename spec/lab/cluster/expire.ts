/**
 * Runs ON a lab master (node /opt/kubemend/dist-lab/spec/lab/cluster/expire.js, started over ssh by
 * `break expired`): re-issues every leaf cert of /etc/kubernetes/pki and the client certs embedded
 * in the control-plane kubeconfigs with the same key, subject, SANs and usages, signed by the same
 * CA, but with dates in the past. CA keys never leave the host.
 */
import 'reflect-metadata';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import * as pki from '../sim/pki.js';

const PKI = '/etc/kubernetes/pki';
const KUBECONFIGS = ['admin.conf', 'super-admin.conf', 'controller-manager.conf', 'scheduler.conf'];
const DAY = 24 * 3600_000;

/** Usages of a cert, read from its extended key usage extension. */
function usagesOf(pem: string): pki.Usage[] {
  const eku = new x509.X509Certificate(pki.firstCert(pem)).getExtension(x509.ExtendedKeyUsageExtension);
  const u: pki.Usage[] = [];
  const list = (eku?.usages ?? []).map(String);
  if (list.includes(x509.ExtendedKeyUsage.serverAuth)) u.push('server');
  if (list.includes(x509.ExtendedKeyUsage.clientAuth)) u.push('client');
  return u;
}

/** The same cert, re-signed by `ca`, valid from 400 days ago until 30 days ago. */
async function backdate(certPem: string, ca: pki.CA): Promise<string> {
  const info = pki.readCertInfo(certPem);
  const pub = new x509.X509Certificate(pki.firstCert(certPem)).publicKey.toString('pem');
  const now = Date.now();
  return pki.signCert({
    ca,
    publicKey: pub,
    cn: info.cn,
    orgs: info.orgs,
    dnsNames: info.dnsNames,
    ips: info.ips,
    usages: usagesOf(certPem),
    notBefore: new Date(now - 400 * DAY),
    notAfter: new Date(now - 30 * DAY),
  });
}

/** Which CA (relative name) signed a leaf of the pki folder. */
function caFor(rel: string): string {
  if (rel.startsWith('etcd/') || rel === 'apiserver-etcd-client.crt') return 'etcd/ca';
  if (rel.startsWith('front-proxy')) return 'front-proxy-ca';
  return 'ca';
}

async function main(): Promise<void> {
  const done: string[] = [];
  for (const rel of ['', 'etcd/'].flatMap((d) =>
    existsSync(join(PKI, d))
      ? readdirSync(join(PKI, d))
          .filter((f) => f.endsWith('.crt'))
          .map((f) => d + f)
      : [],
  )) {
    if (/(^|\/)(ca|front-proxy-ca)\.crt$/.test(rel)) continue;
    const caName = caFor(rel);
    const ca = pki.readKeyPair(PKI, caName);
    if (!ca) throw new Error(`expire ${rel}: CA ${caName} not found in ${PKI}`);
    const path = join(PKI, rel);
    pki.writePublicFile(path, await backdate(readFileSync(path, 'utf8'), ca));
    done.push(path);
  }
  const ca = pki.readKeyPair(PKI, 'ca');
  for (const f of KUBECONFIGS) {
    const path = join('/etc/kubernetes', f);
    if (!ca || !existsSync(path)) continue;
    const text = readFileSync(path, 'utf8');
    const kc = pki.parseKubeconfig(text);
    if (!kc.certPem) continue;
    const b64 = Buffer.from(await backdate(kc.certPem, ca)).toString('base64');
    pki.writeSecretFile(path, text.replace(/(client-certificate-data: )\S+/, `$1${b64}`));
    done.push(path);
  }
  process.stdout.write(done.join('\n') + '\n');
}

main().catch((e: Error) => {
  process.stderr.write(`expire: ${e.message}\n`);
  process.exit(1);
});
