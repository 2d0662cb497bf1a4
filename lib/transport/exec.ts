/**
 * One command on one SSH channel: stdin in, bounded stdout/stderr out, exit code or signal,
 * a timeout and an abort signal that stop the remote process and close the channel.
 */
import type { Client, ClientChannel } from 'ssh2';
import { BoundedOutput, DEFAULT_MAX_OUTPUT } from './output.js';
import type { SudoExchange } from './sudo.js';
import { type GateState, SudoGate } from './sudo-gate.js';

/** What one exec gave back, as raw bytes (the caller decodes and redacts). */
export interface RawResult {
  exitCode: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
  stdoutDropped: number;
  stderrDropped: number;
  durationMs: number;
  /** With a sudo exchange: whether sudo started the command ('running'), refused the password, or never got that far ('waiting'). */
  sudo?: GateState;
}

/** Why an exec stopped early. */
export class ExecStopped extends Error {
  constructor(
    readonly reason: 'timeout' | 'aborted' | 'disconnected' | 'channel',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ExecStopped';
  }
}

/** Options of one exec. */
export interface ExecOptions {
  stdin?: Buffer;
  timeoutMs: number;
  maxOutputBytes?: number;
  signal?: AbortSignal;
  /**
   * The wire is sessionWire's: the first stderr line is the remote session id
   * (stripped), handed to `kill` when the command is stopped, so the remote processes die too.
   */
  kill?: (sessionId: number) => Promise<void>;
  /**
   * The wire runs `sudo -S` with these markers (sudoArgv): the password is written only when sudo's
   * prompt shows on stderr, and `stdin` only once the command has started.
   */
  sudo?: SudoExchange;
}

/** Put before a wire command: prints the session leader's pid (= session id) on stderr. */
const SESSION_PREAMBLE = 'echo "$$" >&2; ';

/** Shell builtins that also exist as binaries, the same in bash and dash: `exec NAME` would fork the binary, where the shell runs them itself. */
const BUILTIN = /^(echo|printf|test|true|false)( |$)/;

/**
 * `wire` (quoteArgv's) after the session preamble. The command is exec'ed, so that it is the
 * session leader (a signal that kills it shows as its exit signal, and the session has one process
 * per channel), except a shell builtin: `exec echo` would start /usr/bin/echo, one process more on
 * the host per command for no gain (it ends at once; the session id is the shell's either way).
 */
export function sessionWire(wire: string): string {
  return BUILTIN.test(wire) ? SESSION_PREAMBLE + wire : `${SESSION_PREAMBLE}exec ${wire}`;
}

/**
 * Put after a wire command (quoteArgv's: one simple command) that gets no input, neither stdin nor
 * a sudo password: it reads /dev/null, as it would read the EOF sent on its channel (a command
 * that asks a question still gets end of input at once), and nothing is written to the channel,
 * not even the EOF: one packet, one write and its encryption less per command.
 */
const NO_INPUT = ' </dev/null';

/** Opens an exec channel on client for `wire` and resolves when the channel closes. */
export function execOnChannel(client: Client, wire: string, opts: ExecOptions): Promise<RawResult> {
  const started = performance.now();
  const noInput = !opts.stdin?.length && !opts.sudo;
  return new Promise<RawResult>((resolve, reject) => {
    let settled = false;
    let channel: ClientChannel | undefined;
    let timer: NodeJS.Timeout | undefined;
    const out = new BoundedOutput(opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT);
    const err = new BoundedOutput(opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT);
    let exitCode: number | null = null;
    let signal: string | null = null;
    let sessionId: number | undefined;
    let preamble = opts.kill ? Buffer.alloc(0) : undefined;
    const gate = opts.sudo ? new SudoGate(opts.sudo) : undefined;
    /** stderr after the session preamble: through the sudo gate when there is one. */
    const onOutput = (b: Buffer) => {
      if (!gate) return err.push(b);
      const { keep, action } = gate.feed(b);
      if (keep.length) err.push(keep);
      if (!channel || !action) return;
      if (action === 'password') channel.write(gate.passwordLine());
      else if (action === 'refuse')
        channel.end(); // sudo reads EOF and gives up
      else writeStdin(channel);
    };
    const writeStdin = (ch: ClientChannel) => {
      if (noInput) return;
      if (opts.stdin?.length) ch.write(opts.stdin);
      ch.end();
    };
    const onStderr = (b: Buffer) => {
      if (!preamble) return onOutput(b);
      preamble = Buffer.concat([preamble, b]);
      const nl = preamble.indexOf(0x0a);
      if (nl < 0 && preamble.length < 32) return;
      const line = preamble.subarray(0, Math.max(nl, 0)).toString('latin1');
      if (/^\d+$/.test(line)) sessionId = Number(line);
      const rest = nl < 0 ? preamble : preamble.subarray(nl + 1);
      preamble = undefined;
      if (rest.length) onOutput(rest);
    };

    const cleanup = () => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      client.removeListener('close', onClientClose);
    };
    const fail = (e: ExecStopped) => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(e);
    };
    let stopping: ExecStopped | undefined;
    const stop = (e: ExecStopped) => {
      if (settled) return;
      stopping ??= e;
      if (opts.kill && sessionId !== undefined) {
        // kill the remote session's processes first (ssh signals are refused for root logins)
        const sid = sessionId;
        sessionId = undefined;
        const killed = opts.kill(sid).catch(() => undefined);
        const grace = new Promise((r) => setTimeout(r, 5000).unref());
        void Promise.race([killed, grace]).then(() => stop(e));
        return;
      }
      if (channel) {
        try {
          channel.signal('KILL');
        } catch {
          /* the channel may be gone already */
        }
        try {
          channel.close();
        } catch {
          /* idem */
        }
      }
      fail(e);
    };
    const onAbort = () => stop(new ExecStopped('aborted', 'aborted by the caller'));
    const onClientClose = () => fail(new ExecStopped('disconnected', 'the connection closed while the command ran'));

    if (opts.signal?.aborted) return fail(new ExecStopped('aborted', 'aborted by the caller before it started'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    client.on('close', onClientClose);
    timer = setTimeout(() => {
      const why = gate?.state === 'waiting' ? " waiting for sudo (it neither asked for the password with kubemend's prompt nor started the command)" : '';
      stop(new ExecStopped('timeout', `timed out after ${opts.timeoutMs} ms${why}`));
    }, opts.timeoutMs);

    try {
      client.exec(noInput ? wire + NO_INPUT : wire, (e, ch) => {
        if (e) return fail(new ExecStopped('channel', `opening a channel: ${e.message}`, { cause: e }));
        channel = ch;
        if (settled) {
          // stopped while the channel was opening
          ch.close();
          return;
        }
        ch.on('data', (b: Buffer) => out.push(b));
        ch.stderr.on('data', onStderr);
        ch.on('exit', (code: number | null, sig?: string) => {
          if (typeof code === 'number') exitCode = code;
          if (sig) signal = sig.startsWith('SIG') ? sig : `SIG${sig}`;
        });
        ch.on('error', () => {
          /* reported through close */
        });
        ch.on('close', () => {
          if (stopping) return fail(stopping);
          if (settled) return;
          settled = true;
          cleanup();
          if (gate && gate.state !== 'running') err.push(gate.flush());
          resolve({
            exitCode,
            signal,
            stdout: out.buffer(),
            stderr: err.buffer(),
            stdoutDropped: out.dropped,
            stderrDropped: err.dropped,
            durationMs: Math.round(performance.now() - started),
            ...(gate ? { sudo: gate.state } : {}),
          });
        });
        // through sudo -S: nothing is written until sudo asks or the command has started (the gate)
        if (!gate) writeStdin(ch);
      });
    } catch (e) {
      fail(new ExecStopped('channel', `opening a channel: ${(e as Error).message}`, { cause: e }));
    }
  });
}
