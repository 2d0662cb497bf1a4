/**
 * The controllers' loops: each controller's sync runs every periodMs and, for the resources it
 * watches, soon after the informers saw a change (as the real controllers' event handlers put work
 * on their queues), at most once per MIN_GAP_MS.
 */
import { resourceOf } from '../client/api.js';
import type { Controller } from './context.js';
import type { Logger } from '../component-base/log.js';

/** The least time between two syncs of a controller woken by changes (a burst of events is one more sync). */
const MIN_GAP_MS = 100;

/** Wakes the loops of the controllers that watch a resource. */
export class Wakers {
  readonly #byResource = new Map<string, Set<() => void>>();
  /** Registers `wake` for each of `resources`. */
  add(resources: readonly string[], wake: () => void): void {
    for (const r of resources) {
      const set = this.#byResource.get(r) ?? new Set();
      set.add(wake);
      this.#byResource.set(r, set);
    }
  }
  /** A list path's items changed: wake the loops that watch its resource. */
  changed(path: string): void {
    const r = resourceOf(path)?.plural;
    for (const wake of (r && this.#byResource.get(r)) || []) wake();
  }
}

/** Runs `c` while `signal` is not aborted: every periodMs, and soon after a change of a resource it watches; an error is logged once until it changes. */
export async function runLoop(c: Controller, signal: AbortSignal, wakers: Wakers, log: Logger): Promise<void> {
  const clog = log.child(c.name);
  let lastError = '';
  let woken = false;
  let wake: (() => void) | undefined;
  if (c.watches?.length)
    wakers.add(c.watches, () => {
      woken = true;
      wake?.();
    });
  while (!signal.aborted) {
    const began = Date.now();
    woken = false;
    try {
      await c.sync();
      lastError = '';
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== lastError) clog.error(msg);
      lastError = msg;
    }
    // until the period ends, or a watched change came (during the sync or after), at least MIN_GAP_MS after it began
    await new Promise<void>((resolve) => {
      let early: NodeJS.Timeout | undefined;
      const timer = setTimeout(done, c.periodMs);
      function done() {
        clearTimeout(timer);
        clearTimeout(early);
        if (wake === wakeThis) wake = undefined;
        resolve();
      }
      // one early end per wait, however many changes come
      const wakeThis = () => void (early ??= setTimeout(done, Math.max(0, began + MIN_GAP_MS - Date.now())));
      wake = wakeThis;
      if (woken) wakeThis();
    });
  }
}
