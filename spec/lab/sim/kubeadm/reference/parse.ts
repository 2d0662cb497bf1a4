/**
 * kubeadm v1.32's command line as cobra v1.8.1 and pflag v1.0.5 read it, from the table: find the
 * command (cobra's Find with stripFlags/argsMinusFirstX), parse its flags (pflag, interspersed),
 * then in cobra's order: --help, runnable, positional args, required flags; then what kubeadm
 * checks first when the command runs (ValidateMixedArguments, SubCmdRunE). A refusal carries the
 * message and exit code real kubeadm prints (kubeadmutil.CheckErr: the message, then "To see the
 * stack trace of this error execute with --v=5 or higher", exit 1).
 */
import { GoParseError, parseBool, parseDuration, parseGoInt } from '../../goparse.js';
import { type CommandDef, ROOT, childrenOf, nameOf } from './commands.js';
import { FLAGS, type FlagDef, type FlagName, flagDef } from './flags.js';

/** What the parse found: the command, its flags (every value given, in order) and positional args. */
export interface Parsed {
  ok: true;
  command: CommandDef;
  /** Flags given, by long name, each value as given (bool flags: "true"/"false"). */
  flags: Map<string, string[]>;
  args: string[];
  /** `-h`/`--help`, or a command that only prints its help (exit 0, nothing done). */
  help: boolean;
}

/** A refusal: kubeadm's message (without the stack-trace hint) and its exit code. */
export interface Refused {
  ok: false;
  message: string;
  exitCode: number;
  /** Which check refused it. */
  stage: 'command' | 'flags' | 'args' | 'required' | 'mixed' | 'subcommand' | 'unmodelled';
  command: CommandDef;
}

/** The line CheckErr prints after every error (cmd/kubeadm/app/util/error.go). */
export const STACK_HINT = 'To see the stack trace of this error execute with --v=5 or higher';

/** ValidateMixedArguments' allowed flags besides skip-* (validation.go, v1.32). */
const MIXED_ALLOWED = new Set([
  'config',
  'ignore-preflight-errors',
  'dry-run',
  'kubeconfig',
  'node-name',
  'kubeconfig-dir',
  'upload-certs',
  'print-join-command',
  'rootfs',
  'v',
  'log-file',
]);

/** Every ancestor of `c`, root first, then `c`. */
function lineage(c: CommandDef): CommandDef[] {
  const out: CommandDef[] = [ROOT];
  const words = c.path === '' ? [] : c.path.split(' ');
  for (let i = 1; i <= words.length; i++) {
    const p = words.slice(0, i).join(' ');
    const found = childrenOf(out[out.length - 1]).find((x) => x.path === p);
    if (found) out.push(found);
  }
  return out;
}

/** The flags `c` accepts: its own, its ancestors' persistent ones (and its own), and -h/--help. */
export function flagsOf(c: CommandDef): Map<string, FlagDef> {
  const m = new Map<string, FlagDef>();
  for (const a of lineage(c)) for (const f of a.persistent ?? []) m.set(f, FLAGS[f]);
  for (const f of c.flags) m.set(f, FLAGS[f]);
  m.set('help', FLAGS.help);
  return m;
}

/** The full command line of a command (`kubeadm init phase certs`). */
export function commandPath(c: CommandDef): string {
  return c.path === '' ? 'kubeadm' : `kubeadm ${c.path}`;
}

function byShort(flags: Map<string, FlagDef>, ch: string): [string, FlagDef] | undefined {
  for (const [name, d] of flags) if (d.short === ch) return [name, d];
  return undefined;
}

const takesValue = (d: FlagDef | undefined) => d !== undefined && d.type !== 'bool';

/** A flag written as `--name` or `-x` (no `=`) that takes the next word as its value (cobra's hasNoOptDefVal test). */
function eatsNext(s: string, flags: Map<string, FlagDef>): boolean {
  if (s.includes('=')) return false;
  if (s.startsWith('--')) return flags.get(s.slice(2))?.type !== 'bool';
  return s.startsWith('-') && s.length === 2 && byShort(flags, s[1])?.[1].type !== 'bool';
}

/** cobra's stripFlags: the words of `args` that are not flags or flag values, for `c`'s flags. */
function stripFlags(args: string[], c: CommandDef): string[] {
  const flags = flagsOf(c);
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const s = args[i];
    if (s === '--') break;
    if (eatsNext(s, flags)) {
      if (args.length - i - 1 <= 1) break;
      i++;
      continue;
    }
    if (s !== '' && !s.startsWith('-')) words.push(s);
  }
  return words;
}

/** cobra's argsMinusFirstX: `args` without the first occurrence of `x` that is not a flag value. */
function argsMinusFirst(args: string[], x: string, c: CommandDef): string[] {
  const flags = flagsOf(c);
  for (let i = 0; i < args.length; i++) {
    const s = args[i];
    if (s === '--') break;
    if (eatsNext(s, flags)) {
      i++;
      continue;
    }
    if (!s.startsWith('-') && s === x) return [...args.slice(0, i), ...args.slice(i + 1)];
  }
  return args;
}

function child(c: CommandDef, word: string): CommandDef | undefined {
  return childrenOf(c).find((x) => nameOf(x) === word || x.aliases?.includes(word));
}

/** Levenshtein distance, as cobra's ld() (case-insensitive). */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

/** cobra's findSuggestions for the root ("\n\nDid you mean this?\n\t...\n"). */
function suggestions(c: CommandDef, typed: string): string {
  const s = childrenOf(c)
    .map(nameOf)
    .filter((n) => distance(typed, n) <= 2 || n.toLowerCase().startsWith(typed.toLowerCase()));
  return s.length ? `\n\nDid you mean this?\n${s.map((n) => `\t${n}\n`).join('')}` : '';
}

/** Check and store one flag value by its type (pflag's Set), or throw pflag's message. */
function setValue(out: Map<string, string[]>, name: string, d: FlagDef, value: string): void {
  const label = d.short ? `-${d.short}, --${name}` : `--${name}`;
  try {
    if (d.type === 'bool') value = String(parseBool(value));
    else if (d.type === 'duration') parseDuration(value);
    else if (d.type === 'int32') parseGoInt(value, 0, 32);
    else if (d.type === 'level') parseGoInt(value, 10, 32);
    else if (d.type === 'mapStringString' && value.split(',').some((kv) => kv !== '' && !kv.includes('=')))
      throw new GoParseError('malformed pair, expect string=string');
  } catch (e) {
    if (e instanceof GoParseError) throw new FlagError(`invalid argument ${JSON.stringify(value)} for ${JSON.stringify(label)} flag: ${e.message}`);
    throw e;
  }
  out.set(name, [...(out.get(name) ?? []), value]);
}

class FlagError extends Error {}

/** pflag's parseArgs (interspersed): flags into `out`, the rest returned in order. */
function parseFlags(args: string[], flags: Map<string, FlagDef>, out: Map<string, string[]>): string[] {
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const s = args[i];
    if (s.length < 2 || s[0] !== '-') {
      rest.push(s);
      continue;
    }
    if (s === '--') {
      rest.push(...args.slice(i + 1));
      break;
    }
    if (s.startsWith('--')) {
      const body = s.slice(2);
      if (body === '' || body[0] === '-' || body[0] === '=') throw new FlagError(`bad flag syntax: ${s}`);
      const eq = body.indexOf('=');
      const name = eq >= 0 ? body.slice(0, eq) : body;
      const d = flags.get(name);
      if (!d) throw new FlagError(`unknown flag: --${name}`);
      if (eq >= 0) setValue(out, name, d, body.slice(eq + 1));
      else if (!takesValue(d)) setValue(out, name, d, 'true');
      else if (i + 1 < args.length) setValue(out, name, d, args[++i]);
      else throw new FlagError(`flag needs an argument: ${s}`);
      continue;
    }
    // one or more shorthands: -f, -fv, -f=v, -vvalue
    let shorts = s.slice(1);
    while (shorts.length > 0) {
      const c = shorts[0];
      const hit = byShort(flags, c);
      if (!hit) throw new FlagError(`unknown shorthand flag: '${c}' in -${shorts}`);
      const [name, d] = hit;
      if (shorts.length > 2 && shorts[1] === '=') {
        setValue(out, name, d, shorts.slice(2));
        shorts = '';
      } else if (!takesValue(d)) {
        setValue(out, name, d, 'true');
        shorts = shorts.slice(1);
      } else if (shorts.length > 1) {
        setValue(out, name, d, shorts.slice(1));
        shorts = '';
      } else if (i + 1 < args.length) {
        setValue(out, name, d, args[++i]);
        shorts = '';
      } else {
        throw new FlagError(`flag needs an argument: '${c}' in -${shorts}`);
      }
    }
  }
  return rest;
}

/** The mixed-arguments check: the set flags `--config` may not be mixed with (sorted, as pflag visits). */
export function mixedWithConfig(flags: Map<string, string[]>): string[] {
  if (!flags.has('config')) return [];
  return [...flags.keys()].filter((n) => !MIXED_ALLOWED.has(n) && !n.startsWith('skip-')).sort();
}

/** Parse `kubeadm ARGV...` (argv without the program name) against the table. */
export function parseKubeadm(argv: readonly string[]): Parsed | Refused {
  // 1. cobra Find: walk down the tree by the first non-flag word at each level
  let cmd = ROOT;
  let args = [...argv];
  for (;;) {
    const words = stripFlags(args, cmd);
    if (words.length === 0) break;
    const next = child(cmd, words[0]);
    if (!next) break;
    args = argsMinusFirst(args, words[0], cmd);
    cmd = next;
  }
  const refuse = (stage: Refused['stage'], message: string, exitCode = 1): Refused => ({ ok: false, message, exitCode, stage, command: cmd });
  // legacyArgs: the root (no Args validator, has sub-commands) refuses an unknown first word
  if (cmd === ROOT) {
    const words = stripFlags(args, ROOT);
    if (words.length > 0) return refuse('command', `unknown command ${JSON.stringify(words[0])} for "kubeadm"${suggestions(ROOT, words[0])}`);
  }
  if (cmd.behaviour === 'unmodelled') {
    return refuse('unmodelled', `${commandPath(cmd)} exists in kubeadm v1.32 but is not in the lab's command table (spec/lab/sim/kubeadm/reference)`);
  }
  // 2. flags
  const flags = new Map<string, string[]>();
  let rest: string[];
  try {
    rest = parseFlags(args, flagsOf(cmd), flags);
  } catch (e) {
    if (e instanceof FlagError) return refuse('flags', e.message);
    throw e;
  }
  const help = flags.get('help')?.at(-1) === 'true';
  const done = (h: boolean): Parsed => ({ ok: true, command: cmd, flags, args: rest, help: h });
  if (help || cmd.behaviour === 'help') return done(true);
  // 3. positional args (cobra ValidateArgs)
  if (cmd.args.kind === 'none' && rest.length > 0) return refuse('args', `unknown command ${JSON.stringify(rest[0])} for ${JSON.stringify(commandPath(cmd))}`);
  if (cmd.args.kind === 'max' && rest.length > cmd.args.n) return refuse('args', `accepts at most ${cmd.args.n} arg(s), received ${rest.length}`);
  // 4. required flags
  const missing = (cmd.required ?? []).filter((f) => !flags.has(f));
  if (missing.length) return refuse('required', `required flag(s) "${missing.join('", "')}" not set`);
  // 5. what the command checks first when it runs
  if (cmd.behaviour === 'phase-group') return done(true);
  if (cmd.behaviour === 'subcmd') {
    return refuse(
      'subcommand',
      rest.length ? `invalid subcommand: ${JSON.stringify(rest[0])}` : `missing subcommand; ${JSON.stringify(nameOf(cmd))} is not meant to be run on its own`,
    );
  }
  if (cmd.mixedConfig) {
    const mixed = mixedWithConfig(flags);
    if (mixed.length) return refuse('mixed', `can not mix '--config' with arguments [${mixed.join(' ')}]`);
  }
  return done(false);
}

/** Whether `name` is a kubeadm v1.32 flag at all (for messages). */
export function isKubeadmFlag(name: string): name is FlagName {
  return flagDef(name) !== undefined;
}
