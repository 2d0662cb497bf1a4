/**
 * etcd's v3 store as it lies in the bbolt file (etcd server/mvcc: revision.go, kvstore; api/mvccpb
 * kv.proto): bucket `key` maps 17-byte revision keys (8-byte big-endian main revision, `_`,
 * 8-byte sub revision; an 18th byte `t` marks a tombstone) to `mvccpb.KeyValue` messages
 * (key 1, create_revision 2, mod_revision 3, version 4, value 5, lease 6). Bucket `members`
 * maps member ids (hex) to JSON {id, peerURLs, name, clientURLs}.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { BoltError, type BoltReader } from './bbolt.js';

/** One key as the newest revision in the file left it. */
export interface StoredKey {
  key: string;
  value: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
}

/** What a scan of the `key` bucket found for the wanted keys. */
export interface ScanResult {
  /** The newest live value of each wanted key found (a key deleted last is absent). */
  found: Map<string, StoredKey>;
  /** Wanted keys whose newest revision is a tombstone (deleted). */
  deleted: Set<string>;
  /** The store's revision: the highest main revision in the file. */
  revision: number;
}

/** An etcd member as the `members` bucket records it. */
export interface StoredMember {
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

/** Decode a mvccpb.KeyValue message. */
export function decodeKeyValue(b: Uint8Array): { key: Buffer; value: Buffer; createRevision: number; modRevision: number; version: number } {
  const r = new BinaryReader(b);
  const out = { key: Buffer.alloc(0), value: Buffer.alloc(0), createRevision: 0, modRevision: 0, version: 0 };
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 && wt === WireType.LengthDelimited) out.key = Buffer.from(r.bytes());
    else if (no === 2 && wt === WireType.Varint) out.createRevision = Number(r.int64());
    else if (no === 3 && wt === WireType.Varint) out.modRevision = Number(r.int64());
    else if (no === 4 && wt === WireType.Varint) out.version = Number(r.int64());
    else if (no === 5 && wt === WireType.LengthDelimited) out.value = Buffer.from(r.bytes());
    else r.skip(wt, no);
  }
  return out;
}

/** Main and sub revision of a `key`-bucket key, and whether it is a tombstone. */
export function parseRevisionKey(k: Buffer): { main: bigint; sub: bigint; tombstone: boolean } {
  if ((k.length !== 17 && k.length !== 18) || k[8] !== 0x5f) throw new BoltError(`not an etcd revision key (${k.length} bytes)`);
  if (k.length === 18 && k[17] !== 0x74) throw new BoltError('not an etcd revision key (18th byte is not the tombstone mark)');
  return { main: k.readBigUInt64BE(0), sub: k.readBigUInt64BE(9), tombstone: k.length === 18 };
}

/**
 * Scan the whole `key` bucket and keep, for each of `wanted`, its highest revision. The file is
 * what etcd last committed to bbolt: writes still only in the WAL are not in it.
 */
export async function scanKeys(db: BoltReader, wanted: readonly string[]): Promise<ScanResult> {
  const want = new Set(wanted);
  const best = new Map<string, { rev: bigint; sub: bigint; tomb: boolean; kv?: StoredKey }>();
  let revision = 0n;
  for await (const e of db.entries('key')) {
    const rk = parseRevisionKey(e.key);
    if (rk.main > revision) revision = rk.main;
    const kv = decodeKeyValue(e.value);
    const name = kv.key.toString('utf8');
    if (!want.has(name)) continue;
    const prev = best.get(name);
    if (prev && (prev.rev > rk.main || (prev.rev === rk.main && prev.sub > rk.sub))) continue;
    best.set(name, {
      rev: rk.main,
      sub: rk.sub,
      tomb: rk.tombstone,
      kv: rk.tombstone ? undefined : { key: name, value: kv.value, createRevision: kv.createRevision, modRevision: kv.modRevision, version: kv.version },
    });
  }
  const found = new Map<string, StoredKey>();
  const deleted = new Set<string>();
  for (const [k, v] of best) {
    if (v.tomb || !v.kv) deleted.add(k);
    else found.set(k, v.kv);
  }
  return { found, deleted, revision: Number(revision) };
}

/** The members recorded in the `members` bucket (removed members are in `members_removed`, not here). */
export async function readMembers(db: BoltReader): Promise<StoredMember[]> {
  const out: StoredMember[] = [];
  for await (const e of db.entries('members')) {
    let m: { id?: number | string; name?: string; peerURLs?: string[]; clientURLs?: string[]; isLearner?: boolean };
    try {
      m = JSON.parse(e.value.toString('utf8'));
    } catch {
      throw new BoltError(`${db.name}: member ${e.key.toString('latin1')}: its record is not JSON`);
    }
    out.push({ id: e.key.toString('latin1'), name: m.name ?? '', peerURLs: m.peerURLs ?? [], clientURLs: m.clientURLs ?? [], isLearner: m.isLearner === true });
  }
  return out;
}
