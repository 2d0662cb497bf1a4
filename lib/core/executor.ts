/**
 * The executor: the one collaborator swapped for a dry run. The real one forwards every step
 * to the transport; the dry one forwards read-only steps and records mutating ones unsent. Every
 * step it sends is timed as remote work (lib/core/trace.ts), so a phase's cost can say how long
 * kubemend was blocked on the cluster.
 */
import type { Host } from '../inventory/types.js';
import type { CommandResult, RunOptions, Transport, UploadOptions } from '../transport/types.js';
import { MUTATING, type StepKind } from './events.js';
import { quoteArgv } from '../shell/quote.js';
import type { Arg } from '../shell/secret.js';
import { trace } from './trace.js';

/** Runs the steps of a run, for real or dry. */
export interface Executor {
  readonly dryRun: boolean;
  /** Run a command; `step` says whether it is mutating (`run`) or read-only (`read`, `fact`). */
  exec(host: Host, argv: readonly Arg[], step: 'run' | 'read' | 'fact', opts?: RunOptions): Promise<CommandResult>;
  upload(host: Host, remotePath: string, content: string | Buffer, opts?: UploadOptions): Promise<void>;
  download(host: Host, remotePath: string): Promise<Buffer>;
  /** A mutating non-command action: runs `fn` for real, returns `dryValue` in a dry run. */
  wet<T>(fn: () => Promise<T>, dryValue: T): Promise<T>;
  /** A local port forwarded through host to targetHost:targetPort (read-only by itself: dry runs get it too). */
  forward(host: Host, targetHost: string, targetPort: number): Promise<{ localPort: number; close(): Promise<void> }>;
}

/** True when a dry run must not send this step. */
export function isHeldBack(dryRun: boolean, step: StepKind): boolean {
  return dryRun && MUTATING.has(step);
}

/** A mutating step refused in a run of a read-only playbook (nothing was sent). */
function refused(what: string): Error {
  return new Error(`${what}: refused: the playbook says it is read-only, and this step would change the host (nothing was sent)`);
}

/**
 * An executor over `transport`; with `dryRun` mutating steps are recorded, never sent. With
 * `refuseMutating` (a read-only playbook run without a plan first) they fail, never sent.
 */
export function createExecutor(transport: Transport, dryRun: boolean, opts: { refuseMutating?: boolean } = {}): Executor {
  const refuse = !dryRun && !!opts.refuseMutating;
  return {
    dryRun,
    async exec(host, argv, step, opts) {
      if (refuse && MUTATING.has(step)) throw refused(quoteArgv(argv).display);
      if (isHeldBack(dryRun, step)) {
        return { host: host.name, command: quoteArgv(argv).display, exitCode: 0, signal: null, stdout: '', stderr: '', durationMs: 0, truncated: false };
      }
      return trace.wait(() => transport.run(host, argv, opts));
    },
    async upload(host, remotePath, content, opts) {
      if (refuse) throw refused(`upload ${remotePath}`);
      if (dryRun) return;
      await trace.wait(() => transport.upload(host, remotePath, content, opts));
    },
    download(host, remotePath) {
      return trace.wait(() => transport.download(host, remotePath));
    },
    async wet(fn, dryValue) {
      if (refuse) throw refused('an API change');
      return dryRun ? dryValue : trace.wait(fn);
    },
    forward(host, targetHost, targetPort) {
      return trace.wait(() => transport.forward(host, targetHost, targetPort));
    },
  };
}
