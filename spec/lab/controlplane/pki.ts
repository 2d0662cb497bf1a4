/**
 * Test PKI for a local control plane, in kubeadm's layout under `<dir>/etc/kubernetes/pki`,
 * made with the lab's pki library (so the certs are the ones kubeadm would make).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type CA, newCA, newKey, signCert, writeKeyPair, writePublicFile, writeSecretFile, renderKubeconfig } from '../sim/pki.js';

/** The CAs of one cluster generation. */
export interface ClusterCAs {
  ca: CA;
  frontProxyCa: CA;
  etcdCa: CA;
  sa: { keyPem: string; publicKeyPem: string };
}

/** Make fresh CAs and a service-account key pair. */
export async function newClusterCAs(): Promise<ClusterCAs> {
  const [ca, frontProxyCa, etcdCa, sa] = await Promise.all([newCA('kubernetes'), newCA('front-proxy-ca'), newCA('etcd-ca'), newKey()]);
  return { ca, frontProxyCa, etcdCa, sa };
}

/** A client cert + key signed by `ca` for user `cn` in groups `orgs`. */
export async function clientCert(ca: CA, cn: string, orgs: string[] = [], opts: { notBefore?: Date; notAfter?: Date } = {}) {
  const key = await newKey();
  const certPem = await signCert({ ca, key, cn, orgs, usages: ['client'], ...opts });
  return { certPem, keyPem: key.keyPem };
}

/** Write a kubeconfig with an embedded client cert for `cn`/`orgs`, signed by `ca`, trusting `serverCa`. */
export async function writeClientKubeconfig(
  path: string,
  o: { server: string; serverCa: CA; ca: CA; cn: string; orgs?: string[]; notBefore?: Date; notAfter?: Date },
): Promise<string> {
  const c = await clientCert(o.ca, o.cn, o.orgs ?? [], o);
  writeSecretFile(path, renderKubeconfig({ server: o.server, caPem: o.serverCa.certPem, user: o.cn, certPem: c.certPem, keyPem: c.keyPem }));
  return path;
}

/** Write a kubeconfig with a bearer token. */
export function writeTokenKubeconfig(path: string, o: { server: string; serverCa: CA; user: string; token: string }): string {
  writeSecretFile(path, renderKubeconfig({ server: o.server, caPem: o.serverCa.certPem, user: o.user, token: o.token }));
  return path;
}

/** Write the whole kubeadm PKI for a control plane on 127.0.0.1 into `<root>/etc/kubernetes/pki`. */
export async function writeControlPlanePki(root: string, cas: ClusterCAs): Promise<string> {
  const pki = join(root, 'etc/kubernetes/pki');
  mkdirSync(join(pki, 'etcd'), { recursive: true });
  writeKeyPair(pki, 'ca', cas.ca.certPem, cas.ca.keyPem);
  writeKeyPair(pki, 'front-proxy-ca', cas.frontProxyCa.certPem, cas.frontProxyCa.keyPem);
  writeKeyPair(join(pki, 'etcd'), 'ca', cas.etcdCa.certPem, cas.etcdCa.keyPem);
  writeSecretFile(join(pki, 'sa.key'), cas.sa.keyPem);
  writePublicFile(join(pki, 'sa.pub'), cas.sa.publicKeyPem);
  const leaf = async (
    dir: string,
    name: string,
    ca: CA,
    cn: string,
    usages: ('server' | 'client')[],
    extra: { orgs?: string[]; dns?: string[]; ips?: string[] } = {},
  ) => {
    const key = await newKey();
    const cert = await signCert({ ca, key, cn, orgs: extra.orgs, dnsNames: extra.dns, ips: extra.ips, usages });
    writeKeyPair(dir, name, cert, key.keyPem);
  };
  await Promise.all([
    leaf(pki, 'apiserver', cas.ca, 'kube-apiserver', ['server'], {
      dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
      ips: ['10.96.0.1', '127.0.0.1'],
    }),
    leaf(pki, 'apiserver-kubelet-client', cas.ca, 'kube-apiserver-kubelet-client', ['client'], { orgs: ['kubeadm:cluster-admins'] }),
    leaf(pki, 'front-proxy-client', cas.frontProxyCa, 'front-proxy-client', ['client']),
    leaf(pki, 'apiserver-etcd-client', cas.etcdCa, 'kube-apiserver-etcd-client', ['client']),
    leaf(join(pki, 'etcd'), 'server', cas.etcdCa, 'localhost', ['server', 'client'], { dns: ['localhost'], ips: ['127.0.0.1'] }),
    leaf(join(pki, 'etcd'), 'peer', cas.etcdCa, 'localhost', ['server', 'client'], { dns: ['localhost'], ips: ['127.0.0.1'] }),
    leaf(join(pki, 'etcd'), 'healthcheck-client', cas.etcdCa, 'kube-etcd-healthcheck-client', ['client']),
  ]);
  return pki;
}
