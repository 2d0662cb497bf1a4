/**
 * Go-style command-line flags as the real Kubernetes components parse them (pflag):
 * `--name=value`, `--name value`, bare `--name` for booleans; Go durations such as `1m30s`.
 */

/** Parsed flags: name -> value (booleans given bare are "true"). */
export type Flags = Map<string, string>;

/** Parse argv into flags; `bools` names the flags that take no separate value. */
export function parseFlags(argv: readonly string[], bools: ReadonlySet<string>): Flags {
  const out: Flags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-')) throw new Error(`parse flags: unexpected argument ${JSON.stringify(a)}`);
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    if (eq >= 0) out.set(body.slice(0, eq), body.slice(eq + 1));
    else if (bools.has(body) || i + 1 >= argv.length || argv[i + 1].startsWith('--')) out.set(body, 'true');
    else out.set(body, argv[++i]);
  }
  return out;
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parse a Go duration (`10s`, `1m30s`, `500ms`, `0`) into milliseconds. */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    total += Number(m[1]) * UNITS[m[2]];
    pos = re.lastIndex;
  }
  if (pos !== text.length || pos === 0) throw new Error(`invalid duration ${JSON.stringify(text)}`);
  return total;
}

/** A boolean flag's value (`true`/`false`, default when absent). */
export function boolFlag(flags: Flags, name: string, dflt: boolean): boolean {
  const v = flags.get(name);
  if (v === undefined) return dflt;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new Error(`invalid value ${JSON.stringify(v)} for flag --${name}: want true or false`);
}

/** A duration flag in milliseconds (default when absent). */
export function durationFlag(flags: Flags, name: string, dfltMs: number): number {
  const v = flags.get(name);
  if (v === undefined) return dfltMs;
  try {
    return parseDuration(v);
  } catch (e) {
    throw new Error(`invalid value for flag --${name}: ${(e as Error).message}`);
  }
}
