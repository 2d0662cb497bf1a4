/**
 * A run's scratch space shared by its phases (API clients, tunnels, values one phase finds and
 * later ones read), typed by key: a key carries the type of its value, so a reader gets what the
 * writer stored without a cast, and a misspelt key is a compile error, not an `undefined`.
 * Never journaled.
 */

declare const VALUE: unique symbol;

/** A key into the shared space; `T` is the type of the value stored under it (a plain string is not a key). */
export type SharedKey<T> = string & { readonly [VALUE]: T };

/** A key for values of type T (define it once, beside the code that writes the value). */
export function sharedKey<T>(name: string): SharedKey<T> {
  return name as SharedKey<T>;
}

/** The run itself, as the runner gives it to every phase. */
export interface RunInfo {
  /** The run's id. */
  id: string;
  /** The run's folder on this machine (real runs; backups are pulled there). */
  dir?: string;
  /** The state dir holding every run's folder (plan and run). */
  stateDir?: string;
  /** Ask the operator a yes/no question mid-run (only when a terminal is there). */
  ask?: (question: string) => Promise<boolean>;
}

/** The run (id, folder, state dir, ask), set by the runner. */
export const RUN = sharedKey<RunInfo>('run');

/** The shared space of one run. */
export class Shared {
  readonly #values = new Map<string, unknown>();

  /** The value under `key`, undefined when none was set. */
  get<T>(key: SharedKey<T>): T | undefined {
    return this.#values.get(key) as T | undefined;
  }

  /** Store `value` under `key`. */
  set<T>(key: SharedKey<T>, value: T): void {
    this.#values.set(key, value);
  }

  /** True when a value is stored under `key`. */
  has<T>(key: SharedKey<T>): boolean {
    return this.#values.has(key);
  }

  /** Forget the value under `key`. */
  delete<T>(key: SharedKey<T>): void {
    this.#values.delete(key);
  }

  /**
   * The promise under `key`, made by `make` on first use and shared by every later caller (one
   * API session, one minted token per run); forgotten when it rejects, so a later caller tries again.
   */
  once<T>(key: SharedKey<Promise<T>>, make: () => Promise<T>): Promise<T> {
    const have = this.get(key);
    if (have) return have;
    const p = make();
    this.set(key, p);
    p.catch(() => {
      if (this.get(key) === p) this.delete(key);
    });
    return p;
  }
}
