/**
 * kubeadm's copycerts: the control-plane CA files encrypted (AES-256-GCM, nonce prepended) with
 * the 32-byte certificate key into Secret `kube-system/kubeadm-certs`, owned by a 2 h bootstrap token.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Api, apiError } from './api.js';
import { generateToken, parseToken, tokenSecret } from './tokens.js';
import type { Config } from './config.js';
import { p } from '../paths.js';

/** The files kubeadm copies between control-plane nodes with a local etcd (relative to the cert dir). */
export const COPIED_FILES = ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'sa.key', 'sa.pub', 'etcd/ca.crt', 'etcd/ca.key'];

/**
 * kubeadm's certsToTransfer (cmd/kubeadm/app/phases/copycerts/copycerts.go, index id 1726393645):
 * name -> path. The cluster CA, front-proxy CA and sa keys under certificatesDir; then, with a local
 * etcd, etcd/ca.{crt,key}; with an external one the three files its config names, under the names
 * `external-etcd-ca.crt`, `external-etcd.crt`, `external-etcd.key` (so a joining master's download
 * writes them at the paths of the cluster's ClusterConfiguration, overwriting what is there).
 */
export function certsToTransfer(c: Config): Array<[string, string]> {
  const dir = c.certDir;
  const out: Array<[string, string]> = COPIED_FILES.slice(0, 6).map((f) => [f, join(dir, f)]);
  const ext = c.cluster.etcd.external;
  if (!ext) out.push(['etcd/ca.crt', join(dir, 'etcd/ca.crt')], ['etcd/ca.key', join(dir, 'etcd/ca.key')]);
  else out.push(['external-etcd-ca.crt', p(ext.caFile ?? '')], ['external-etcd.crt', p(ext.certFile ?? '')], ['external-etcd.key', p(ext.keyFile ?? '')]);
  return out;
}

/** Secret data key of a file (`etcd/ca.crt` -> `etcd-ca.crt`). */
export function secretKeyOf(file: string): string {
  return file.replace(/\//g, '-');
}

/** A new certificate key: 32 random bytes, hex (`kubeadm certs certificate-key`). */
export function newCertificateKey(): string {
  return randomBytes(32).toString('hex');
}

function decodeKey(hexKey: string): Buffer {
  if (!/^([0-9a-fA-F]{2})*$/.test(hexKey)) {
    const bad = hexKey.search(/[^0-9a-fA-F]/);
    if (bad >= 0)
      throw new Error(
        `error decoding certificate key: encoding/hex: invalid byte: U+${hexKey.charCodeAt(bad).toString(16).toUpperCase().padStart(4, '0')} '${hexKey[bad]}'`,
      );
    throw new Error('error decoding certificate key: encoding/hex: odd length hex string');
  }
  return Buffer.from(hexKey, 'hex');
}

function cipherName(key: Buffer): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  if (key.length === 16) return 'aes-128-gcm';
  if (key.length === 24) return 'aes-192-gcm';
  if (key.length === 32) return 'aes-256-gcm';
  throw new Error(`crypto/aes: invalid key size ${key.length}`);
}

/** Encrypt like kubeadm's cryptoutil.EncryptBytes: nonce (12) || ciphertext || tag (16). */
export function encryptBytes(data: Buffer, key: Buffer): Buffer {
  const nonce = randomBytes(12);
  const c = createCipheriv(cipherName(key), key, nonce);
  return Buffer.concat([nonce, c.update(data), c.final(), c.getAuthTag()]);
}

/** Decrypt like cryptoutil.DecryptBytes; a wrong key fails with Go's GCM message. */
export function decryptBytes(data: Buffer, key: Buffer): Buffer {
  const name = cipherName(key);
  if (data.length < 12 + 16) throw new Error('size of data is less than the nonce');
  const d = createDecipheriv(name, key, data.subarray(0, 12));
  d.setAuthTag(data.subarray(data.length - 16));
  try {
    return Buffer.concat([d.update(data.subarray(12, data.length - 16)), d.final()]);
  } catch {
    throw new Error('cipher: message authentication failed');
  }
}

/**
 * Build the kubeadm-certs Secret data (getDataFromDisk): every file of certsToTransfer encrypted; a
 * file that does not exist is an empty entry (as kubeadm: "this can specially happen with external
 * insecure etcd").
 */
export function encryptCertDir(c: Config, hexKey: string): Record<string, string> {
  const key = decodeKey(hexKey);
  const data: Record<string, string> = {};
  for (const [name, path] of certsToTransfer(c)) {
    data[secretKeyOf(name)] = existsSync(path) ? encryptBytes(readFileSync(path), key).toString('base64') : '';
  }
  return data;
}

/** Decrypt every non-empty entry of the kubeadm-certs Secret (getDataFromSecret): secret key -> content. */
export function decryptSecretData(data: Record<string, string>, hexKey: string): Map<string, Buffer> {
  const key = decodeKey(hexKey);
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(data)) {
    if (!v) {
      out.set(k, Buffer.alloc(0));
      continue;
    }
    try {
      out.set(k, decryptBytes(Buffer.from(v, 'base64'), key));
    } catch (e) {
      throw new Error(`error decoding secret data with provided key: ${(e as Error).message}`);
    }
  }
  return out;
}

/** kubeadm's UploadCerts: a 2 h token, the encrypted Secret owned by it, and the RBAC to read it. */
export async function uploadCerts(api: Api, c: Config, hexKey: string): Promise<void> {
  const token = generateToken();
  const { id } = parseToken(token);
  const tokSecret = await api.createOrUpdate(
    '/api/v1/namespaces/kube-system/secrets',
    tokenSecret({
      token,
      ttl: '2h0m0s',
      usages: [],
      groups: [],
      description: 'Proxy for managing TTL for the kubeadm-certs secret',
    }),
  );
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'kubeadm-certs',
      namespace: 'kube-system',
      ownerReferences: [
        { apiVersion: 'v1', kind: 'Secret', name: `bootstrap-token-${id}`, uid: tokSecret?.metadata?.uid ?? '', blockOwnerDeletion: true, controller: true },
      ],
    },
    type: 'Opaque',
    data: encryptCertDir(c, hexKey),
  };
  await api.createOrUpdate('/api/v1/namespaces/kube-system/secrets', secret);
  await api.createIfMissing('/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/roles', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'kubeadm:kubeadm-certs', namespace: 'kube-system' },
    rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['kubeadm-certs'], verbs: ['get'] }],
  });
  await api.createIfMissing('/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'kubeadm:kubeadm-certs', namespace: 'kube-system' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kubeadm:kubeadm-certs' },
    subjects: [{ kind: 'Group', name: 'system:bootstrappers:kubeadm:default-node-token' }],
  });
}

/**
 * writeCertOrKey's keyutil.WriteKey / certutil.WriteCert: `os.MkdirAll(dir, 0755)` then
 * `os.WriteFile(path, data, mode)`, which gives `mode` to a file it creates and truncates an existing
 * one in place, its mode and owner kept (an external etcd's files a joining master holds already,
 * e.g. kubespray's 0640 /etc/ssl/etcd/ssl/node-HOST.pem, stay 0640).
 */
function writeLikeGo(path: string, text: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  writeFileSync(path, text, { mode });
}

/**
 * kubeadm's DownloadCerts: fetch kubeadm-certs, decrypt with the key, write each file of
 * certsToTransfer (an entry missing from the Secret is an error, an empty one is skipped), a private
 * key 0600 and anything else 0644, as writeCertOrKey decides by the PEM's content.
 */
export async function downloadCerts(api: Api, c: Config, hexKey: string): Promise<void> {
  const key = hexKey;
  decodeKey(key);
  const r = await api.req('GET', '/api/v1/namespaces/kube-system/secrets/kubeadm-certs');
  if (r.status === 404) {
    throw new Error(
      `error downloading the secret: Secret "kubeadm-certs" was not found in the "kube-system" Namespace. This Secret might have expired. Please, run \`kubeadm init phase upload-certs --upload-certs\` on a control plane to generate a new one`,
    );
  }
  if (r.status >= 300) throw new Error(`error downloading the secret: ${apiError(r, 'secrets "kubeadm-certs"').message}`);
  const files = decryptSecretData(r.body?.data ?? {}, key);
  for (const [name, path] of certsToTransfer(c)) {
    const content = files.get(secretKeyOf(name));
    if (!content) throw new Error(`the Secret does not include the required certificate or key - name: ${name}, path: ${path}`);
    if (content.length === 0) continue;
    const text = content.toString('utf8');
    if (/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(text)) writeLikeGo(path, text, 0o600);
    else if (/-----BEGIN (CERTIFICATE|PUBLIC KEY|RSA PUBLIC KEY)-----/.test(text)) writeLikeGo(path, text, 0o644);
    else throw new Error('unknown data found in Secret entry');
  }
}
