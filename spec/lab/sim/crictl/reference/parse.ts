/**
 * crictl v1.32.0's command line as urfave/cli v2.27.5 reads it with Go's flag package: global
 * flags, then the sub-command, then its flags. Go's flag package stops at the first argument that
 * is not a flag (so a flag after a container id is an argument), `-x` and `--x` are the same,
 * a valued flag takes the next word whatever it is; with UseShortOptionHandling `-aq` is `-a -q`.
 * A refusal carries what crictl prints: "Incorrect Usage: <err>" and the help on stdout, then
 * logrus' fatal line on stderr, exit 1; an unknown sub-command: "No help topic for 'x'", exit 3.
 */
import { GoParseError, parseBool, parseDuration, parseGoInt } from '../../goparse.js';
import { type CrictlCommand, type CrictlFlag, CRICTL_COMMANDS, GLOBAL_FLAGS, OTHER_COMMANDS, crictlCommand } from './commands.js';

/** Flags by name as parsed (every value in order; bool: "true"/"false"). */
export type CrictlFlags = Map<string, string[]>;

/** A command line crictl accepts. */
export interface CrictlParsed {
  ok: true;
  /** undefined: no sub-command (crictl prints its help, exit 0). */
  command?: CrictlCommand;
  global: CrictlFlags;
  flags: CrictlFlags;
  args: string[];
  /** --help/-h (or --version/-v at the top): printed, nothing done, exit 0. */
  help: boolean;
  version: boolean;
}

/** A command line crictl refuses. */
export interface CrictlRefused {
  ok: false;
  /** The error as logrus prints it in msg="..." (or the whole line for exit 3). */
  message: string;
  exitCode: number;
  /** Printed on stdout before the fatal line ("Incorrect Usage: ..."), when any. */
  usage?: string;
  stage: 'global-flags' | 'command' | 'flags' | 'unmodelled';
  command?: CrictlCommand;
}

class UsageError extends Error {}

function lookup(flags: CrictlFlag[], name: string): CrictlFlag | undefined {
  return flags.find((f) => f.name === name || f.aliases?.includes(name));
}

function setGo(out: CrictlFlags, f: CrictlFlag, name: string, value: string | undefined, next: () => string | undefined): void {
  if (f.type === 'bool') {
    let v = 'true';
    if (value !== undefined) {
      try {
        v = String(parseBool(value));
      } catch {
        throw new UsageError(`invalid boolean value ${JSON.stringify(value)} for -${name}: parse error`);
      }
    }
    out.set(f.name, [...(out.get(f.name) ?? []), v]);
    return;
  }
  const v = value ?? next();
  if (v === undefined) throw new UsageError(`flag needs an argument: -${name}`);
  try {
    if (f.type === 'int') parseGoInt(v, 0, 64);
    else if (f.type === 'int64') parseGoInt(v, 0, 64);
    else if (f.type === 'duration') parseDuration(v);
  } catch (e) {
    if (e instanceof GoParseError)
      throw new UsageError(`invalid value ${JSON.stringify(v)} for flag -${name}: ${/out of range/.test(e.message) ? 'value out of range' : 'parse error'}`);
    throw e;
  }
  const values = f.type === 'stringSlice' ? v.split(',') : [v];
  out.set(f.name, [...(out.get(f.name) ?? []), ...values]);
}

/** Go's FlagSet.Parse (with urfave's short-option splitting when `shortOptions`): flags into `out`, the rest returned. */
export function parseGoFlags(argv: string[], flags: CrictlFlag[], shortOptions: boolean, out: CrictlFlags): string[] {
  const args = [...argv];
  while (args.length > 0) {
    const s = args[0];
    if (s.length < 2 || s[0] !== '-') break;
    let minuses = 1;
    if (s[1] === '-') {
      minuses = 2;
      if (s.length === 2) {
        args.shift();
        break;
      }
    }
    let name = s.slice(minuses);
    if (name === '' || name[0] === '-' || name[0] === '=') throw new UsageError(`bad flag syntax: ${s}`);
    args.shift();
    let value: string | undefined;
    const eq = name.indexOf('=', 1);
    if (eq > 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const f = lookup(flags, name);
    if (!f) {
      // urfave parseIter: `-abc` is split into `-a -b -c` when every letter is a flag
      if (shortOptions && minuses === 1 && value === undefined && name.length > 1 && [...name].every((c) => lookup(flags, c))) {
        args.unshift(...[...name].map((c) => `-${c}`));
        continue;
      }
      throw new UsageError(`flag provided but not defined: -${name}`);
    }
    setGo(out, f, name, value, () => args.shift());
  }
  return args;
}

/** urfave normalizeFlags: a flag given under two of its names is refused. */
function checkTwoForms(flags: CrictlFlag[], given: string[]): void {
  for (const f of flags) {
    const names = [f.name, ...(f.aliases ?? [])].filter((n) => given.includes(n));
    if (names.length > 1) throw new UsageError(`Cannot use two forms of the same flag: ${names[1]} ${names[0]}`);
  }
}

/** The names (as written) of the flags in `argv` up to the first argument. */
function namesGiven(argv: string[]): string[] {
  const out: string[] = [];
  for (const a of argv) {
    if (a === '--' || !a.startsWith('-') || a.length < 2) break;
    out.push(a.replace(/^--?/, '').replace(/=.*$/, ''));
  }
  return out;
}

/** Parse `crictl ARGV...` (without the program name) against the table. */
export function parseCrictl(argv: readonly string[]): CrictlParsed | CrictlRefused {
  const global: CrictlFlags = new Map();
  let rest: string[];
  try {
    rest = parseGoFlags([...argv], GLOBAL_FLAGS, false, global);
  } catch (e) {
    if (e instanceof UsageError) return { ok: false, message: e.message, exitCode: 1, usage: `Incorrect Usage: ${e.message}\n\n`, stage: 'global-flags' };
    throw e;
  }
  const base = { ok: true as const, global, flags: new Map<string, string[]>(), args: [] as string[] };
  if (global.get('help')?.at(-1) === 'true') return { ...base, help: true, version: false };
  if (global.get('version')?.at(-1) === 'true') return { ...base, help: false, version: true };
  const [name, ...after] = rest;
  if (name === undefined) return { ...base, help: true, version: false };
  const command = crictlCommand(name);
  if (!command) {
    if (OTHER_COMMANDS.includes(name))
      return {
        ok: false,
        message: `crictl ${name} exists in crictl v1.32 but is not in the lab's crictl table (spec/lab/sim/crictl/reference)`,
        exitCode: 1,
        stage: 'unmodelled',
      };
    return { ok: false, message: `No help topic for '${name}'`, exitCode: 3, stage: 'command' };
  }
  const flags: CrictlFlags = new Map();
  let args: string[];
  try {
    args = parseGoFlags(after, [...command.flags, { name: 'help', aliases: ['h'], type: 'bool' }], command.shortOptions, flags);
    checkTwoForms(command.flags, namesGiven(after));
  } catch (e) {
    if (e instanceof UsageError) return { ok: false, message: e.message, exitCode: 1, usage: `Incorrect Usage: ${e.message}\n\n`, stage: 'flags', command };
    throw e;
  }
  return { ok: true, command, global, flags, args, help: flags.get('help')?.at(-1) === 'true', version: false };
}

/** Every modelled sub-command's name (for help texts). */
export const CRICTL_NAMES = CRICTL_COMMANDS.map((c) => c.name);
