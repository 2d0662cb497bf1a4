/**
 * The run journal: `<state-dir>/<run-id>/journal.jsonl`, one JSON event per line, written with
 * appends (O_APPEND) of whole lines, so a crash leaves at most a partial last line, which the
 * reader ignores. Folders 0700, files 0600. Every string is redacted before it is written.
 *
 * Its contract with resume: an event resume or `runs` reads (run-start, phase-end, phase-skip,
 * host-end, gate, run-end) is on disk, after every event before it, before the run goes on.
 * The others (commands, logs, captures, host and phase starts, batches) are batched off the hot
 * path: written with the next of those events, at most FLUSH_MS (line-batch.ts) later, at close, or when the
 * process exits. So a process killed outright (SIGKILL, power loss) loses at most the command
 * and log lines of the last FLUSH_MS of phase x host pairs whose end was not written, which
 * resume runs again; Ctrl-C and every other exit write everything.
 */
import { chmodSync, closeSync, existsSync, ftruncateSync, fstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type EventSink, type StampedEvent, redactDeep } from './events.js';
import { redact } from '../shell/secret.js';
import { privateDir } from './private-file.js';
import { lineBatch } from './line-batch.js';

/** The default state folder: `~/.kubemend/runs`. */
export function defaultStateDir(): string {
  return join(homedir(), '.kubemend', 'runs');
}

/** A run id usable as one folder name: letters, digits, `.`, `_`, `-`, and not `.` or `..`. */
export const SAFE_RUN_ID = /^(?!\.{1,2}$)[A-Za-z0-9._-]+$/;

/** The folder of one run. */
export function runDir(stateDir: string, runId: string): string {
  if (!SAFE_RUN_ID.test(runId)) throw new Error(`bad run id ${JSON.stringify(runId)}`);
  return join(stateDir, runId);
}

/** Create (or reuse) a run's folder with mode 0700. */
export function ensureRunDir(dir: string): string {
  return privateDir(dir);
}

/** Events written (with every line before them) before the run goes on: what resume and `runs` read. */
export const COMMIT_KINDS: ReadonlySet<StampedEvent['kind']> = new Set(['run-start', 'phase-skip', 'phase-end', 'host-end', 'gate', 'run-end']);

/** An open journal: `sink` appends one line per event. */
export interface JournalWriter {
  readonly file: string;
  sink: EventSink;
  /** Write every batched line now. */
  flush(): void;
  close(): void;
  /** Events taken and write calls made (a write holds one or more whole lines). */
  readonly stats: { events: number; writes: number };
}

/** Open `dir/journal.jsonl` for appending (created 0600). */
export function openJournal(dir: string): JournalWriter {
  ensureRunDir(dir);
  const file = join(dir, 'journal.jsonl');
  const fd = openSync(file, 'a', 0o600);
  chmodSync(file, 0o600);
  dropPartialLine(fd, file);
  let open = true;
  const stats = { events: 0, writes: 0 };
  const batch = lineBatch((lines) => {
    if (!open) return;
    const buf = Buffer.from(lines.join(''));
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
    stats.writes++;
  });
  const flush = batch.flush;
  // every exit that runs JavaScript (process.exit, an uncaught error) writes what is batched
  process.on('exit', flush);
  return {
    file,
    stats,
    sink(e) {
      if (!open) return;
      const line = redact(JSON.stringify(redactDeep(e))) + '\n';
      stats.events++;
      batch.add(line, COMMIT_KINDS.has(e.kind));
    },
    flush,
    close() {
      flush();
      process.off('exit', flush);
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/**
 * A process killed mid-write leaves a partial last line; appending to it would glue the next event
 * onto it and make a middle line that is not JSON. Cut the file back to its last complete line.
 */
function dropPartialLine(fd: number, file: string): void {
  const size = fstatSync(fd).size;
  if (size === 0) return;
  const text = readFileSync(file);
  if (text[size - 1] === 0x0a) return;
  ftruncateSync(fd, text.lastIndexOf(0x0a, size - 1) + 1);
}

/** Read a journal: every complete line, parsed; a partial last line (a crash mid-write) is ignored. */
export function readJournal(file: string): StampedEvent[] {
  if (!existsSync(file)) throw new Error(`read journal ${file}: no such file`);
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const last = lines.pop();
  const out: StampedEvent[] = [];
  lines.forEach((l, i) => {
    if (!l.trim()) return;
    try {
      out.push(JSON.parse(l));
    } catch {
      throw new Error(`read journal ${file}: line ${i + 1} is not JSON`);
    }
  });
  if (last?.trim()) {
    try {
      out.push(JSON.parse(last));
    } catch {
      /* a partial last line: the process died mid-write */
    }
  }
  return out;
}

/** Key of a completed phase x host pair (`phase` alone for a cluster phase). */
export function pairKey(phase: string, host?: string): string {
  return host ? `${phase}\0${host}` : phase;
}

/** The phase x host pairs (and cluster phases) a journal shows as completed. */
export function completedPairs(events: readonly StampedEvent[]): Set<string> {
  const done = new Set<string>();
  for (const e of events) {
    if (e.kind === 'host-end' && (e.status === 'ok' || (e.status === 'skipped' && e.reason === 'completed earlier'))) done.add(pairKey(e.phase, e.host));
    if (e.kind === 'phase-end' && e.status === 'ok' && e.failed.length === 0) done.add(pairKey(e.phase));
  }
  return done;
}
