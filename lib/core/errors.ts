/** Errors of a run: each says what was being done; secrets are redacted from every message. */
import type { CommandResult } from '../transport/types.js';
import { redact } from '../shell/secret.js';

/** The last non-empty lines of a command's output, for error messages. */
export function outputTail(r: Pick<CommandResult, 'stdout' | 'stderr'>, lines = 3): string {
  const text = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-lines).join(' / ');
  return redact(text.length > 400 ? text.slice(-400) : text);
}

/** A command exited non-zero (shaped like execa's error: the result is kept). */
export class CommandError extends Error {
  /** `what` describes the command, e.g. `kubeadm join phase kubelet-start`. */
  constructor(
    readonly what: string,
    readonly result: CommandResult,
  ) {
    const how = result.exitCode === null ? `signal ${result.signal ?? 'unknown'}` : `exit ${result.exitCode}`;
    const t = outputTail(result);
    super(redact(`${what}: ${how}${t ? `: ${t}` : ''}`));
    this.name = 'CommandError';
  }
}

/** One failed phase x host pair of a run. */
export interface Failure {
  host: string;
  phase: string;
  error: string;
  /** A refusal before anything changed (RefusedError): the run exits 2, as for bad input. */
  refused?: boolean;
}

/** Report failures together, k0sctl style: `failed on 2 hosts:\n - w3: ...`. */
export function formatFailures(failures: readonly Failure[]): string {
  if (failures.length === 0) return 'no failures';
  const hosts = new Set(failures.map((f) => f.host));
  const lines = failures.map((f) => ` - ${f.host}: ${f.phase}: ${f.error}`);
  return redact(`failed on ${hosts.size} host${hosts.size > 1 ? 's' : ''}:\n${lines.join('\n')}`);
}

/** Bad input or usage: the CLI exits 2 and no host is contacted. */
export class UsageError extends Error {
  readonly code = 'EUSAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Bad input that only the hosts reveal (for example an inventory's `first: true` that contradicts
 * where the API endpoint leads): thrown by a read-only phase before anything is changed. The run
 * stops there and the CLI exits 2, as for bad input.
 */
export class RefusedError extends Error {
  readonly code = 'EREFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

/** True for a RefusedError (also one that crossed a module boundary: checked by its code). */
export function isRefusal(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 'EREFUSED';
}

/** The message of any thrown value, without a host prefix added twice; redacted. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return redact(err.message);
  return redact(String(err));
}
