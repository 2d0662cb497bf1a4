/**
 * Every API call kubemend makes, retried on transient errors (an apiserver restarting, etcd
 * changing its leader) as client-go's callers in kubeadm do (apiclient's `wait.Poll` around
 * Get/Create/Update): the run's Kube client seen through a view whose API objects retry each call
 * with the phase's `ctx.retry` (so every retry is journaled under the phase and host that made it).
 *
 * Why a repeat is safe, per verb:
 * - read, list: change nothing;
 * - delete: a repeat of a delete that went through answers 404, which every caller takes as done;
 * - patch (merge/strategic): the same patch applied twice gives the same object;
 * - replace, approval: carry the resourceVersion read before, so a repeat of one that went through
 *   is refused with 409 Conflict (not transient: surfaced, never applied twice);
 * - create: kubemend's only create is an eviction (lib/kube/api.ts): a repeat of one that went
 *   through finds the pod gone (404) or terminating; 429 there is the disruption budget's answer
 *   ("Cannot evict pod as it would violate the pod's disruption budget"), which its caller waits
 *   on: not retried here. Any other create, repeated after its answer was lost, gets 409
 *   AlreadyExists: not transient, so surfaced, never a second object.
 */
import type { RetryPolicy } from '../core/retry.js';

/** Retry policy of an API call. */
export const API_RETRY: RetryPolicy = {
  idempotent: 'see lib/kube/retry.ts: reads, deletes (404 = done), patches, replaces with a resourceVersion (409 on a repeat), creates (409 on a repeat)',
  attempts: 5,
  delayMs: 1000,
  maxDelayMs: 8000,
};

/** An eviction: 429 is a disruption budget's answer, the caller's to wait on. */
const EVICTION_RETRY: RetryPolicy = { ...API_RETRY, except: ['HTTP 429 too many requests'] };

/** Runs one API call with retries (a phase context's retry with a policy). */
export type ApiRetry = <T>(step: string, policy: RetryPolicy, fn: () => Promise<T>) => Promise<T>;

/** `namespace/name` of a generated client call's parameter object, for the journal (never a body). */
function target(args: unknown[]): string {
  const p = args[0] as { name?: unknown; namespace?: unknown } | undefined;
  if (!p || typeof p !== 'object') return '';
  const name = typeof p.name === 'string' ? p.name : '';
  const ns = typeof p.namespace === 'string' ? p.namespace : '';
  return name || ns ? ` ${[ns, name].filter(Boolean).join('/')}` : '';
}

/** A generated API object (CoreV1Api, ...) whose every method retries through `retry`. */
function apiWithRetries<A extends object>(api: A, retry: ApiRetry): A {
  return new Proxy(api, {
    get(obj, prop) {
      const f = Reflect.get(obj, prop, obj) as unknown;
      if (typeof f !== 'function' || typeof prop !== 'string') return f;
      const policy = /Eviction/.test(prop) ? EVICTION_RETRY : API_RETRY;
      return (...args: unknown[]) => retry(`API ${prop}${target(args)}`, policy, () => (f as (...a: unknown[]) => Promise<unknown>).apply(obj, args));
    },
  });
}

/**
 * A view of `kube` (a Kube: its methods use its API objects through `this`) whose API objects retry
 * each call with `retry`; `kube` itself is unchanged (it is shared by every phase of the run).
 */
export function kubeWithRetries<K extends object>(kube: K, retry: ApiRetry): K {
  const view = Object.create(kube) as Record<string, unknown>;
  for (const [key, value] of Object.entries(kube)) {
    if (value && typeof value === 'object') view[key] = apiWithRetries(value, retry);
  }
  return view as K;
}
