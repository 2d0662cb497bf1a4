/** Builds the contexts phases see; every step they take becomes an event. */
import type { Host, Inventory } from '../inventory/types.js';
import type { CommandResult, UploadOptions } from '../transport/types.js';
import { CommandError } from './errors.js';
import type { RunEvent, StepKind } from './events.js';
import { tail } from './events.js';
import type { Executor } from './executor.js';
import { quoteArgv } from '../shell/quote.js';
import { type RetryPolicy, retrying } from './retry.js';
import { transientCause } from './transient.js';
import { type Arg, Secret, registerSecret } from '../shell/secret.js';
import type { CaptureOptions, CommandOptions, Fact, HostContext, PhaseContext } from './types.js';
import type { Shared } from './shared.js';

/** The host name used in events of cluster-level steps. */
export const CLUSTER = '(cluster)';

/** What the contexts of one run share. */
export interface RunState {
  executor: Executor;
  emit(e: RunEvent): void;
  inventory: Inventory;
  options: unknown;
  /** Hosts still in the run. */
  live: Host[];
  /** Aborted on the first interrupt: start no new work. */
  stop: AbortSignal;
  /** Aborted when running commands must be killed. */
  abort: AbortSignal;
  captures: Map<string, string | Secret>;
  facts: Map<string, Promise<unknown>>;
  /** >0 while a secret is being captured: command output stays out of events. */
  secretCaptures: number;
  /** Run-scoped scratch space for phases. */
  shared: Shared;
}

/** A short description of a command for errors: its first words up to the first flag. */
export function describeArgv(display: string): string {
  const words = display.split(' ');
  const out: string[] = [];
  for (const w of words) {
    if (w.startsWith('-') || out.length >= 4) break;
    out.push(w);
  }
  return out.join(' ') || words[0];
}

/**
 * Why a command could not run at all (exit 127: not found, 126: not executable), from the
 * shell's own words; undefined otherwise. A fact's parser must never read that as an answer
 * (a missing crictl is not "no containers", a missing systemctl is not "kubelet inactive").
 */
export function notRunnable(argv: readonly Arg[], r: Pick<CommandResult, 'exitCode' | 'stderr'>): string | undefined {
  if (r.exitCode !== 127 && r.exitCode !== 126) return undefined;
  const said = r.stderr.trim().split('\n').pop()?.slice(0, 200) ?? '';
  const what = r.exitCode === 127 ? 'a command was not found on the host' : 'a command is not executable on the host';
  return `${quoteArgv([argv[0]!]).display}: ${what} (exit ${r.exitCode})${said ? `: ${said}` : ''}`;
}

/** Run `fn` with retries on transient errors (see RetryPolicy), each retry an event of `phase` x `host`. */
function retryStep<T>(
  state: RunState,
  phase: string,
  host: string,
  step: string,
  policy: RetryPolicy,
  fn: () => Promise<T>,
  causeOf?: (err: unknown) => string | undefined,
): Promise<T> {
  if (state.executor.dryRun) return fn(); // a dry run sends no mutating step: nothing can fail transiently
  return retrying(step, policy, fn, {
    signal: state.stop,
    causeOf,
    onRetry: (n) => state.emit({ kind: 'retry', phase, host, step: n.step, attempt: n.attempt, attempts: n.attempts, delayMs: n.delayMs, cause: n.cause }),
  });
}

/** The context of a phase (cluster phases get this one). */
export function phaseContext<O>(state: RunState, phase: string): PhaseContext<O> {
  const ctx: PhaseContext<O> = {
    phase,
    inventory: state.inventory,
    get hosts() {
      return state.live;
    },
    options: state.options as O,
    signal: state.stop,
    get(name) {
      const v = state.captures.get(name);
      if (v === undefined) {
        throw new Error(`captured value ${name} is unknown: the phase that captures it did not run in this run (on resume, mark that phase rerunOnResume)`);
      }
      return v;
    },
    has: (name) => state.captures.has(name),
    log(message, level = 'info') {
      state.emit({ kind: 'log', phase, level, message });
    },
    async wet(description, fn, dryValue) {
      const t0 = performance.now();
      const v = await state.executor.wet(fn, dryValue);
      state.emit({
        kind: 'command',
        phase,
        host: CLUSTER,
        step: 'wet',
        command: description,
        exitCode: 0,
        durationMs: performance.now() - t0,
        dryRun: state.executor.dryRun,
      });
      return v;
    },
    retry: (step, policy, fn) => retryStep(state, phase, CLUSTER, step, policy, fn),
    on: (host) => hostContext<O>(state, phase, host),
    forward: (host, targetHost, targetPort) => state.executor.forward(host, targetHost, targetPort),
    shared: state.shared,
  };
  return ctx;
}

/** The context of one phase x host pair. */
export function hostContext<O>(state: RunState, phase: string, host: Host): HostContext<O> {
  const base = phaseContext<O>(state, phase);
  const h = host.name;

  /** The transient cause read in a failed command's own output (kept here: the error may carry no output when it is secret). */
  const causes = new WeakMap<object, string | undefined>();

  const command = async (argv: readonly Arg[], step: 'run' | 'read' | 'fact', opts: CommandOptions = {}): Promise<CommandResult> => {
    if (!opts.retry) return commandOnce(argv, step, opts);
    const what = opts.what ?? describeArgv(quoteArgv(argv).display);
    return retryStep(
      state,
      phase,
      h,
      what,
      opts.retry,
      () => commandOnce(argv, step, opts),
      (err) => (causes.has(err as object) ? causes.get(err as object) : undefined),
    );
  };

  const commandOnce = async (argv: readonly Arg[], step: 'run' | 'read' | 'fact', opts: CommandOptions = {}): Promise<CommandResult> => {
    const display = quoteArgv(argv).display;
    const r = await state.executor.exec(host, argv, step, {
      timeoutMs: opts.timeoutMs,
      stdin: opts.stdin,
      sudo: opts.sudo,
      signal: state.abort,
    });
    const quiet = state.secretCaptures > 0 || opts.secretOutput === true;
    state.emit({
      kind: 'command',
      phase,
      host: h,
      step,
      command: display,
      exitCode: r.exitCode,
      durationMs: r.durationMs,
      dryRun: state.executor.dryRun,
      ...(quiet ? {} : { stdoutTail: tail(r.stdout), stderrTail: tail(r.stderr) }),
    });
    if (r.exitCode !== 0 && !opts.allowFail && step !== 'fact') {
      const err = new CommandError(opts.what ?? describeArgv(display), quiet ? { ...r, stdout: '', stderr: '' } : r);
      if (opts.retry) causes.set(err, transientCause(`${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`));
      throw err;
    }
    return r;
  };

  const emitStep = (step: StepKind, what: string, t0: number) =>
    state.emit({ kind: 'command', phase, host: h, step, command: what, exitCode: 0, durationMs: performance.now() - t0, dryRun: state.executor.dryRun });

  function capture(name: string, fn: () => Promise<string>, opts: CaptureOptions & { secret: true }): Promise<Secret>;
  function capture(name: string, fn: () => Promise<string>, opts?: CaptureOptions): Promise<string>;
  async function capture(name: string, fn: () => Promise<string>, opts?: CaptureOptions): Promise<string | Secret> {
    let value: string | Secret;
    const secret = !!opts?.secret;
    if (secret) state.secretCaptures++;
    try {
      if (state.executor.dryRun) {
        try {
          await fn();
        } catch {
          /* a dry run cannot know the value; its commands are planned all the same */
        }
        value = secret ? new Secret(name, `<${name}>`) : `<${name}>`;
      } else {
        let raw: string;
        try {
          raw = (await fn()).trim();
        } catch (err) {
          if (!secret) throw err;
          throw new Error(
            `capture ${name}: ${err instanceof CommandError ? `${err.what}: exit ${err.result.exitCode}` : err instanceof Error ? err.message : 'failed'}`,
          ); // a CommandError's message holds the output, which may be the secret
        }
        if (secret) registerSecret(raw, name);
        value = secret ? new Secret(name, raw) : raw;
      }
    } finally {
      if (secret) state.secretCaptures--;
    }
    state.captures.set(name, value);
    state.emit({ kind: 'capture', phase, host: h, name, secret, dryRun: state.executor.dryRun });
    return value;
  }

  return {
    ...base,
    get hosts() {
      return state.live;
    },
    host,
    log(message, level = 'info') {
      state.emit({ kind: 'log', phase, host: h, level, message });
    },
    on: (other) => hostContext<O>(state, phase, other),
    retry: (step, policy, fn) => retryStep(state, phase, h, step, policy, fn),
    fact<T>(f: Fact<T>): Promise<T> {
      const key = `${h}\0${f.id}`;
      let p = state.facts.get(key) as Promise<T> | undefined;
      if (!p) {
        p = command(f.argv, 'fact').then((r) => {
          const missing = notRunnable(f.argv, r);
          if (missing) throw new Error(`fact ${f.id}: ${missing}`);
          try {
            return f.parse(r.stdout, r.exitCode);
          } catch (err) {
            throw new Error(`fact ${f.id}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
          }
        });
        state.facts.set(key, p);
        p.catch(() => state.facts.delete(key));
      }
      return p;
    },
    async wet(description, fn, dryValue) {
      const t0 = performance.now();
      const v = await state.executor.wet(fn, dryValue);
      emitStep('wet', description, t0);
      return v;
    },
    read: (argv, opts) => command(argv, 'read', opts),
    run: (argv, opts) => command(argv, 'run', opts),
    async upload(remotePath: string, content: string | Buffer, opts?: UploadOptions) {
      const t0 = performance.now();
      await state.executor.upload(host, remotePath, content, opts);
      emitStep('upload', `upload ${remotePath}${opts?.mode !== undefined ? ` mode ${opts.mode.toString(8)}` : ''} (${Buffer.byteLength(content)} bytes)`, t0);
    },
    async download(remotePath: string) {
      const t0 = performance.now();
      const b = await state.executor.download(host, remotePath);
      emitStep('download', `download ${remotePath}`, t0);
      return b;
    },
    capture,
  };
}
