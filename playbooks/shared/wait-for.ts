/** The one poll loop of the playbooks: wait for a condition up to the run's --wait-seconds. */
import type { PhaseContext } from '../../lib/core/types.js';

/** The pauses between looks: soon at first (most waits end within seconds), then every 2 s. */
export const POLL_MS = [250, 500, 1000, 2000];

/** How a wait polls. */
export interface WaitOptions {
  /** Seconds to wait (default: the run's waitSeconds, else 300). */
  seconds?: number;
  /** A fixed pause between looks, for waits that count looks in a row (their spacing is what they prove). */
  everyMs?: number;
}

/** The pause after look number `n` (0-based): POLL_MS's steps, then its last, or `everyMs` throughout. */
export function pauseAfter(n: number, everyMs?: number): number {
  return everyMs ?? POLL_MS[Math.min(n, POLL_MS.length - 1)];
}

/**
 * Wait until `check` returns true (it returns a reason string while not yet): looked at once, then
 * 0.25, 0.5 and 1 s later, then every 2 s (or every `everyMs`), up to the run's waitSeconds (any
 * playbook with that option: recover, renew-certs). A dry run records the wait and does not poll.
 */
export async function waitFor(
  ctx: PhaseContext<{ waitSeconds?: number }>,
  what: string,
  check: () => Promise<true | string>,
  o: WaitOptions = {},
): Promise<void> {
  await ctx.wet(
    `wait: ${what}`,
    async () => {
      const deadline = Date.now() + (o.seconds ?? ctx.options.waitSeconds ?? 300) * 1000;
      let last = '';
      for (let n = 0; ; n++) {
        if (ctx.signal.aborted) throw new Error(`${what}: interrupted`);
        const r = await check().catch((e: Error) => e.message);
        if (r === true) return;
        last = r;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${last}`);
        await new Promise((res) => setTimeout(res, pauseAfter(n, o.everyMs)));
      }
    },
    undefined,
  );
}
