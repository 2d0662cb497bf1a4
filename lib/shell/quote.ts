/**
 * The one function that quotes values for a remote POSIX shell. Every value that reaches
 * a remote shell goes through quoteArgv(): commands are argv arrays, never strings.
 */
import { type Arg, displayArg, wireArg } from './secret.js';

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one string for a POSIX shell: safe words stay bare, the rest in single quotes. */
export function quoteArg(s: string): string {
  if (s.length > 0 && SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A quoted command line: `wire` goes to the host, `display` (secrets as placeholders) goes everywhere else. */
export interface QuotedCommand {
  wire: string;
  display: string;
}

/** Quote an argv array into one command line, for the wire and for display. */
export function quoteArgv(argv: readonly Arg[]): QuotedCommand {
  if (argv.length === 0) throw new Error('quoteArgv: empty command');
  return {
    wire: argv.map((a) => quoteArg(wireArg(a))).join(' '),
    display: argv.map((a) => quoteArg(displayArg(a))).join(' '),
  };
}
