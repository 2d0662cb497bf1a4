/**
 * Ctrl-C during a run: the first SIGINT stops new work and lets running commands finish; after
 * a grace period (or a second SIGINT) running commands are aborted. The journal stays consistent.
 */
import { setMaxListeners } from 'node:events';

/** The signals a run listens to, and a way to stop listening. */
export interface Interrupts {
  /** Aborted on the first SIGINT: start no new work. */
  stop: AbortSignal;
  /** Aborted after the grace period or on a second SIGINT: kill running commands. */
  abort: AbortSignal;
  dispose(): void;
}

/** Listen for SIGINT/SIGTERM; `say` prints a notice to the operator. */
export function onInterrupt(say: (msg: string) => void, graceMs = Number(process.env.KUBEMEND_GRACE_MS ?? 10_000)): Interrupts {
  const stop = new AbortController();
  const abort = new AbortController();
  setMaxListeners(0, stop.signal, abort.signal); // every running command listens
  let timer: NodeJS.Timeout | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      say(`${sig}: starting no new work; running commands get ${Math.round(graceMs / 1000)}s to finish (press Ctrl-C again to abort them)`);
      stop.abort();
      timer = setTimeout(() => abort.abort(), graceMs);
      timer.unref();
    } else if (!abort.signal.aborted) {
      say(`${sig}: aborting running commands`);
      abort.abort();
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    stop: stop.signal,
    abort: abort.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      if (timer) clearTimeout(timer);
    },
  };
}
