/**
 * A read-only reader of bbolt files (etcd's `member/snap/db`), written from bbolt's on-disk
 * format (go.etcd.io/bbolt: page.go, meta, bucket.go, node.go): two meta pages, a B+tree of
 * pages per bucket, inline buckets inside their parent's leaf. Pages are fetched through a
 * RangeReader, so the file can be a local file, a buffer, or ranges read on a remote host.
 * Little-endian only (every platform etcd ships for).
 */

/** Random access to the bytes of a file. */
export interface RangeReader {
  /** `length` bytes from `offset` (fewer only at the end of the file). */
  read(offset: number, length: number): Promise<Buffer>;
}

/** A RangeReader over bytes already in memory. */
export function bufferReader(b: Buffer): RangeReader {
  return { read: async (offset, length) => b.subarray(offset, Math.min(b.length, offset + length)) };
}

const PAGE_HEADER = 16;
const ELEMENT = 16;
const BUCKET_HEADER = 16;
const BRANCH = 0x01;
const LEAF = 0x02;
const META = 0x04;
const BUCKET_LEAF_FLAG = 0x01;
const MAGIC = 0xed0cdaed;
const VERSION = 2;

/** The meta page bbolt trusts: the valid one with the highest transaction id. */
export interface Meta {
  pageSize: number;
  rootPage: bigint;
  /** Page count (high-water mark). */
  pages: bigint;
  txid: bigint;
}

/** One key/value of a bucket; `bucket` is true for a nested bucket's entry (value = its header). */
export interface Entry {
  key: Buffer;
  value: Buffer;
  bucket: boolean;
}

/** Where a bucket's tree starts: a page of the file, or a page inline in its parent's value. */
type Root = { page: bigint } | { inline: Buffer };

/** An error that names the file being read and what is wrong with it. */
export class BoltError extends Error {}

/** FNV-1a 64 (bbolt's meta checksum). */
function fnv64a(b: Buffer): bigint {
  let h = 0xcbf29ce484222325n;
  for (const x of b) {
    h ^= BigInt(x);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

/** Parse and check one meta page; undefined when invalid (torn write, wrong magic). */
function parseMeta(page: Buffer): Meta | undefined {
  if (page.length < PAGE_HEADER + 64) return undefined;
  if ((page.readUInt16LE(8) & META) === 0) return undefined;
  const m = page.subarray(PAGE_HEADER, PAGE_HEADER + 64);
  if (m.readUInt32LE(0) !== MAGIC || m.readUInt32LE(4) !== VERSION) return undefined;
  if (fnv64a(m.subarray(0, 56)) !== m.readBigUInt64LE(56)) return undefined;
  return { pageSize: m.readUInt32LE(8), rootPage: m.readBigUInt64LE(16), pages: m.readBigUInt64LE(40), txid: m.readBigUInt64LE(48) };
}

/** A bbolt file opened for reading. */
export class BoltReader {
  readonly #pages = new Map<bigint, Buffer>();
  private constructor(
    readonly src: RangeReader,
    readonly name: string,
    readonly meta: Meta,
  ) {}

  /** Read and check the meta pages of `src` (`name` is used in errors). */
  static async open(src: RangeReader, name: string): Promise<BoltReader> {
    const first = await src.read(0, 4096);
    if (first.length < PAGE_HEADER + 64) throw new BoltError(`${name}: not a bbolt file (${first.length} bytes)`);
    const a = parseMeta(first);
    const pageSize = a?.pageSize ?? first.subarray(PAGE_HEADER).readUInt32LE(8);
    if (!pageSize || pageSize < 1024 || pageSize > 1 << 16 || (pageSize & (pageSize - 1)) !== 0) {
      throw new BoltError(`${name}: not a bbolt file (no valid meta page: bad magic or page size)`);
    }
    const b = parseMeta(await src.read(pageSize, pageSize));
    const metas = [a, b].filter((m): m is Meta => m !== undefined).sort((x, y) => (y.txid > x.txid ? 1 : y.txid < x.txid ? -1 : 0));
    if (!metas.length) throw new BoltError(`${name}: not a bbolt file (both meta pages invalid: wrong magic, version or checksum)`);
    return new BoltReader(src, name, metas[0]);
  }

  /** Page `id` with its overflow pages. */
  async page(id: bigint): Promise<Buffer> {
    const hit = this.#pages.get(id);
    if (hit) return hit;
    if (id >= this.meta.pages) throw new BoltError(`${this.name}: page ${id} is past the end (${this.meta.pages} pages): the file is corrupt`);
    const ps = this.meta.pageSize;
    const off = Number(id) * ps;
    let p = await this.src.read(off, ps);
    if (p.length < PAGE_HEADER) throw new BoltError(`${this.name}: page ${id} is cut short (file truncated?)`);
    const overflow = p.readUInt32LE(12);
    if (overflow > 0) p = await this.src.read(off, ps * (overflow + 1));
    if (p.readBigUInt64LE(0) !== id) throw new BoltError(`${this.name}: page ${id} says it is page ${p.readBigUInt64LE(0)}: the file is corrupt`);
    if (this.#pages.size > 4096) this.#pages.clear();
    this.#pages.set(id, p);
    return p;
  }

  /** Every entry of the bucket rooted at `root`, in key order. */
  async *#walk(root: Root): AsyncGenerator<Entry> {
    const p = 'inline' in root ? root.inline : await this.page(root.page);
    const flags = p.readUInt16LE(8);
    const count = p.readUInt16LE(10);
    for (let i = 0; i < count; i++) {
      const e = PAGE_HEADER + i * ELEMENT;
      if (flags & LEAF) {
        const eflags = p.readUInt32LE(e);
        const pos = p.readUInt32LE(e + 4);
        const ksize = p.readUInt32LE(e + 8);
        const vsize = p.readUInt32LE(e + 12);
        const k = e + pos;
        yield { key: p.subarray(k, k + ksize), value: p.subarray(k + ksize, k + ksize + vsize), bucket: (eflags & BUCKET_LEAF_FLAG) !== 0 };
      } else if (flags & BRANCH) {
        if ('inline' in root) throw new BoltError(`${this.name}: an inline bucket holds a branch page: the file is corrupt`);
        yield* this.#walk({ page: p.readBigUInt64LE(e + 8) });
      } else {
        throw new BoltError(
          `${this.name}: page ${'page' in root ? root.page : '(inline)'} is neither a branch nor a leaf (flags ${flags}): the file is corrupt`,
        );
      }
    }
  }

  /** The root of the nested bucket whose header is `value`. */
  #bucketRoot(value: Buffer): Root {
    const page = value.readBigUInt64LE(0);
    return page === 0n ? { inline: value.subarray(BUCKET_HEADER) } : { page };
  }

  /** Names of the top-level buckets. */
  async buckets(): Promise<string[]> {
    const out: string[] = [];
    for await (const e of this.#walk({ page: this.meta.rootPage })) if (e.bucket) out.push(e.key.toString('latin1'));
    return out;
  }

  /** Every entry of top-level bucket `name`; throws when the file has no such bucket. */
  async *entries(name: string): AsyncGenerator<Entry> {
    let root: Root | undefined;
    for await (const e of this.#walk({ page: this.meta.rootPage })) {
      if (e.bucket && e.key.toString('latin1') === name) root = this.#bucketRoot(e.value);
    }
    if (!root) throw new BoltError(`${this.name}: no bucket "${name}" (buckets: ${(await this.buckets()).join(', ') || 'none'}): not an etcd v3 data file?`);
    yield* this.#walk(root);
  }
}
