/**
 * Decode Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`: the `k8s\0`
 * envelope around runtime.Unknown) into JSON objects, for the types that kubectl's typed clients
 * send in the lab (ConfigMap, Secret, Namespace, ServiceAccount, CertificateSigningRequest, DeleteOptions,
 * Eviction, TokenRequest).
 * Field numbers are those of the upstream generated.proto files.
 */
import { ApiError } from './status.js';

type Scalar = 'string' | 'bytes' | 'int' | 'bool' | 'time' | 'fieldsV1';
type FieldType = Scalar | Msg | { map: Scalar | Msg };
interface Field {
  n: string;
  t: FieldType;
  rep?: boolean;
}
type Msg = { [num: number]: Field };

const OwnerReference: Msg = {
  1: { n: 'kind', t: 'string' },
  3: { n: 'name', t: 'string' },
  4: { n: 'uid', t: 'string' },
  5: { n: 'apiVersion', t: 'string' },
  6: { n: 'controller', t: 'bool' },
  7: { n: 'blockOwnerDeletion', t: 'bool' },
};
const ManagedFieldsEntry: Msg = {
  1: { n: 'manager', t: 'string' },
  2: { n: 'operation', t: 'string' },
  3: { n: 'apiVersion', t: 'string' },
  4: { n: 'time', t: 'time' },
  6: { n: 'fieldsType', t: 'string' },
  7: { n: 'fieldsV1', t: 'fieldsV1' },
  8: { n: 'subresource', t: 'string' },
};
const ObjectMeta: Msg = {
  1: { n: 'name', t: 'string' },
  2: { n: 'generateName', t: 'string' },
  3: { n: 'namespace', t: 'string' },
  4: { n: 'selfLink', t: 'string' },
  5: { n: 'uid', t: 'string' },
  6: { n: 'resourceVersion', t: 'string' },
  7: { n: 'generation', t: 'int' },
  8: { n: 'creationTimestamp', t: 'time' },
  9: { n: 'deletionTimestamp', t: 'time' },
  10: { n: 'deletionGracePeriodSeconds', t: 'int' },
  11: { n: 'labels', t: { map: 'string' } },
  12: { n: 'annotations', t: { map: 'string' } },
  13: { n: 'ownerReferences', t: OwnerReference, rep: true },
  14: { n: 'finalizers', t: 'string', rep: true },
  17: { n: 'managedFields', t: ManagedFieldsEntry, rep: true },
};
const ObjectReference: Msg = {
  1: { n: 'kind', t: 'string' },
  2: { n: 'namespace', t: 'string' },
  3: { n: 'name', t: 'string' },
  4: { n: 'uid', t: 'string' },
  5: { n: 'apiVersion', t: 'string' },
  6: { n: 'resourceVersion', t: 'string' },
  7: { n: 'fieldPath', t: 'string' },
};
const LocalObjectReference: Msg = { 1: { n: 'name', t: 'string' } };
const ExtraValue: Msg = { 1: { n: 'items', t: 'string', rep: true } };
const CSRCondition: Msg = {
  1: { n: 'type', t: 'string' },
  2: { n: 'reason', t: 'string' },
  3: { n: 'message', t: 'string' },
  4: { n: 'lastUpdateTime', t: 'time' },
  5: { n: 'lastTransitionTime', t: 'time' },
  6: { n: 'status', t: 'string' },
};

/** Message schemas by `apiVersion/kind`. */
const KINDS: Record<string, Msg> = {
  'v1/ConfigMap': {
    1: { n: 'metadata', t: ObjectMeta },
    2: { n: 'data', t: { map: 'string' } },
    3: { n: 'binaryData', t: { map: 'bytes' } },
    4: { n: 'immutable', t: 'bool' },
  },
  'v1/Secret': {
    1: { n: 'metadata', t: ObjectMeta },
    2: { n: 'data', t: { map: 'bytes' } },
    3: { n: 'type', t: 'string' },
    4: { n: 'stringData', t: { map: 'string' } },
    5: { n: 'immutable', t: 'bool' },
  },
  'v1/Namespace': {
    1: { n: 'metadata', t: ObjectMeta },
    2: { n: 'spec', t: { 1: { n: 'finalizers', t: 'string', rep: true } } },
    3: { n: 'status', t: { 1: { n: 'phase', t: 'string' } } },
  },
  'v1/ServiceAccount': {
    1: { n: 'metadata', t: ObjectMeta },
    2: { n: 'secrets', t: ObjectReference, rep: true },
    3: { n: 'imagePullSecrets', t: LocalObjectReference, rep: true },
    4: { n: 'automountServiceAccountToken', t: 'bool' },
  },
  'certificates.k8s.io/v1/CertificateSigningRequest': {
    1: { n: 'metadata', t: ObjectMeta },
    2: {
      n: 'spec',
      t: {
        1: { n: 'request', t: 'bytes' },
        2: { n: 'username', t: 'string' },
        3: { n: 'uid', t: 'string' },
        4: { n: 'groups', t: 'string', rep: true },
        5: { n: 'usages', t: 'string', rep: true },
        6: { n: 'extra', t: { map: ExtraValue } },
        7: { n: 'signerName', t: 'string' },
        8: { n: 'expirationSeconds', t: 'int' },
      },
    },
    3: { n: 'status', t: { 1: { n: 'conditions', t: CSRCondition, rep: true }, 2: { n: 'certificate', t: 'bytes' } } },
  },
  'v1/DeleteOptions': {
    1: { n: 'gracePeriodSeconds', t: 'int' },
    2: { n: 'preconditions', t: { 1: { n: 'uid', t: 'string' }, 2: { n: 'resourceVersion', t: 'string' } } },
    3: { n: 'orphanDependents', t: 'bool' },
    4: { n: 'propagationPolicy', t: 'string' },
    5: { n: 'dryRun', t: 'string', rep: true },
  },
};
KINDS['meta.k8s.io/v1/DeleteOptions'] = KINDS['v1/DeleteOptions'];
KINDS['authorization.k8s.io/v1/SelfSubjectAccessReview'] = {
  1: { n: 'metadata', t: ObjectMeta },
  2: {
    n: 'spec',
    t: {
      1: {
        n: 'resourceAttributes',
        t: {
          1: { n: 'namespace', t: 'string' },
          2: { n: 'verb', t: 'string' },
          3: { n: 'group', t: 'string' },
          4: { n: 'version', t: 'string' },
          5: { n: 'resource', t: 'string' },
          6: { n: 'subresource', t: 'string' },
          7: { n: 'name', t: 'string' },
        },
      },
      2: { n: 'nonResourceAttributes', t: { 1: { n: 'path', t: 'string' }, 2: { n: 'verb', t: 'string' } } },
    },
  },
};
KINDS['authentication.k8s.io/v1/SelfSubjectReview'] = { 1: { n: 'metadata', t: ObjectMeta } };
// kubectl drain and `kubectl create token` (k8s.io/api policy/v1 and authentication/v1 generated.proto)
KINDS['policy/v1/Eviction'] = { 1: { n: 'metadata', t: ObjectMeta }, 2: { n: 'deleteOptions', t: KINDS['v1/DeleteOptions'] } };
KINDS['policy/v1beta1/Eviction'] = KINDS['policy/v1/Eviction'];
KINDS['authentication.k8s.io/v1/TokenRequest'] = {
  1: { n: 'metadata', t: ObjectMeta },
  2: {
    n: 'spec',
    t: {
      1: { n: 'audiences', t: 'string', rep: true },
      3: {
        n: 'boundObjectRef',
        t: { 1: { n: 'kind', t: 'string' }, 2: { n: 'apiVersion', t: 'string' }, 3: { n: 'name', t: 'string' }, 4: { n: 'uid', t: 'string' } },
      },
      4: { n: 'expirationSeconds', t: 'int' },
    },
  },
};

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

function decodeTime(buf: Buffer): string {
  const r = new Reader(buf);
  let seconds = 0n;
  while (!r.done) {
    const tag = Number(r.varint());
    if (tag >> 3 === 1 && (tag & 7) === 0) seconds = r.varint();
    else r.skip(tag & 7);
  }
  if (seconds === 0n) return '';
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

function decodeScalar(t: Scalar | Msg, r: Reader, wire: number): unknown {
  if (typeof t === 'object') return decodeMsg(t, r.bytes());
  switch (t) {
    case 'string':
      return r.bytes().toString('utf8');
    case 'bytes':
      return r.bytes().toString('base64');
    case 'int': {
      const v = BigInt.asIntN(64, r.varint());
      return Number(v);
    }
    case 'bool':
      return r.varint() !== 0n;
    case 'time':
      return decodeTime(r.bytes());
    case 'fieldsV1': {
      const inner = new Reader(r.bytes());
      let raw = '{}';
      while (!inner.done) {
        const tag = Number(inner.varint());
        if (tag >> 3 === 1) raw = inner.bytes().toString('utf8');
        else inner.skip(tag & 7);
      }
      return JSON.parse(raw);
    }
  }
  void wire;
  return undefined;
}

function decodeMsg(schema: Msg, buf: Buffer): Record<string, unknown> {
  const out: Record<string, any> = {};
  const r = new Reader(buf);
  while (!r.done) {
    const tag = Number(r.varint());
    const num = tag >> 3;
    const wire = tag & 7;
    const f = schema[num];
    if (!f) {
      r.skip(wire);
      continue;
    }
    if (typeof f.t === 'object' && 'map' in f.t) {
      const entry = new Reader(r.bytes());
      let k = '';
      let v: unknown = '';
      while (!entry.done) {
        const et = Number(entry.varint());
        if (et >> 3 === 1) k = entry.bytes().toString('utf8');
        else if (et >> 3 === 2) v = decodeScalar((f.t as { map: Scalar | Msg }).map, entry, et & 7);
        else entry.skip(et & 7);
      }
      out[f.n] = out[f.n] ?? {};
      out[f.n][k] = f.t.map === ExtraValue ? ((v as any).items ?? []) : v;
      continue;
    }
    const v = decodeScalar(f.t as Scalar | Msg, r, wire);
    // gogo-protobuf writes empty non-pointer fields; the JSON form omits them (omitempty).
    if (!f.rep && (v === '' || v === 0)) continue;
    if (f.rep) (out[f.n] = out[f.n] ?? []).push(v);
    else out[f.n] = v;
  }
  return out;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Decode a `k8s\0`-enveloped protobuf body into the JSON form of the object. */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw new ApiError(400, 'BadRequest', 'protobuf body does not start with the k8s envelope');
  const unknown = decodeMsg(
    {
      1: { n: 'typeMeta', t: { 1: { n: 'apiVersion', t: 'string' }, 2: { n: 'kind', t: 'string' } } },
      2: { n: 'raw', t: 'bytes' },
      3: { n: 'contentEncoding', t: 'string' },
      4: { n: 'contentType', t: 'string' },
    },
    body.subarray(4),
  ) as { typeMeta?: { apiVersion?: string; kind?: string }; raw?: string };
  const apiVersion = unknown.typeMeta?.apiVersion ?? '';
  const kind = unknown.typeMeta?.kind ?? '';
  const schema = KINDS[`${apiVersion}/${kind}`];
  if (!schema) {
    throw new ApiError(415, 'UnsupportedMediaType', `the lab apiserver cannot decode protobuf for ${apiVersion}/${kind}; send application/json`);
  }
  const obj = decodeMsg(schema, Buffer.from(unknown.raw ?? '', 'base64'));
  return { apiVersion, kind, ...obj };
}
