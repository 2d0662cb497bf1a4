/**
 * crictl's command-line shape (urfave/cli with short-option handling): global flags, a
 * subcommand, then its flags (`-aq` = `-a -q`, `--name=x` or `--name x`) and arguments.
 */

/** Parsed subcommand flags and positional arguments. */
export interface Parsed {
  flags: Map<string, string | true>;
  args: string[];
}

/** A flag spec: boolean and valued long names, short aliases mapped to long names. */
export interface FlagSpec {
  bools: Set<string>;
  valued: Set<string>;
  alias: Record<string, string>;
}

/** Build a flag spec: `bools` and `valued` long names, `alias` short -> long. */
export function flagSpec(bools: string[], valued: string[], alias: Record<string, string> = {}): FlagSpec {
  return { bools: new Set(bools), valued: new Set(valued), alias };
}

/** Parse a subcommand's argv with its flag spec; throws crictl-style on an unknown flag. */
export function parseFlags(argv: string[], spec: FlagSpec): Parsed {
  const flags = new Map<string, string | true>();
  const args: string[] = [];
  const known = (n: string) => spec.bools.has(n) || spec.valued.has(n);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const long = spec.alias[name] ?? name;
      if (!known(long)) throw new Error(`flag provided but not defined: -${name}`);
      if (spec.valued.has(long)) flags.set(long, eq > 0 ? a.slice(eq + 1) : (argv[++i] ?? ''));
      else flags.set(long, true);
    } else if (a.startsWith('-') && a.length > 1) {
      const shorts = a.slice(1);
      for (let j = 0; j < shorts.length; j++) {
        const long = spec.alias[shorts[j]];
        if (!long) throw new Error(`flag provided but not defined: -${shorts[j]}`);
        if (spec.valued.has(long)) {
          const rest = shorts.slice(j + 1);
          flags.set(long, rest.length ? rest.replace(/^=/, '') : (argv[++i] ?? ''));
          break;
        }
        flags.set(long, true);
      }
    } else {
      args.push(a);
    }
  }
  return { flags, args };
}
