/**
 * A kubeadm command line after spec/lab/sim/kubeadm/reference/parse.ts read it: positional
 * arguments and flags (every value given, in order), with typed access for the commands.
 */

/** A parsed command line: positional words and flags (last value wins; all values kept). */
export interface Args {
  words: string[];
  flags: Map<string, string[]>;
}

/** The last value of a flag. */
export function flag(a: Args, name: string): string | undefined {
  const v = a.flags.get(name);
  return v?.[v.length - 1];
}

/** A boolean flag (`--x`, `--x=true`). */
export function boolFlag(a: Args, name: string): boolean {
  const v = flag(a, name);
  return v !== undefined && v !== 'false';
}

/** A string-slice flag: every value, split on commas. */
export function listFlag(a: Args, name: string): string[] {
  return (a.flags.get(name) ?? [])
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}
