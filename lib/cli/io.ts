/**
 * Where the CLI writes: results to stdout, notices and errors to stderr; everything redacted.
 * While a live progress area is drawn on the terminal, lines are written above it; while a
 * prompt is open, the area is not drawn at all.
 */
import { redact } from '../shell/secret.js';
import { colourOn, paintLine, stripControl } from './terminal-text.js';

/** A block redrawn in place at the bottom of the terminal (the live progress). */
export interface LiveArea {
  /** Erase the block, run `write` (lines that stay), draw the block again. */
  above(write: () => void): void;
  /** Erase the block and draw nothing until resume(). */
  pause(): void;
  resume(): void;
}

let live: LiveArea | undefined;
let prompts = 0;

/** Set (or clear) the live area that out()/err() write above. */
export function setLiveArea(area: LiveArea | undefined): void {
  live = area;
  if (live && prompts > 0) live.pause();
}

/** True while a prompt is open (a live area must not draw). */
export function promptOpen(): boolean {
  return prompts > 0;
}

/** Run a prompt with the live area paused (erased, not redrawn until the prompt is answered). */
export async function whilePrompting<T>(fn: () => Promise<T>): Promise<T> {
  if (prompts++ === 0) live?.pause();
  try {
    return await fn();
  } finally {
    if (--prompts === 0) live?.resume();
  }
}

const closed = new WeakSet<NodeJS.WriteStream>();

/**
 * A closed pipe (`kubemend playbooks | head -1`) ends the output quietly, as in every Unix tool:
 * no stack trace; later lines to that stream are dropped while the command itself goes on
 * (a run keeps its journal, and is never cut short because its reader went away).
 */
export function guardPipes(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const s of streams) {
    if (s.listeners('error').some((l) => (l as { kubemendPipeGuard?: boolean }).kubemendPipeGuard)) continue;
    const onError = Object.assign(
      (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') closed.add(s);
        else throw e;
      },
      { kubemendPipeGuard: true },
    );
    s.on('error', onError);
  }
}

/** Write to a stream unless its reader is gone. */
export function writeTo(stream: NodeJS.WriteStream, text: string): void {
  if (closed.has(stream) || stream.destroyed) return;
  stream.write(text);
}

function write(stream: NodeJS.WriteStream, text: string): void {
  if (live && stream.isTTY) live.above(() => writeTo(stream, text));
  else writeTo(stream, text);
}

/** How a line reaches the terminal: redacted, control characters stripped, coloured (kubemend's own lines, `paint`) where the terminal takes colour. */
function shown(stream: NodeJS.WriteStream, line: string, paint?: boolean): string {
  const clean = stripControl(redact(line));
  return paint && colourOn(stream) ? paintLine(clean) : clean;
}

/** A line to stdout (`paint`: colour its statuses, failures and PASS/FAIL on a terminal). */
export function out(line: string, o: { paint?: boolean } = {}): void {
  write(process.stdout, shown(process.stdout, line, o.paint) + '\n');
}

/** A line to stderr (`paint` as for out). */
export function err(line: string, o: { paint?: boolean } = {}): void {
  write(process.stderr, shown(process.stderr, line, o.paint) + '\n');
}

/** Text from a host (exec output) to a stream: redacted, control characters stripped, never coloured. */
export function hostText(stream: NodeJS.WriteStream, text: string): void {
  write(stream, shown(stream, text));
}
