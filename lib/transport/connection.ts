/**
 * One SSH connection to one host: made on first use, reused for every command of the run,
 * channels queued under sshd's MaxSessions, host key checked, reached through a jump host
 * when one is set. A dropped connection is made again for the next command, never retried
 * under a command that was running.
 */
import type { Duplex } from 'node:stream';
import PQueue from 'p-queue';
import ssh2 from 'ssh2';
import type { AuthHandlerMiddleware, Client, ConnectConfig, ParsedKey, SFTPWrapper } from 'ssh2';
import { TransportError } from './types.js';
import type { TransportEvent } from './options.js';
import type { KeyStore } from './auth.js';
import { authMethods } from './auth.js';
import type { HostKeyChecker } from './verify.js';

/** Key exchanges named in $KUBEMEND_SSH_KEX (comma-separated, e.g. curve25519-sha256), or undefined for ssh2's defaults. */
export function pinnedKex(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const list = (env.KUBEMEND_SSH_KEX ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list.length ? list : undefined;
}

/** Where and as whom to connect. */
export interface ConnectTarget {
  /** The name used in errors and events (inventory host name, or the jump host). */
  name: string;
  address: string;
  port: number;
  user: string;
  identityFile?: string;
}

/** What every connection of a transport shares. */
export interface ConnectionContext {
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  maxChannels: number;
  agent: string | undefined;
  keys: KeyStore;
  hostKeys: HostKeyChecker;
  emit(e: TransportEvent): void;
}

/** The id of a connection: one per user@address:port (and jump). */
export function connectionId(t: ConnectTarget, via?: Connection): string {
  return `${t.user}@${t.address}:${t.port}${via ? ` via ${via.id}` : ''}`;
}

/** One host's SSH connection and its channel queue. */
export class Connection {
  readonly id: string;
  /** Channels (exec, sftp) wait here so no more than maxChannels are open at once. */
  readonly queue: PQueue;
  #client: Promise<Client> | undefined;
  #live: Client | undefined;
  /** The client of a handshake in progress (ended at once by end(), not waited for). */
  #handshaking: Client | undefined;
  #permanent: TransportError | undefined;
  #closing = false;
  /** How many TCP connections (or jump channels) this connection has made, for tests and benchmarks. */
  connects = 0;

  constructor(
    readonly target: ConnectTarget,
    private readonly ctx: ConnectionContext,
    readonly via?: Connection,
  ) {
    this.id = connectionId(target, via);
    this.queue = new PQueue({ concurrency: Math.max(1, ctx.maxChannels) });
  }

  /** The connected client: made on first call, and again after a drop. */
  client(): Promise<Client> {
    if (this.#permanent) return Promise.reject(this.#permanent);
    if (this.#closing) {
      return Promise.reject(new TransportError(this.target.name, 'disconnected', 'the transport is closed'));
    }
    if (!this.#client) {
      const p = this.#connect();
      this.#client = p;
      p.catch(() => {
        if (this.#client === p) this.#client = undefined;
      });
    }
    return this.#client;
  }

  /** Runs fn with a channel slot of this connection's queue. */
  withChannel<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    return this.queue.add(async () => fn(await this.client())) as Promise<T>;
  }

  /** Runs fn with an SFTP session (one channel slot), ended afterwards. */
  withSftp<T>(fn: (s: SFTPWrapper) => Promise<T>): Promise<T> {
    return this.withChannel(
      (c) =>
        new Promise<T>((resolve, reject) => {
          c.sftp((err, sftp) => {
            if (err) {
              reject(new TransportError(this.target.name, 'sftp', `opening an SFTP session: ${err.message}`, { cause: err }));
              return;
            }
            fn(sftp).then(
              (v) => {
                sftp.end();
                resolve(v);
              },
              (e: unknown) => {
                sftp.end();
                reject(e);
              },
            );
          });
        }),
    );
  }

  /** A TCP stream to address:port opened from this host (direct-tcpip; not a session channel). */
  async openTcp(address: string, port: number): Promise<Duplex> {
    const c = await this.client();
    return new Promise((resolve, reject) => {
      c.forwardOut('127.0.0.1', 0, address, port, (err, stream) => {
        if (err) reject(err);
        else resolve(stream);
      });
    });
  }

  /** Ends the connection (and lets the next call fail instead of reconnecting). */
  async end(): Promise<void> {
    this.#closing = true;
    const p = this.#client;
    this.#client = undefined;
    if (!p) return;
    // a handshake still in progress (an unanswering host) is cut now: closing must not wait for its timeout
    this.#handshaking?.destroy();
    this.#handshaking = undefined;
    let c: Client;
    try {
      c = await p;
    } catch {
      return;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        c.destroy();
        resolve();
      }, 2000);
      c.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      c.end();
    });
  }

  /** True while a connected client is up. */
  get connected(): boolean {
    return this.#live !== undefined;
  }

  async #connect(): Promise<Client> {
    const t = this.target;
    const started = performance.now();
    this.ctx.emit({
      type: 'connect-start',
      host: t.name,
      address: t.address,
      port: t.port,
      user: t.user,
      ...(this.via ? { via: this.via.target.name } : {}),
    });
    try {
      const c = await this.#handshake();
      this.ctx.emit({
        type: 'connect-ok',
        host: t.name,
        durationMs: Math.round(performance.now() - started),
        ...(this.via ? { via: this.via.target.name } : {}),
      });
      return c;
    } catch (e) {
      const err =
        e instanceof TransportError ? e : new TransportError(t.name, 'connect', `connect to ${t.address}:${t.port}: ${(e as Error).message}`, { cause: e });
      if (err.kind === 'host-key-changed' || err.kind === 'host-key-unknown') this.#permanent = err;
      this.ctx.emit({ type: 'connect-fail', host: t.name, kind: err.kind, message: err.message });
      throw err;
    }
  }

  async #handshake(): Promise<Client> {
    const t = this.target;
    const where = `${t.user}@${t.address}:${t.port}`;
    // without an agent the key is needed anyway: read it (and ask its passphrase) before the
    // handshake clock starts; with an agent, only when the agent's keys were refused
    let key: ParsedKey | undefined;
    if (t.identityFile && !this.ctx.agent) {
      try {
        key = await this.ctx.keys.load(t.identityFile);
      } catch (e) {
        throw new TransportError(t.name, 'auth', `connect to ${where}: ${(e as Error).message}`, { cause: e });
      }
    }
    let sock: Duplex | undefined;
    if (this.via) {
      try {
        sock = await this.via.openTcp(t.address, t.port);
      } catch (e) {
        const msg = e instanceof TransportError ? e.message : (e as Error).message;
        throw new TransportError(t.name, 'connect', `connect to ${where} through jump host ${this.via.target.name}: ${msg}`, {
          cause: e,
        });
      }
    }
    this.connects++;
    const client = new ssh2.Client();
    this.#handshaking = client;
    let hostKeyError: TransportError | undefined;
    let keyError: Error | undefined;
    const hostKeys = this.ctx.hostKeys;
    const kex = pinnedKex();

    const auth: AuthHandlerMiddleware = (() => {
      const methods: Array<'agent' | 'publickey'> = [];
      if (this.ctx.agent) methods.push('agent');
      if (t.identityFile) methods.push('publickey');
      let i = 0;
      return (_left, _partial, next) => {
        const m = methods[i++];
        if (m === undefined) {
          next(false as never);
          return;
        }
        if (m === 'agent') {
          next(authMethods(t.user, this.ctx.agent, undefined)[0]!);
          return;
        }
        const have = key ? Promise.resolve(key) : this.ctx.keys.load(t.identityFile!);
        have.then(
          (k) => next({ type: 'publickey', username: t.user, key: k }),
          (e: Error) => {
            keyError = e;
            next(false as never);
          },
        );
      };
    })();

    const config: ConnectConfig = {
      host: t.address,
      port: t.port,
      username: t.user,
      readyTimeout: this.ctx.connectTimeoutMs,
      keepaliveInterval: this.ctx.keepaliveIntervalMs,
      keepaliveCountMax: this.ctx.keepaliveCountMax,
      authHandler: auth,
      ...(kex ? { algorithms: { kex: kex as NonNullable<ConnectConfig['algorithms']>['kex'] } } : {}),
      hostVerifier: (blob: Buffer, verify: (ok: boolean) => void) => {
        hostKeys.check(t.name, t.address, t.port, blob).then(
          () => verify(true),
          (e: TransportError) => {
            hostKeyError = e;
            verify(false);
          },
        );
      },
      ...(sock ? { sock: sock as unknown as ConnectConfig['sock'] } : {}),
    };

    return new Promise<Client>((resolve, reject) => {
      let ready = false;
      let failed = false;
      const fail = (err: TransportError) => {
        if (ready || failed) return;
        failed = true;
        client.destroy();
        reject(err);
      };
      // ssh2 may emit 'error' several times: `on`, never `once`
      client.on('error', (e: Error & { level?: string }) => {
        if (ready) return; // reported through 'close' to the commands that were running
        if (hostKeyError) return fail(hostKeyError);
        if (e.level === 'client-authentication') {
          const tried = [this.ctx.agent ? 'ssh-agent' : '', t.identityFile ? `key ${t.identityFile}` : ''].filter(Boolean).join(', ');
          const why = keyError ? ` (${keyError.message})` : '';
          return fail(
            new TransportError(t.name, 'auth', `connect to ${where}: authentication failed (tried ${tried || 'none'})${why}`, {
              cause: e,
            }),
          );
        }
        if (e.level === 'client-timeout') {
          return fail(
            new TransportError(t.name, 'connect', `connect to ${where}: no SSH handshake within ${this.ctx.connectTimeoutMs} ms`, {
              cause: e,
            }),
          );
        }
        fail(new TransportError(t.name, 'connect', `connect to ${where}: ${e.message}`, { cause: e }));
      });
      client.on('close', () => {
        if (!ready) {
          fail(hostKeyError ?? new TransportError(t.name, 'connect', `connect to ${where}: connection closed during the handshake`));
          return;
        }
        if (this.#live !== client) return;
        // the next command makes a new connection
        this.#live = undefined;
        this.#client = undefined;
        if (!this.#closing) this.ctx.emit({ type: 'disconnected', host: t.name, message: `connection to ${where} closed` });
      });
      client.on('ready', () => {
        ready = true;
        if (this.#handshaking === client) this.#handshaking = undefined;
        this.#live = client;
        resolve(client);
      });
      try {
        client.connect(config);
      } catch (e) {
        fail(new TransportError(t.name, 'connect', `connect to ${where}: ${(e as Error).message}`, { cause: e }));
      }
    });
  }
}
