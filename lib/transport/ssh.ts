/**
 * The SSH transport (ssh2): one connection per host for the whole run, commands quoted by
 * quoteArgv, sudo with the password on stdin only and only when sudo asks for it, outputs
 * bounded and redacted, host keys checked against the inventory's known_hosts.
 */
import type { Host, Inventory, JumpHost } from '../inventory/types.js';
import { quoteArgv } from '../shell/quote.js';
import { type Arg, redact, redactRegistered, registerSecret } from '../shell/secret.js';
import { type CommandResult, type RunOptions, type Transport, type UploadOptions, TransportError } from './types.js';
import type { SshTransportOptions, TransportEvent } from './options.js';
import { agentSocket, KeyStore } from './auth.js';
import { Connection, type ConnectionContext, type ConnectTarget, connectionId } from './connection.js';
import { ExecStopped, execOnChannel, type RawResult, sessionWire } from './exec.js';
import { HostKeyChecker } from './verify.js';
import { type SudoExchange, type SudoPlan, sudoArgv, sudoExchange, sudoFailure, sudoPlan } from './sudo.js';
import { sftpRead, sftpRemoveQuietly, sftpRename, sftpWriteTemp, tempName } from './sftp.js';
import { listenForward, type LocalForward } from './forward.js';
import { sudoUploadArgv } from './sudo-upload.js';

export type { SshTransportOptions, TransportEvent } from './options.js';

/** ssh2 keepalive: a probe every 5 s, the connection declared dead after 3 unanswered. */
const KEEPALIVE_INTERVAL_MS = 5000;
const KEEPALIVE_COUNT_MAX = 3;
/** Downloads are not cut at maxOutputBytes; this only guards memory. */
const MAX_DOWNLOAD_BYTES = 512 << 20;

/** The SSH transport, with what tests and benchmarks may inspect. */
export interface SshTransport extends Transport {
  /** Connections made so far (one per user@address:port and jump), by id. */
  readonly connections: ReadonlyMap<string, Connection>;
}

/** Make the ssh2 transport for an inventory. */
export function createSshTransport(inv: Inventory, opts: SshTransportOptions = {}): SshTransport {
  return new Ssh(inv, opts);
}

class Ssh implements SshTransport {
  readonly connections = new Map<string, Connection>();
  readonly #ctx: ConnectionContext;
  readonly #forwards = new Set<LocalForward>();
  #password: Promise<string> | undefined;
  /** Per host connection: the sudo password was checked there (or refused). */
  readonly #sudoChecked = new Map<string, Promise<void>>();
  #closed = false;

  constructor(
    private readonly inv: Inventory,
    private readonly opts: SshTransportOptions,
  ) {
    const emit = (e: TransportEvent) => {
      try {
        opts.onEvent?.(e);
      } catch {
        /* a listener's failure is not the transport's */
      }
    };
    this.#ctx = {
      connectTimeoutMs: inv.ssh.connectTimeoutMs,
      keepaliveIntervalMs: KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      maxChannels: opts.maxChannelsPerHost ?? 10,
      agent: agentSocket(opts.agentSocket),
      keys: new KeyStore(opts.passphrase),
      hostKeys: new HostKeyChecker(inv.ssh.knownHosts, opts.acceptNewHostKeys === true, emit),
      emit,
    };
  }

  #connection(host: Host): Connection {
    if (this.#closed) throw new TransportError(host.name, 'disconnected', 'the transport is closed');
    const via = host.jump ? this.#jump(host.jump) : undefined;
    const target: ConnectTarget = {
      name: host.name,
      address: host.address,
      port: host.port,
      user: host.user,
      ...(host.identityFile ? { identityFile: host.identityFile } : {}),
    };
    return this.#get(target, via);
  }

  #jump(j: JumpHost): Connection {
    return this.#get(
      {
        name: j.host,
        address: j.host,
        port: j.port,
        user: j.user,
        ...((j.identityFile ?? this.inv.ssh.identityFile) ? { identityFile: j.identityFile ?? this.inv.ssh.identityFile } : {}),
      },
      undefined,
    );
  }

  #get(target: ConnectTarget, via: Connection | undefined): Connection {
    const id = connectionId(target, via);
    let c = this.connections.get(id);
    if (!c) {
      c = new Connection(target, this.#ctx, via);
      this.connections.set(id, c);
    }
    return c;
  }

  #sudoPassword(): Promise<string> {
    if (!this.#password) {
      const ask = this.opts.sudoPassword;
      if (!ask) return Promise.reject(new Error('no sudo password prompt was given to the transport'));
      const p = ask().then((pw) => {
        registerSecret(pw, 'sudo-password');
        return pw;
      });
      this.#password = p;
      p.catch(() => {
        if (this.#password === p) this.#password = undefined;
      });
    }
    return this.#password;
  }

  /** The wire of argv through `plan`, with fresh sudo markers when the password may be asked for. */
  #wire(plan: SudoPlan, argv: readonly Arg[], password: string | undefined): { wire: string; exchange?: SudoExchange } {
    if (plan !== 'password') return { wire: quoteArgv(sudoArgv(plan, argv)).wire };
    if (password === undefined) throw new Error('sudo password needed but not given');
    const exchange = sudoExchange(password);
    return { wire: quoteArgv(sudoArgv(plan, argv, exchange)).wire, exchange };
  }

  /**
   * Kills the remote session `sid` (its process group) after a timeout or abort, through the
   * same sudo as the command, on a channel of its own outside the queue (the queue may be full).
   */
  async #killSession(conn: Connection, plan: SudoPlan, password: string | undefined, sid: number): Promise<void> {
    const { wire, exchange } = this.#wire(plan, ['kill', '-KILL', '--', `-${sid}`], password);
    const c = await conn.client();
    await execOnChannel(c, wire, { timeoutMs: 5000, maxOutputBytes: 4096, ...(exchange ? { sudo: exchange } : {}) });
  }

  /** Runs argv (wrapped for `plan`) on conn; maps a stop to a TransportError naming host and command. */
  async #exec(
    host: Host,
    conn: Connection,
    argv: readonly Arg[],
    display: string,
    o: { stdin?: Buffer; timeoutMs: number; maxOutputBytes?: number; signal?: AbortSignal },
    sudo: { plan: SudoPlan; password: string | undefined },
  ): Promise<RawResult> {
    try {
      const { wire, exchange } = this.#wire(sudo.plan, argv, sudo.password);
      const kill = (sid: number) => this.#killSession(conn, sudo.plan, sudo.password, sid);
      return await conn.withChannel((c) => execOnChannel(c, sessionWire(wire), { ...o, kill, ...(exchange ? { sudo: exchange } : {}) }));
    } catch (e) {
      if (e instanceof TransportError) throw e;
      if (e instanceof ExecStopped) {
        const kind = e.reason === 'channel' ? 'disconnected' : e.reason;
        throw new TransportError(host.name, kind, `run ${display}: ${e.message}`, { cause: e });
      }
      throw new TransportError(host.name, 'disconnected', `run ${display}: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * Makes sure the sudo password works on this host, once per connection, before any command: a
   * wrong password is then refused once, not by every command (PAM may lock the account).
   */
  #checkSudo(host: Host, conn: Connection, password: string): Promise<void> {
    let p = this.#sudoChecked.get(conn.id);
    if (!p) {
      p = (async () => {
        const r = await this.#exec(host, conn, ['true'], 'true', { timeoutMs: this.inv.ssh.commandTimeoutMs }, { plan: 'password', password });
        const stderr = redact(r.stderr.toString('utf8'));
        const why = r.sudo === 'refused' ? 'sudo refused the password (wrong password)' : sudoFailure('password', r.exitCode, stderr);
        if (why || r.exitCode !== 0) {
          throw new TransportError(host.name, 'sudo', `sudo as ${host.user}: ${why ?? `exit ${r.exitCode}: ${stderr.trim()}`}`);
        }
      })();
      this.#sudoChecked.set(conn.id, p);
      p.catch((e: unknown) => {
        // a refused password stays refused for this run; a lost connection may be tried again
        if (!(e instanceof TransportError && e.kind === 'sudo')) this.#sudoChecked.delete(conn.id);
      });
    }
    return p;
  }

  /** How argv will run (sudo plan) and, for a password sudo, the password, checked on this host first. */
  async #prepare(host: Host, conn: Connection, sudo: boolean | undefined): Promise<{ plan: SudoPlan; password: string | undefined }> {
    const plan = sudoPlan(host, sudo);
    let password: string | undefined;
    if (plan === 'password') {
      try {
        password = await this.#sudoPassword();
      } catch (e) {
        throw new TransportError(host.name, 'sudo', `sudo as ${host.user}: asking for the sudo password: ${(e as Error).message}`, {
          cause: e,
        });
      }
      await this.#checkSudo(host, conn, password);
    }
    return { plan, password };
  }

  /** Why sudo did not run the command (from the gate when there was one, else from sudo's words), or undefined. */
  #sudoRefusal(plan: SudoPlan, raw: RawResult, stderr: string): string | undefined {
    if (raw.sudo === 'refused') return 'sudo refused the password (wrong password)';
    if (raw.sudo === 'running') return undefined; // the command ran: its stderr is its own
    return sudoFailure(plan, raw.exitCode, stderr);
  }

  async run(host: Host, argv: readonly Arg[], opts: RunOptions = {}): Promise<CommandResult> {
    const display = quoteArgv(argv).display;
    const emit = this.#ctx.emit;
    const conn = this.#connection(host);
    emit({ type: 'command-start', host: host.name, command: display });
    const timeoutMs = opts.timeoutMs ?? this.inv.ssh.commandTimeoutMs;
    try {
      const p = await this.#prepare(host, conn, opts.sudo);
      const stdin = opts.stdin === undefined ? undefined : Buffer.isBuffer(opts.stdin) ? opts.stdin : Buffer.from(opts.stdin, 'utf8');
      const raw = await this.#exec(
        host,
        conn,
        argv,
        display,
        {
          ...(stdin ? { stdin } : {}),
          timeoutMs,
          ...(opts.maxOutputBytes !== undefined ? { maxOutputBytes: opts.maxOutputBytes } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        },
        p,
      );
      const result: CommandResult = {
        host: host.name,
        command: display,
        exitCode: raw.exitCode,
        signal: raw.signal,
        // registered secrets only: a command's output may hold a new secret to capture (shapes are scrubbed where output is shown or stored)
        stdout: redactRegistered(raw.stdout.toString('utf8')),
        stderr: redactRegistered(raw.stderr.toString('utf8')),
        durationMs: raw.durationMs,
        truncated: raw.stdoutDropped > 0 || raw.stderrDropped > 0,
      };
      const why = this.#sudoRefusal(p.plan, raw, result.stderr);
      if (why) throw new TransportError(host.name, 'sudo', `run ${display} (through sudo as ${host.user}): ${why}`);
      emit({
        type: 'command-end',
        host: host.name,
        command: display,
        exitCode: result.exitCode,
        signal: result.signal,
        durationMs: result.durationMs,
        truncated: result.truncated,
      });
      return result;
    } catch (e) {
      const err =
        e instanceof TransportError ? e : new TransportError(host.name, 'disconnected', `run ${display}: ${redact((e as Error).message)}`, { cause: e });
      emit({ type: 'command-fail', host: host.name, command: display, kind: err.kind, message: err.message });
      throw err;
    }
  }

  async upload(host: Host, remotePath: string, content: string | Buffer, opts: UploadOptions = {}): Promise<void> {
    const mode = opts.mode ?? 0o644;
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    const what = `upload ${remotePath} (${data.length} bytes, mode ${mode.toString(8)}${opts.owner ? `, owner ${opts.owner}` : ''})`;
    if (sudoPlan(host, undefined) === 'direct') {
      const conn = this.#connection(host);
      const tmp = tempName(remotePath);
      try {
        await conn.withSftp(async (sftp) => {
          try {
            await sftpWriteTemp(sftp, tmp, data, mode);
          } catch (e) {
            await sftpRemoveQuietly(sftp, tmp);
            throw e;
          }
        });
        if (opts.owner) {
          const r = await this.run(host, ['chown', '--', opts.owner, tmp], { sudo: false });
          if (r.exitCode !== 0) {
            await conn.withSftp((sftp) => sftpRemoveQuietly(sftp, tmp)).catch(() => undefined);
            throw new Error(`chown ${opts.owner}: exit ${r.exitCode}: ${r.stderr.trim()}`);
          }
        }
        await conn.withSftp(async (sftp) => {
          try {
            await sftpRename(sftp, tmp, remotePath);
          } catch (e) {
            await sftpRemoveQuietly(sftp, tmp);
            throw e;
          }
        });
      } catch (e) {
        if (e instanceof TransportError && e.kind !== 'sftp') throw e;
        const msg = e instanceof TransportError ? e.message.slice(host.name.length + 2) : (e as Error).message;
        throw new TransportError(host.name, 'sftp', `${what}: ${msg}`, { cause: e });
      }
      return;
    }
    const argv = sudoUploadArgv(remotePath, data, mode, opts.owner);
    const tmp = argv[5]!;
    let r: CommandResult;
    try {
      r = await this.run(host, argv, { stdin: data, maxOutputBytes: 64 << 10 });
    } catch (e) {
      // a timeout or abort SIGKILLs the script before its trap can run: remove its temp file here
      await this.run(host, ['rm', '-f', '--', tmp], { timeoutMs: 10_000 }).catch(() => undefined);
      throw e;
    }
    if (r.exitCode !== 0) {
      throw new TransportError(host.name, 'sftp', `${what} through sudo: exit ${r.exitCode}: ${r.stderr.trim()}`);
    }
  }

  async download(host: Host, remotePath: string): Promise<Buffer> {
    const conn = this.#connection(host);
    if (sudoPlan(host, undefined) === 'direct') {
      try {
        return await conn.withSftp((sftp) => sftpRead(sftp, remotePath));
      } catch (e) {
        if (e instanceof TransportError && e.kind !== 'sftp') throw e;
        throw new TransportError(host.name, 'sftp', `download ${remotePath}: ${(e as Error).message}`, { cause: e });
      }
    }
    const argv = ['cat', '--', remotePath];
    const display = quoteArgv(argv).display;
    const p = await this.#prepare(host, conn, undefined);
    const raw = await this.#exec(
      host,
      conn,
      argv,
      display,
      {
        timeoutMs: this.inv.ssh.commandTimeoutMs,
        maxOutputBytes: MAX_DOWNLOAD_BYTES,
      },
      p,
    );
    const stderr = redact(raw.stderr.toString('utf8'));
    const why = this.#sudoRefusal(p.plan, raw, stderr);
    if (why) throw new TransportError(host.name, 'sudo', `download ${remotePath} (through sudo as ${host.user}): ${why}`);
    if (raw.exitCode !== 0) {
      throw new TransportError(host.name, 'sftp', `download ${remotePath} through sudo: exit ${raw.exitCode}: ${stderr.trim()}`);
    }
    if (raw.stdoutDropped > 0) {
      throw new TransportError(host.name, 'sftp', `download ${remotePath}: larger than ${MAX_DOWNLOAD_BYTES} bytes`);
    }
    return raw.stdout;
  }

  async forward(host: Host, targetHost: string, targetPort: number): Promise<{ localPort: number; close(): Promise<void> }> {
    const conn = this.#connection(host);
    await conn.client(); // fail now, not at the first local connection
    const fwd = await listenForward(
      async () => {
        try {
          return await conn.openTcp(targetHost, targetPort);
        } catch (e) {
          throw new TransportError(host.name, 'connect', `forward to ${targetHost}:${targetPort}: ${(e as Error).message}`, {
            cause: e,
          });
        }
      },
      (e) => this.#ctx.emit({ type: 'connect-fail', host: host.name, kind: 'connect', message: e.message }),
    );
    this.#forwards.add(fwd);
    return {
      localPort: fwd.localPort,
      close: async () => {
        this.#forwards.delete(fwd);
        await fwd.close();
      },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#forwards].map((f) => f.close()));
    this.#forwards.clear();
    const all = [...this.connections.values()];
    // targets first, then the jump hosts their streams run through
    await Promise.all(all.filter((c) => c.via).map((c) => c.end()));
    await Promise.all(all.filter((c) => !c.via).map((c) => c.end()));
  }
}
