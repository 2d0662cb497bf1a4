/**
 * kubeadm's copycerts: the control-plane CA files encrypted (AES-256-GCM, nonce prepended) with
 * the 32-byte certificate key into Secret `kube-system/kubeadm-certs`, owned by a 2 h bootstrap token.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pki from '../pki.js';
import { type Api, apiError } from './api.js';
import { generateToken, parseToken, tokenSecret } from './tokens.js';

/** The files kubeadm copies between control-plane nodes (relative to the cert dir). */
export const COPIED_FILES = ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'sa.key', 'sa.pub', 'etcd/ca.crt', 'etcd/ca.key'];

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
    if (bad >= 0) throw new Error(`error decoding certificate key: encoding/hex: invalid byte: U+${hexKey.charCodeAt(bad).toString(16).toUpperCase().padStart(4, '0')} '${hexKey[bad]}'`);
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

/** Build the kubeadm-certs Secret data from the cert dir (base64 of encrypted files). */
export function encryptCertDir(certDir: string, hexKey: string): Record<string, string> {
  const key = decodeKey(hexKey);
  const data: Record<string, string> = {};
  for (const f of COPIED_FILES) {
    const path = join(certDir, f);
    if (!existsSync(path)) continue;
    data[secretKeyOf(f)] = encryptBytes(readFileSync(path), key).toString('base64');
  }
  return data;
}

/** Decrypt kubeadm-certs Secret data into file name -> content. */
export function decryptSecretData(data: Record<string, string>, hexKey: string): Map<string, Buffer> {
  const key = decodeKey(hexKey);
  const out = new Map<string, Buffer>();
  for (const f of COPIED_FILES) {
    const v = data[secretKeyOf(f)];
    if (!v) continue;
    try {
      out.set(f, decryptBytes(Buffer.from(v, 'base64'), key));
    } catch (e) {
      throw new Error(`error decoding secret data with provided key: ${(e as Error).message}`);
    }
  }
  return out;
}

/** kubeadm's UploadCerts: a 2 h token, the encrypted Secret owned by it, and the RBAC to read it. */
export async function uploadCerts(api: Api, certDir: string, hexKey: string): Promise<void> {
  const token = generateToken();
  const { id } = parseToken(token);
  const tokSecret = await api.createOrUpdate('/api/v1/namespaces/kube-system/secrets', tokenSecret({
    token, ttl: '2h0m0s', usages: [], groups: [], description: "Proxy for managing TTL for the kubeadm-certs secret",
  }));
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'kubeadm-certs',
      namespace: 'kube-system',
      ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: `bootstrap-token-${id}`, uid: tokSecret?.metadata?.uid ?? '', blockOwnerDeletion: true, controller: true }],
    },
    type: 'Opaque',
    data: encryptCertDir(certDir, hexKey),
  };
  await api.createOrUpdate('/api/v1/namespaces/kube-system/secrets', secret);
  await api.createIfMissing('/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/roles', {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role',
    metadata: { name: 'kubeadm:kubeadm-certs', namespace: 'kube-system' },
    rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['kubeadm-certs'], verbs: ['get'] }],
  });
  await api.createIfMissing('/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding',
    metadata: { name: 'kubeadm:kubeadm-certs', namespace: 'kube-system' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kubeadm:kubeadm-certs' },
    subjects: [{ kind: 'Group', name: 'system:bootstrappers:kubeadm:default-node-token' }],
  });
}

/** kubeadm's DownloadCerts: fetch kubeadm-certs, decrypt with the key, write the files. */
export async function downloadCerts(api: Api, certDir: string, hexKey: string): Promise<void> {
  const key = hexKey;
  decodeKey(key);
  const r = await api.req('GET', '/api/v1/namespaces/kube-system/secrets/kubeadm-certs');
  if (r.status === 404) {
    throw new Error(`error downloading the secret: Secret "kubeadm-certs" was not found in the "kube-system" Namespace. This Secret might have expired. Please, run \`kubeadm init phase upload-certs --upload-certs\` on a control plane to generate a new one`);
  }
  if (r.status >= 300) throw new Error(`error downloading the secret: ${apiError(r, 'secrets "kubeadm-certs"').message}`);
  const files = decryptSecretData(r.body?.data ?? {}, key);
  for (const [f, content] of files) {
    const path = join(certDir, f);
    if (f.endsWith('.key')) pki.writeSecretFile(path, content.toString('utf8'));
    else pki.writePublicFile(path, content.toString('utf8'));
  }
}
