/** Polling for tests: wait until a check returns a truthy value, or fail saying what was awaited. */
import { setTimeout as sleepMs } from 'node:timers/promises';

/** Sleep `ms` milliseconds. */
export const sleep = (ms: number): Promise<unknown> => sleepMs(ms);

/** Poll `fn` every `everyMs` until it returns a truthy value; throws with what was awaited and the last error. */
export async function pollUntil<T>(
  what: string,
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
