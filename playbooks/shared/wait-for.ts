/** The one poll loop of the playbooks: wait for a condition up to the run's --wait-seconds. */
import type { PhaseContext } from '../../lib/core/types.js';

/**
 * Wait until `check` returns true (it returns a reason string while not yet): polled every 2 s up
 * to the run's waitSeconds (any playbook with that option: recover, renew-certs). A dry run records
 * the wait and does not poll.
 */
export async function waitFor(ctx: PhaseContext<{ waitSeconds?: number }>, what: string, check: () => Promise<true | string>, seconds?: number): Promise<void> {
  await ctx.wet(
    `wait: ${what}`,
    async () => {
      const deadline = Date.now() + (seconds ?? ctx.options.waitSeconds ?? 300) * 1000;
      let last = '';
      for (;;) {
        if (ctx.signal.aborted) throw new Error(`${what}: interrupted`);
        const r = await check().catch((e: Error) => e.message);
        if (r === true) return;
        last = r;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${last}`);
        await new Promise((res) => setTimeout(res, 2000));
      }
    },
    undefined,
  );
}
