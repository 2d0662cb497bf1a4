/**
 * The playbook contract: a playbook is one ordered list of phases; a phase selects its hosts
 * when it starts and runs per host (or once for the cluster). Facts are read-only; actions go
 * through the context, which alone knows whether this is a dry run.
 */
import type { z } from 'zod';
import type { Host, Inventory } from '../inventory/types.js';
import type { CommandResult, UploadOptions } from '../transport/types.js';
import type { RetryPolicy } from './retry.js';
import type { Arg, Secret } from '../shell/secret.js';
import type { Shared } from './shared.js';

/** A count or a percentage of the phase's hosts, e.g. 5 or '25%'. */
export type CountOrPercent = number | `${number}%`;

/** What a rolling gate may report: hosts of the batch that did not pass (they count as failed). */
// biome-ignore lint/suspicious/noConfusingVoidType: a gate that finds nothing just ends (an async () => {} is Promise<void>, not Promise<undefined>)
export type GateResult = void | Array<{ host: string; reason: string }>;

/** How a phase walks its hosts. */
export type Strategy =
  /** One host after the other; the first failure stops the phase (unless maxFailures allows). */
  | { kind: 'serial'; maxFailures?: CountOrPercent }
  /** All hosts at once, at most `concurrency` in flight (default: the run's --concurrency, 20). */
  | { kind: 'parallel'; concurrency?: number; maxFailures?: CountOrPercent }
  /**
   * Batches of `batch` hosts (or a percentage of the phase's hosts); within a batch at most
   * `maxUnavailable` hosts are worked on at once (default: the batch size); `gate` runs after
   * each batch (e.g. wait for Node Ready). A failed host leaves the run; once more than
   * `maxFailures` hosts failed (default 0) the phase stops and the run fails.
   */
  | {
      kind: 'rolling';
      batch: CountOrPercent;
      maxUnavailable?: CountOrPercent;
      maxFailures?: CountOrPercent;
      gate?: (ctx: PhaseContext, batch: Host[]) => Promise<GateResult>;
    };

/** Options for a command run on a host. */
export interface CommandOptions {
  /** Kill the command and fail after this many ms (default: the inventory's commandTimeoutMs). */
  timeoutMs?: number;
  /** Bytes fed to stdin (never logged). */
  stdin?: string | Buffer;
  /** Resolve with the result instead of throwing when the exit code is not 0. */
  allowFail?: boolean;
  /** Run through sudo when the host user is not root (default true). */
  sudo?: boolean;
  /** What this command does, for error messages (default: the command's first words). */
  what?: string;
  /** Its output may hold secrets (bytes of etcd's data): never journaled, logged or put in an error. */
  secretOutput?: boolean;
  /**
   * The command is safe to repeat (the policy says why): a failure whose output shows a transient
   * cause (lib/core/transient.ts) is retried with backoff, each retry journaled. Not in dry runs.
   */
  retry?: RetryPolicy;
}

/** A read-only probe: a command whose output is parsed into a typed value. Runs in dry runs too. */
export interface Fact<T> {
  /** Unique id, also the cache key (per host, per run). */
  id: string;
  argv: readonly Arg[];
  parse(stdout: string, exitCode: number | null): T;
}

/** Options for capture(). */
export interface CaptureOptions {
  /** The value is a secret: returned as a Secret, never journaled or printed. */
  secret?: boolean;
}

/** What every phase callback sees: the run, its inventory, options and captured values. */
export interface PhaseContext<O = unknown> {
  /** Hierarchical id of the running phase, e.g. `etcd/certs`. */
  readonly phase: string;
  readonly inventory: Inventory;
  /** Hosts still in the run: the --limit selection minus hosts that failed earlier. */
  readonly hosts: readonly Host[];
  /** Validated playbook options. */
  readonly options: O;
  /** Aborted when the run is interrupted (SIGINT): stop starting new work. */
  readonly signal: AbortSignal;
  /** A value captured earlier in this run (throws when unknown). */
  get(name: string): string | Secret;
  /** True when a value was captured under this name. */
  has(name: string): boolean;
  /** Record a message in the journal and logs (redacted). */
  log(message: string, level?: 'info' | 'warn'): void;
  /**
   * A mutating action that is not a command (an API call): `fn` runs in a real run; a dry run
   * records `description` and returns `dryValue`.
   */
  wet<T>(description: string, fn: () => Promise<T>, dryValue: T): Promise<T>;
  /**
   * Run `fn`, a step that is safe to repeat (`policy.idempotent` says why), again on a transient
   * error, with backoff, up to policy.attempts; each retry is journaled with its cause.
   */
  retry<T>(step: string, policy: RetryPolicy, fn: () => Promise<T>): Promise<T>;
  /** A context to drive another host from this phase (e.g. read the CA from the first master). */
  on(host: Host): HostContext<O>;
  /** A local TCP port forwarded through `host` to targetHost:targetPort (e.g. the API server); also in dry runs. */
  forward(host: Host, targetHost: string, targetPort: number): Promise<{ localPort: number; close(): Promise<void> }>;
  /** Run-scoped scratch space shared by all phases (API clients, tunnels), typed by key (lib/core/shared.ts); never journaled. */
  readonly shared: Shared;
}

/** What a phase's per-host run() sees. */
export interface HostContext<O = unknown> extends PhaseContext<O> {
  readonly host: Host;
  /** Run a fact (read-only; cached per host per run; runs in dry runs too). */
  fact<T>(f: Fact<T>): Promise<T>;
  /** A read-only command: runs in dry runs too. Throws on a non-zero exit unless allowFail. */
  read(argv: readonly Arg[], opts?: CommandOptions): Promise<CommandResult>;
  /** A MUTATING command: a dry run records it and does not send it. Throws on a non-zero exit unless allowFail. */
  run(argv: readonly Arg[], opts?: CommandOptions): Promise<CommandResult>;
  /** Write a file on the host (mutating). */
  upload(remotePath: string, content: string | Buffer, opts?: UploadOptions): Promise<void>;
  /** Read a file from the host (read-only; runs in dry runs too). */
  download(remotePath: string): Promise<Buffer>;
  /**
   * Capture a value for later phases (a join token): `fn`'s result in a run, the placeholder
   * `<name>` in a dry run (fn still runs there, so its commands are planned). With
   * `{secret: true}` the value is a Secret.
   */
  capture(name: string, fn: () => Promise<string>, opts: CaptureOptions & { secret: true }): Promise<Secret>;
  capture(name: string, fn: () => Promise<string>, opts?: CaptureOptions): Promise<string>;
}

interface PhaseBase<O> {
  /** Hierarchical id: `etcd/certs`; `--only etcd` matches it. */
  id: string;
  title: string;
  /** Changes something that cannot simply be undone (shown in the plan). */
  destructive?: boolean;
  /** Run again on resume even when it completed (phases that only capture values, e.g. a join token). */
  rerunOnResume?: boolean;
  /** A safety check that `--only` and `--from` cannot leave out and `--skip` refuses (lib/core/select.ts). */
  guard?: boolean;
  /** Called once before the phase's hosts run; may throw to fail the phase. */
  prepare?(ctx: PhaseContext<O>): Promise<void>;
  /** Return false to skip the phase (it is recorded as skipped). */
  shouldRun?(ctx: PhaseContext<O>): Promise<boolean> | boolean;
  /** Called once after the phase (also after a failure). */
  cleanUp?(ctx: PhaseContext<O>): Promise<void>;
}

/** A phase that runs once per selected host. */
export interface HostPhase<O = unknown> extends PhaseBase<O> {
  scope?: 'hosts';
  /** The hosts this phase works on, chosen when it starts from ctx.hosts; skipped when empty. */
  hosts(ctx: PhaseContext<O>): readonly Host[];
  /** How the hosts are walked (may depend on the options). */
  strategy: Strategy | ((ctx: PhaseContext<O>) => Strategy);
  run(hctx: HostContext<O>): Promise<void>;
}

/** A phase that runs once for the cluster (API work); use ctx.on(host) to reach a host. */
export interface ClusterPhase<O = unknown> extends PhaseBase<O> {
  scope: 'cluster';
  run(ctx: PhaseContext<O>): Promise<void>;
}

/** One step of a playbook. */
export type Phase<O = unknown> = HostPhase<O> | ClusterPhase<O>;

/**
 * A playbook that acts on hosts the operator picks: run in a terminal without --limit, the CLI
 * offers them in a checkbox; without a terminal it asks for --limit (or --yes: every host).
 */
export interface SubsetSelection {
  /** Roles offered (default: every role). */
  roles?: Array<Host['role']>;
  /** Which hosts start checked (default 'all'): the NotReady Nodes, every host, or none. */
  preselect?: 'not-ready' | 'all' | 'none';
}

/** A named, ordered list of phases, with its own validated options. */
export interface Playbook<O = unknown> {
  name: string;
  /** One line, shown by `kubemend playbooks`. */
  description: string;
  /** Changes the cluster in ways that cannot simply be undone (shown in `kubemend playbooks`). */
  destructive: boolean;
  /** Never changes anything: `run` needs no confirmation (a mutating step in its plan is refused). */
  readOnly?: boolean;
  /** zod object schema of the playbook's options; each key becomes a CLI flag (`batchSize` -> `--batch-size`). */
  options?: z.ZodObject & z.ZodType<O>;
  /** Acts on a subset of hosts chosen by the operator (checkbox in a terminal, else --limit). */
  subset?: SubsetSelection;
  /** Not one of the user's playbooks (a benchmark's workload): runnable by name, but not listed or completed. */
  hidden?: boolean;
  /** Works when etcd runs apart from the masters (Inventory.etcd separate); otherwise such an inventory is refused before any host is contacted. */
  separateEtcd?: boolean;
  /** Works on kubespray's etcd service (etcd_deployment_type host), on the masters or on an etcd group apart; otherwise such an inventory is refused before any host is contacted. */
  kubesprayEtcd?: boolean;
  phases: Phase<O>[];
}

/**
 * A playbook whatever its options (the registry, the CLI, the runner): its phases only ever see
 * the options its own schema parsed, so no caller needs to know their type.
 */
export interface AnyPlaybook extends Omit<Playbook<never>, 'options'> {
  options?: z.ZodObject;
}

/** Define a playbook with typed options (identity function, for inference). */
export function definePlaybook<O>(p: Playbook<O>): Playbook<O> {
  return p;
}
