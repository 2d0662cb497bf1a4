/**
 * Run events: a discriminated union with one formatter per kind. The journal stores them,
 * the renderers print them; every string in them has been through redact().
 */
import { redact } from '../shell/secret.js';
import type { Cost } from './trace.js';

/** How one phase x host pair ended. */
export type HostStatus = 'ok' | 'failed' | 'skipped' | 'interrupted';

/** What kind of step a command event records. */
export type StepKind = 'run' | 'read' | 'fact' | 'upload' | 'download' | 'wet';

/** Steps that change a host or the cluster (a dry run records them and does not send them). */
export const MUTATING: ReadonlySet<StepKind> = new Set(['run', 'upload', 'wet']);

/** Every event of a run. */
export type RunEvent =
  | {
      kind: 'run-start';
      runId: string;
      playbook: string;
      inventory: string;
      cluster: string;
      options: unknown;
      selection: Selection;
      version: string;
      dryRun: boolean;
      resumed?: boolean;
    }
  | { kind: 'phase-start'; phase: string; title: string; hosts: string[]; strategy: string }
  | { kind: 'phase-skip'; phase: string; reason: string }
  /** `cost`: kubemend's own CPU in the phase, and how long it was blocked on remote commands and API calls (lib/core/trace.ts). */
  | { kind: 'phase-end'; phase: string; status: 'ok' | 'failed' | 'interrupted'; durationMs: number; failed: string[]; cost?: Cost }
  | { kind: 'batch'; phase: string; index: number; hosts: string[] }
  | { kind: 'gate'; phase: string; index: number; ok: boolean; failed: string[]; error?: string }
  | { kind: 'host-start'; phase: string; host: string }
  | { kind: 'host-end'; phase: string; host: string; status: HostStatus; durationMs: number; error?: string; reason?: string }
  | {
      kind: 'command';
      phase: string;
      host: string;
      step: StepKind;
      command: string;
      exitCode: number | null;
      durationMs: number;
      dryRun: boolean;
      stdoutTail?: string;
      stderrTail?: string;
    }
  | { kind: 'capture'; phase: string; host: string; name: string; secret: boolean; dryRun: boolean }
  | { kind: 'log'; phase: string; host?: string; level: 'info' | 'warn'; message: string }
  /** A step that is safe to repeat failed with a transient error and is tried again after delayMs (cause: a fixed label, never output). */
  | { kind: 'retry'; phase: string; host: string; step: string; attempt: number; attempts: number; delayMs: number; cause: string }
  | {
      kind: 'run-end';
      runId: string;
      status: 'done' | 'failed' | 'interrupted';
      durationMs: number;
      exitCode: number;
      failures: Array<{ host: string; phase: string; error: string }>;
      cost?: Cost;
    };

/** The phase selection given on the command line. */
export interface Selection {
  only?: string[];
  skip?: string[];
  from?: string;
  limit?: string;
}

/** An event as stored: with a timestamp and a sequence number. */
export type StampedEvent = RunEvent & { ts: string; seq: number };

/** Something that receives events (journal, renderer, plan recorder). */
export type EventSink = (e: StampedEvent) => void;

/** Keep the last `max` characters of a text, redacted. */
export function tail(text: string, max = 2000): string {
  const t = text.length > max ? '…' + text.slice(-max) : text;
  return redact(t);
}

/** Redact every string inside a JSON-like value. */
export function redactDeep<T>(v: T): T {
  if (typeof v === 'string') return redact(v) as T;
  if (Array.isArray(v)) return v.map(redactDeep) as T;
  if (v && typeof v === 'object' && (v as object).constructor === Object) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = redactDeep(x);
    return out as T;
  }
  return v;
}

const ms = (d: number) => (d >= 1000 ? `${(d / 1000).toFixed(1)}s` : `${Math.round(d)}ms`);

type Formatters = { [K in RunEvent['kind']]: (e: Extract<RunEvent, { kind: K }>, verbose: boolean) => string | undefined };

/** One human line per event kind (undefined: not shown unless verbose). */
const formatters: Formatters = {
  'run-start': (e) => `${e.dryRun ? 'plan' : e.resumed ? 'resume' : 'run'} ${e.playbook} on ${e.cluster} (run ${e.runId})`,
  'phase-start': (e) => `== ${e.phase}: ${e.title} [${e.hosts.length ? `${e.hosts.length} host${e.hosts.length > 1 ? 's' : ''}, ` : ''}${e.strategy}]`,
  'phase-skip': (e) => `== ${e.phase}: skipped (${e.reason})`,
  'phase-end': (e, v) =>
    e.status === 'ok' && !v ? undefined : `== ${e.phase}: ${e.status} in ${ms(e.durationMs)}${e.failed.length ? ` (failed: ${e.failed.join(', ')})` : ''}`,
  batch: (e) => `   ${e.phase}: batch ${e.index + 1}: ${e.hosts.join(', ')}`,
  gate: (e) =>
    `   ${e.phase}: gate after batch ${e.index + 1}: ${e.ok ? 'passed' : `failed${e.failed.length ? ` on ${e.failed.join(', ')}` : ''}${e.error ? `: ${e.error}` : ''}`}`,
  'host-start': (e, v) => (v ? `${e.host} | ${e.phase}: start` : undefined),
  'host-end': (e) =>
    `${e.host} | ${e.phase}: ${e.status}${e.status === 'ok' ? ` (${ms(e.durationMs)})` : ''}${e.error ? `: ${e.error}` : ''}${e.reason ? ` (${e.reason})` : ''}`,
  command: (e, v) =>
    v
      ? `${e.host} | ${e.dryRun && e.step !== 'read' && e.step !== 'fact' && e.step !== 'download' ? '(dry) ' : ''}${e.step}: ${e.command}${e.dryRun && (e.step === 'run' || e.step === 'upload' || e.step === 'wet') ? '' : ` -> ${e.exitCode} (${ms(e.durationMs)})`}`
      : undefined,
  capture: (e) => `${e.host} | ${e.phase}: captured ${e.name}${e.secret ? ' (secret)' : ''}`,
  log: (e) => `${e.host ? `${e.host} | ` : ''}${e.phase}: ${e.level === 'warn' ? 'WARNING: ' : ''}${e.message}`,
  retry: (e) => `${e.host} | ${e.phase}: ${e.step}: ${e.cause} (attempt ${e.attempt} of ${e.attempts}); trying again in ${ms(e.delayMs)}`,
  'run-end': (e) => `${e.status} in ${ms(e.durationMs)} (run ${e.runId})`,
};

/** Format one event as a human line (undefined when the kind is hidden at this verbosity). */
export function formatEvent(e: RunEvent, verbose = false): string | undefined {
  const f = formatters[e.kind] as (e: RunEvent, v: boolean) => string | undefined;
  const line = f(e, verbose);
  return line === undefined ? undefined : redact(line);
}
