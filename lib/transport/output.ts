/** Bounded capture of a command's output: keep the head up to a limit, count the rest. */

/** Default cap per stream: 1 MiB. */
export const DEFAULT_MAX_OUTPUT = 1 << 20;

/** Collects chunks up to `limit` bytes; later bytes are only counted. */
export class BoundedOutput {
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  /** Bytes received but not kept. */
  dropped = 0;
  constructor(readonly limit: number = DEFAULT_MAX_OUTPUT) {}

  /** Add one chunk. */
  push(chunk: Buffer): void {
    const room = this.limit - this.#kept;
    if (room >= chunk.length) {
      this.#chunks.push(chunk);
      this.#kept += chunk.length;
    } else {
      if (room > 0) {
        this.#chunks.push(chunk.subarray(0, room));
        this.#kept += room;
      }
      this.dropped += chunk.length - Math.max(room, 0);
    }
  }

  /** True when some bytes were dropped. */
  get truncated(): boolean {
    return this.dropped > 0;
  }

  /** Total bytes seen (kept + dropped). */
  get total(): number {
    return this.#kept + this.dropped;
  }

  /** The kept bytes. */
  buffer(): Buffer {
    return Buffer.concat(this.#chunks, this.#kept);
  }
}
