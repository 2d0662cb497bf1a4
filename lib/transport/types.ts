/** The transport contract: how kubemend reaches a host. ssh2 in real runs, a table in unit tests. */
import type { Host } from '../inventory/types.js';
import type { Arg } from '../shell/secret.js';

/** Options for one remote command. */
export interface RunOptions {
  /** Kill the command and fail after this many ms (default: the inventory's commandTimeoutMs). */
  timeoutMs?: number;
  /** Bytes fed to the command's stdin (may hold secrets: never logged). */
  stdin?: string | Buffer;
  /** Run as root through sudo when the host's user is not root (default true). */
  sudo?: boolean;
  /** Keep at most this many bytes of stdout and of stderr (default 1 MiB each); the rest is counted, not kept. */
  maxOutputBytes?: number;
  /** Abort the command (the channel is closed, the remote process gets SIGTERM/SIGHUP). */
  signal?: AbortSignal;
}

/** The result of one remote command, shaped like execa's. Never thrown for a non-zero exit. */
export interface CommandResult {
  host: string;
  /** The command as shown to people: secrets as placeholders. */
  command: string;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** True when stdout or stderr was cut at maxOutputBytes. */
  truncated: boolean;
}

/** Options for an upload. */
export interface UploadOptions {
  /** File mode, e.g. 0o600 (default 0o644). */
  mode?: number;
  /** owner[:group] (default: unchanged, root when written through sudo). */
  owner?: string;
}

/** Why the transport could not do what was asked (not a command's own failure). */
export type TransportErrorKind = 'connect' | 'auth' | 'host-key-unknown' | 'host-key-changed' | 'timeout' | 'disconnected' | 'sudo' | 'sftp' | 'aborted';

/** A failure to reach or drive a host; message names the host and what was being done. */
export class TransportError extends Error {
  constructor(
    readonly host: string,
    readonly kind: TransportErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${host}: ${message}`, options);
    this.name = 'TransportError';
  }
}

/** Reaches hosts: one connection per host, reused for every command of a run. */
export interface Transport {
  /** Run argv on host (quoted by quoteArgv). Resolves for any exit code; rejects with TransportError. */
  run(host: Host, argv: readonly Arg[], opts?: RunOptions): Promise<CommandResult>;
  /** Write content to remotePath on host (through sudo where needed). */
  upload(host: Host, remotePath: string, content: string | Buffer, opts?: UploadOptions): Promise<void>;
  /** Read remotePath from host (through sudo where needed). */
  download(host: Host, remotePath: string): Promise<Buffer>;
  /** A local TCP port forwarded through host's SSH connection to target host:port (for the API tunnel). */
  forward(host: Host, targetHost: string, targetPort: number): Promise<{ localPort: number; close(): Promise<void> }>;
  /** Close every connection. */
  close(): Promise<void>;
}
