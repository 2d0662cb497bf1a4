/**
 * Where the CLI writes: results to stdout, notices and errors to stderr; everything redacted.
 * While a live progress area is drawn on the terminal, lines are written above it; while a
 * prompt is open, the area is not drawn at all.
 */
import { redact } from '../core/secret.js';

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

function write(stream: NodeJS.WriteStream, text: string): void {
  if (live && stream.isTTY) live.above(() => stream.write(text));
  else stream.write(text);
}

/** A line to stdout. */
export function out(line: string): void {
  write(process.stdout, redact(line) + '\n');
}

/** A line to stderr. */
export function err(line: string): void {
  write(process.stderr, redact(line) + '\n');
}
