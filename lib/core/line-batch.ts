/**
 * Lines gathered and written together: the journal and run.log both take a line per event, and a
 * write per line (a syscall, or a trip through winston's stream and libuv's thread pool) cost more
 * than the line itself at hundreds of commands a second (docs/benchmarks.md, issue 17).
 */

/** The longest a batched line waits for its write (ms). */
export const FLUSH_MS = 100;
/** Batched characters that force a write. */
const FLUSH_CHARS = 64 * 1024;

/** A batch of lines: `add` keeps one, `flush` hands every kept line to the writer now. */
export interface LineBatch {
  /** Keep `line`; write the batch now when `now` is true, else within FLUSH_MS (or at FLUSH_CHARS). */
  add(line: string, now?: boolean): void;
  /** Hand every kept line to the writer (nothing when none is kept). */
  flush(): void;
}

/** A batch whose writes go to `write`, which gets the kept lines in order. */
export function lineBatch(write: (lines: string[]) => void): LineBatch {
  let pending: string[] = [];
  let chars = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    chars = 0;
    write(lines);
  };
  return {
    add(line, now = false) {
      pending.push(line);
      chars += line.length;
      if (now || chars >= FLUSH_CHARS) flush();
      else timer ??= setTimeout(flush, FLUSH_MS).unref();
    },
    flush,
  };
}
