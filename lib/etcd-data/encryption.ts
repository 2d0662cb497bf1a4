/**
 * Reading values the apiserver encrypted at rest, with the operator's EncryptionConfiguration
 * (apiserver.config.k8s.io/v1), the way kube-apiserver does (apiserver/pkg/storage/value/encrypt/aes):
 * a value `k8s:enc:aescbc:v1:NAME:` + IV(16) + AES-CBC(PKCS#7); `k8s:enc:aesgcm:v1:NAME:` +
 * nonce(12) + AES-GCM (the etcd key as additional data). Only the key the value names is used;
 * other providers (secretbox, kms) are refused: kubemend never guesses.
 */
import { createDecipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { valueKind } from './decode.js';

/** A value that cannot be decrypted with what the operator gave (never retried another way). */
export class DecryptError extends Error {}

/** Decrypts one stored value at an etcd key (throws DecryptError naming what is missing). */
export type Decrypt = (etcdKey: string, value: Buffer) => Buffer;

interface Provider {
  [type: string]: { keys?: Array<{ name?: string; secret?: string }> } | undefined;
}

/** A decryptor from the EncryptionConfiguration file `file` (its keys are secrets: never shown). */
export function decryptorFrom(file: string): Decrypt {
  let doc: { kind?: string; resources?: Array<{ providers?: Provider[] }> };
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a readable EncryptionConfiguration: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc?.kind !== 'EncryptionConfiguration') throw new Error(`${file}: kind is ${doc?.kind ?? 'missing'}, not EncryptionConfiguration`);
  const keys = new Map<string, Buffer>(); // "aescbc/NAME" -> key
  for (const r of doc.resources ?? []) {
    for (const p of r.providers ?? []) {
      for (const type of ['aescbc', 'aesgcm']) {
        for (const k of p[type]?.keys ?? []) if (k.name && k.secret) keys.set(`${type}/${k.name}`, Buffer.from(k.secret, 'base64'));
      }
    }
  }
  return (etcdKey, value) => {
    const head = value.subarray(0, 200).toString('latin1');
    const m = /^k8s:enc:(aescbc|aesgcm):v1:([^:]+):/.exec(head);
    if (!m) {
      const type = /^k8s:enc:([^:]+):/.exec(head)?.[1] ?? '?';
      throw new DecryptError(`${etcdKey}: encrypted with provider ${type}, which kubemend does not decrypt (aescbc and aesgcm only)`);
    }
    const [prefix, type, name] = m;
    const key = keys.get(`${type}/${name}`);
    if (!key) throw new DecryptError(`${etcdKey}: encrypted with ${type} key "${name}", which ${file} does not have`);
    if (![16, 24, 32].includes(key.length)) throw new DecryptError(`${file}: ${type} key "${name}" is ${key.length} bytes, not 16, 24 or 32`);
    const data = value.subarray(Buffer.byteLength(prefix, 'latin1'));
    try {
      if (type === 'aescbc') {
        const d = createDecipheriv(`aes-${key.length * 8}-cbc`, key, data.subarray(0, 16));
        const plain = Buffer.concat([d.update(data.subarray(16)), d.final()]);
        // CBC carries no integrity check: under a wrong key the last block still ends in valid
        // PKCS#7 padding about one time in 256, and the result is noise. What the apiserver
        // stores is protobuf (k8s\0) or JSON, so anything else is the wrong key, not a value.
        if (!isStoredObject(plain)) throw new Error('not a stored object');
        return plain;
      }
      const d = createDecipheriv(`aes-${key.length * 8}-gcm` as 'aes-256-gcm', key, data.subarray(0, 12));
      d.setAAD(Buffer.from(etcdKey));
      d.setAuthTag(data.subarray(data.length - 16));
      return Buffer.concat([d.update(data.subarray(12, data.length - 16)), d.final()]);
    } catch {
      throw new DecryptError(`${etcdKey}: ${type} key "${name}" of ${file} does not decrypt it (another key with the same name?)`);
    }
  };
}

/** Whether `b` is what the apiserver stores before encryption: protobuf (k8s\0) or JSON that parses. */
function isStoredObject(b: Buffer): boolean {
  const kind = valueKind(b);
  if (kind === 'protobuf') return true;
  if (kind !== 'json') return false;
  try {
    JSON.parse(b.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}
