/**
 * A Kubernetes object as the apiserver stores it in etcd (k8s.io/apimachinery runtime/serializer):
 * `{` = JSON; `k8s\0` = protobuf, a runtime.Unknown (typeMeta 1 {apiVersion 1, kind 2}, raw 2,
 * contentEncoding 3, contentType 4) around the object's own message; `k8s:enc:` = encrypted at
 * rest (apiserver/pkg/storage/value: `k8s:enc:<provider>:v1:<key name>:`), never guessed at.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { Decrypt } from './encryption.js';

/** A ConfigMap's identity and data, whichever way it was stored. */
export interface StoredConfigMap {
  name: string;
  namespace: string;
  data: Record<string, string>;
  /** How the value was stored: `json` or `protobuf`. */
  encoding: 'json' | 'protobuf';
}

/** The value is encrypted at rest: the apiserver's EncryptionConfiguration would be needed. */
export class EncryptedValueError extends Error {
  constructor(
    readonly etcdKey: string,
    readonly provider: string,
    readonly keyName: string,
  ) {
    super(
      `${etcdKey} is encrypted at rest (provider ${provider}${keyName ? `, key "${keyName}"` : ''}): kubemend does not guess keys. ` +
        "Give the apiserver's EncryptionConfiguration (--encryption-config FILE: aescbc and aesgcm keys are read), or the cluster's ClusterConfiguration as a file (`kubeadmConfig:` in the inventory)",
    );
    this.name = 'EncryptedValueError';
  }
}

const PROTO_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"
const ENC_PREFIX = 'k8s:enc:';

/** How a stored value is encoded, from its first bytes. */
export function valueKind(v: Buffer): 'json' | 'protobuf' | 'encrypted' | 'unknown' {
  if (v.subarray(0, ENC_PREFIX.length).toString('latin1') === ENC_PREFIX) return 'encrypted';
  if (v.subarray(0, 4).equals(PROTO_MAGIC)) return 'protobuf';
  const first = v.toString('latin1').trimStart()[0];
  return first === '{' ? 'json' : 'unknown';
}

/** Fields of runtime.Unknown. */
function decodeUnknown(b: Uint8Array): { apiVersion: string; kind: string; raw: Uint8Array; contentEncoding: string } {
  const r = new BinaryReader(b);
  const out: { apiVersion: string; kind: string; raw: Uint8Array; contentEncoding: string } = {
    apiVersion: '',
    kind: '',
    raw: new Uint8Array(),
    contentEncoding: '',
  };
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 && wt === WireType.LengthDelimited) {
      const t = new BinaryReader(r.bytes());
      while (t.pos < t.len) {
        const [tn, tw] = t.tag();
        if (tn === 1 && tw === WireType.LengthDelimited) out.apiVersion = t.string();
        else if (tn === 2 && tw === WireType.LengthDelimited) out.kind = t.string();
        else t.skip(tw, tn);
      }
    } else if (no === 2 && wt === WireType.LengthDelimited) out.raw = r.bytes();
    else if (no === 3 && wt === WireType.LengthDelimited) out.contentEncoding = r.string();
    else r.skip(wt, no);
  }
  return out;
}

/** v1.ConfigMap (k8s.io/api core/v1 generated.proto): metadata 1 (name 1, namespace 3), data 2 (map: key 1, value 2). */
function decodeConfigMapProto(b: Uint8Array): { name: string; namespace: string; data: Record<string, string> } {
  const r = new BinaryReader(b);
  const out = { name: '', namespace: '', data: {} as Record<string, string> };
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 && wt === WireType.LengthDelimited) {
      const m = new BinaryReader(r.bytes());
      while (m.pos < m.len) {
        const [mn, mw] = m.tag();
        if (mn === 1 && mw === WireType.LengthDelimited) out.name = m.string();
        else if (mn === 3 && mw === WireType.LengthDelimited) out.namespace = m.string();
        else m.skip(mw, mn);
      }
    } else if (no === 2 && wt === WireType.LengthDelimited) {
      const e = new BinaryReader(r.bytes());
      let k = '';
      let v = '';
      while (e.pos < e.len) {
        const [en, ew] = e.tag();
        if (en === 1 && ew === WireType.LengthDelimited) k = e.string();
        else if (en === 2 && ew === WireType.LengthDelimited) v = e.string();
        else e.skip(ew, en);
      }
      out.data[k] = v;
    } else r.skip(wt, no);
  }
  return out;
}

/**
 * Decode the stored value of the ConfigMap at `etcdKey`. An encrypted one is decrypted with
 * `decrypt` (from the operator's EncryptionConfiguration) when given, else EncryptedValueError.
 */
export function decodeConfigMap(etcdKey: string, v: Buffer, decrypt?: Decrypt): StoredConfigMap {
  const kind = valueKind(v);
  if (kind === 'encrypted' && decrypt) return decodeConfigMap(etcdKey, decrypt(etcdKey, v));
  if (kind === 'encrypted') {
    const parts = v.subarray(0, 256).toString('latin1').split(':');
    // k8s:enc:<provider>:v1:<key name>:<ciphertext>  (kms v2: k8s:enc:kms:v2:<provider name>:)
    throw new EncryptedValueError(etcdKey, `${parts[2] ?? '?'}${parts[3] ? `:${parts[3]}` : ''}`, /^[\w.-]*$/.test(parts[4] ?? '') ? (parts[4] ?? '') : '');
  }
  if (kind === 'json') {
    let o: { kind?: string; apiVersion?: string; metadata?: { name?: string; namespace?: string }; data?: Record<string, string> };
    try {
      o = JSON.parse(v.toString('utf8'));
    } catch (e) {
      throw new Error(`${etcdKey}: the stored JSON does not parse: ${(e as Error).message}`);
    }
    if (o.kind !== 'ConfigMap') throw new Error(`${etcdKey}: stored object is a ${o.kind ?? 'value without kind'}, not a ConfigMap`);
    return { name: o.metadata?.name ?? '', namespace: o.metadata?.namespace ?? '', data: o.data ?? {}, encoding: 'json' };
  }
  if (kind === 'protobuf') {
    const u = decodeUnknown(v.subarray(4));
    if (u.kind !== 'ConfigMap' || u.apiVersion !== 'v1')
      throw new Error(`${etcdKey}: stored protobuf object is ${u.apiVersion || '?'}/${u.kind || '?'}, not v1/ConfigMap`);
    if (u.contentEncoding) throw new Error(`${etcdKey}: stored protobuf object has content encoding "${u.contentEncoding}", which kubemend does not read`);
    return { ...decodeConfigMapProto(u.raw), encoding: 'protobuf' };
  }
  throw new Error(`${etcdKey}: the stored value is neither JSON, protobuf (k8s\\0) nor encrypted (k8s:enc:); first bytes ${v.subarray(0, 8).toString('hex')}`);
}
