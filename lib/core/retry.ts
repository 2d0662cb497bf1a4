/**
 * Retries of steps that are safe to repeat, on transient errors only (lib/core/transient.ts), a
 * bounded number of times with a doubling backoff; each retry is reported (the journal records it
 * with its cause), and a step that still fails ends with an error that says how often it was
 * tried and why. A step is retried only when its caller says why repeating it is safe
 * (`RetryPolicy.idempotent`, from the real tool's source): nothing is retried by default.
 */
import { errorMessage } from './errors.js';
import { errorTexts, transientCause } from './transient.js';

/** How a step may be retried. */
export interface RetryPolicy {
  /** Why repeating this step is safe, from the real tool's source (kept in the code, not shown). */
  idempotent: string;
  /** Attempts in all, the first included (default 5). */
  attempts?: number;
  /** Delay before the first retry in ms (default 2000), doubled each time up to maxDelayMs (default 15000). */
  delayMs?: number;
  maxDelayMs?: number;
  /** Causes this step must not retry although they are transient elsewhere (e.g. 429 from an eviction: a budget's answer). */
  except?: string[];
}

/** One retry, as reported (and journaled). */
export interface RetryNote {
  /** The step retried, e.g. `kubeadm join phase control-plane-prepare all`. */
  step: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  attempts: number;
  delayMs: number;
  /** The transient cause's name (a fixed label: never the output it was found in). */
  cause: string;
}

/** The delay before retry number `n` (1-based). */
export function backoff(policy: RetryPolicy, n: number): number {
  const first = policy.delayMs ?? 2000;
  return Math.min(first * 2 ** (n - 1), policy.maxDelayMs ?? 15_000);
}

/** A step that failed on every attempt with a transient error: its last error, and how it was tried. */
export class RetriesExhaustedError extends Error {
  constructor(
    readonly step: string,
    readonly attempts: number,
    readonly causes: string[],
    readonly last: unknown,
  ) {
    super(
      `${errorMessage(last)} (tried ${attempts} times, every failure transient: ${[...new Set(causes)].join(', ')}; once the control plane is steady again, resume the run)`,
      { cause: last },
    );
    this.name = 'RetriesExhaustedError';
  }
}

/** What retrying() needs besides the step. */
export interface RetryHooks {
  /** Called before each wait (the journal records the retry). */
  onRetry(note: RetryNote): void;
  /** Stop retrying when aborted (the last error is thrown). */
  signal?: AbortSignal;
  /** The transient cause of a failure, undefined when it is not transient (default: the error's texts through transientCause). */
  causeOf?(err: unknown): string | undefined;
  sleep?(ms: number): Promise<void>;
}

/** The transient cause of an error (its message, its causes, an HTTP status), or undefined. */
export function causeOf(err: unknown): string | undefined {
  return transientCause(errorTexts(err));
}

/**
 * Run `fn`; when it throws a transient error, wait and run it again, up to `policy.attempts` in
 * all. A failure that is not transient is thrown at once; one still transient after the last
 * attempt is thrown as RetriesExhaustedError.
 */
export async function retrying<T>(step: string, policy: RetryPolicy, fn: (attempt: number) => Promise<T>, hooks: RetryHooks): Promise<T> {
  const attempts = Math.max(1, policy.attempts ?? 5);
  const classify = hooks.causeOf ?? causeOf;
  const sleep = hooks.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const causes: string[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const cause = classify(err);
      // not transient (or aborted): thrown as it is; the journal already holds any earlier retry
      if (!cause || policy.except?.includes(cause) || hooks.signal?.aborted) throw err;
      causes.push(cause);
      if (attempt >= attempts) throw new RetriesExhaustedError(step, attempt, causes, err);
      const delayMs = backoff(policy, attempt);
      hooks.onRetry({ step, attempt, attempts, delayMs, cause });
      await sleep(delayMs);
    }
  }
}
