/**
 * The run journal: `<state-dir>/<run-id>/journal.jsonl`, one JSON event per line, each line
 * written with one append (O_APPEND), so a crash leaves at most a partial last line, which
 * the reader ignores. Folders 0700, files 0600. Every string is redacted before it is written.
 */
import { chmodSync, closeSync, existsSync, ftruncateSync, fstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type EventSink, type StampedEvent, redactDeep } from './events.js';
import { redact } from './secret.js';
import { privateDir } from './private-file.js';

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

/** An open journal: `sink` appends one line per event. */
export interface JournalWriter {
  readonly file: string;
  sink: EventSink;
  close(): void;
}

/** Open `dir/journal.jsonl` for appending (created 0600). */
export function openJournal(dir: string): JournalWriter {
  ensureRunDir(dir);
  const file = join(dir, 'journal.jsonl');
  const fd = openSync(file, 'a', 0o600);
  chmodSync(file, 0o600);
  dropPartialLine(fd, file);
  let open = true;
  return {
    file,
    sink(e) {
      if (!open) return;
      writeSync(fd, redact(JSON.stringify(redactDeep(e))) + '\n');
    },
    close() {
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
  if (last && last.trim()) {
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
