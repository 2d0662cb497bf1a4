/**
 * A fake transport for unit tests (np's stub-execa, as a table): answers `{host, command}`
 * from rules and records every command it was sent, so tests can assert what reached a host.
 */
import type { Host, Inventory } from '../../lib/inventory/types.js';
import type { CommandResult, RunOptions, Transport, UploadOptions } from '../../lib/transport/types.js';
import { TransportError } from '../../lib/transport/types.js';
import { quoteArgv } from '../../lib/shell/quote.js';
import type { Arg } from '../../lib/shell/secret.js';

/** What a rule answers. */
export interface FakeAnswer {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
  /** Wait this long before answering (to observe concurrency). */
  delayMs?: number;
  /** Reject with a TransportError of this kind instead of answering. */
  transportError?: 'connect' | 'timeout' | 'disconnected';
}

/** A rule: host (name, or '*'), command (exact display string, a RegExp, or a predicate) -> answer. */
export interface FakeRule {
  host?: string | RegExp;
  command: string | RegExp;
  answer: FakeAnswer | ((host: Host, command: string) => FakeAnswer);
}

/** One call the fake saw. */
export interface FakeCall {
  host: string;
  op: 'run' | 'upload' | 'download' | 'forward';
  /** Display form (secrets as placeholders) for run; path for upload/download. */
  command: string;
  /** Wire form as the host would get it (for secret-leak tests: never print it). */
  wire: string;
  stdin?: string;
}

/** The fake transport: `calls` holds everything that reached a "host"; `inFlight`/`maxInFlight` measure concurrency. */
export class FakeTransport implements Transport {
  readonly calls: FakeCall[] = [];
  readonly files = new Map<string, Buffer>();
  inFlight = 0;
  maxInFlight = 0;
  closed = false;

  constructor(
    readonly rules: FakeRule[] = [],
    readonly fallback: FakeAnswer = { exitCode: 0 },
  ) {}

  /** Add a rule in front of the others (the last rule added wins). */
  on(command: string | RegExp, answer: FakeRule['answer'], host?: string | RegExp): this {
    this.rules.unshift({ command, answer, host });
    return this;
  }

  /** Commands (display form) sent to a host, in order. */
  commandsOn(host: string): string[] {
    return this.calls.filter((c) => c.host === host && c.op === 'run').map((c) => c.command);
  }

  private answerFor(host: Host, command: string): FakeAnswer {
    for (const r of this.rules) {
      const hostOk = r.host === undefined || r.host === '*' || (typeof r.host === 'string' ? r.host === host.name : r.host.test(host.name));
      const cmdOk = typeof r.command === 'string' ? r.command === command : r.command.test(command);
      if (hostOk && cmdOk) return typeof r.answer === 'function' ? r.answer(host, command) : r.answer;
    }
    return this.fallback;
  }

  async run(host: Host, argv: readonly Arg[], opts: RunOptions = {}): Promise<CommandResult> {
    const q = quoteArgv(argv);
    this.calls.push({ host: host.name, op: 'run', command: q.display, wire: q.wire, stdin: opts.stdin?.toString() });
    const a = this.answerFor(host, q.display);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const t0 = performance.now();
    try {
      if (a.delayMs) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, a.delayMs);
          opts.signal?.addEventListener(
            'abort',
            () => {
              clearTimeout(t);
              reject(new TransportError(host.name, 'aborted', `${q.display}: aborted`));
            },
            { once: true },
          );
        });
      }
      if (a.transportError) throw new TransportError(host.name, a.transportError, `${q.display}: ${a.transportError}`);
      return {
        host: host.name,
        command: q.display,
        exitCode: a.exitCode ?? 0,
        signal: null,
        stdout: a.stdout ?? '',
        stderr: a.stderr ?? '',
        durationMs: performance.now() - t0,
        truncated: false,
      };
    } finally {
      this.inFlight--;
    }
  }

  async upload(host: Host, remotePath: string, content: string | Buffer, _opts?: UploadOptions): Promise<void> {
    this.calls.push({ host: host.name, op: 'upload', command: remotePath, wire: remotePath });
    this.files.set(`${host.name}:${remotePath}`, Buffer.from(content));
  }

  async download(host: Host, remotePath: string): Promise<Buffer> {
    this.calls.push({ host: host.name, op: 'download', command: remotePath, wire: remotePath });
    const b = this.files.get(`${host.name}:${remotePath}`);
    if (!b) throw new TransportError(host.name, 'sftp', `download ${remotePath}: no such file`);
    return b;
  }

  async forward(host: Host, targetHost: string, targetPort: number): Promise<{ localPort: number; close(): Promise<void> }> {
    this.calls.push({ host: host.name, op: 'forward', command: `${targetHost}:${targetPort}`, wire: '' });
    return { localPort: 0, close: async () => {} };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A host with defaults, for tests. */
export function fakeHost(name: string, over: Partial<Host> = {}): Host {
  return {
    name,
    address: `10.0.0.${name.length}`,
    role: name.startsWith('m') ? 'master' : 'worker',
    port: 22,
    user: 'root',
    sudo: 'none',
    labels: {},
    first: false,
    ...over,
  };
}

/** An inventory of masters m1..mM (m1 first) and workers w1..wW, for tests. */
export function fakeInventory(masters = 3, workers = 3, over: Partial<Inventory> = {}): Inventory {
  const hosts: Host[] = [];
  for (let i = 1; i <= masters; i++) hosts.push(fakeHost(`m${i}`, { role: 'master', first: i === 1, address: `10.0.1.${i}` }));
  for (let i = 1; i <= workers; i++) hosts.push(fakeHost(`w${i}`, { role: 'worker', address: `10.0.2.${i}` }));
  return {
    file: '/tmp/fake-inventory.yaml',
    cluster: 'fake',
    controlPlaneEndpoint: '10.0.1.1:6443',
    ssh: { user: 'root', port: 22, knownHosts: '/tmp/known_hosts', sudo: 'none', connectTimeoutMs: 1000, commandTimeoutMs: 5000 },
    hosts,
    warnings: [],
    ...over,
  };
}
