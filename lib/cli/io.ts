/** Where the CLI writes: results to stdout, notices and errors to stderr; everything redacted. */
import { redact } from '../core/secret.js';

/** A line to stdout. */
export function out(line: string): void {
  process.stdout.write(redact(line) + '\n');
}

/** A line to stderr. */
export function err(line: string): void {
  process.stderr.write(redact(line) + '\n');
}
