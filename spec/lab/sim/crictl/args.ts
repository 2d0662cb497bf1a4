/** A parsed crictl sub-command line (spec/lab/sim/crictl/reference/parse.ts) and typed access to its flags. */

/** Parsed sub-command flags (every value, in order) and positional arguments. */
export interface Parsed {
  flags: Map<string, string[]>;
  args: string[];
}

/** A string flag's value (the last given), or undefined. */
export function str(o: Parsed, name: string): string | undefined {
  return o.flags.get(name)?.at(-1);
}

/** A bool flag: true when given and not `=false`. */
export function bool(o: Parsed, name: string): boolean {
  return o.flags.get(name)?.at(-1) === 'true';
}

/** A number flag, or `dflt`. */
export function num(o: Parsed, name: string, dflt = 0): number {
  const v = str(o, name);
  return v === undefined ? dflt : Number(v);
}

/** A string-slice flag: every value. */
export function list(o: Parsed, name: string): string[] {
  return o.flags.get(name) ?? [];
}

/** crictl's parseLabelStringSlice: `k=v` pairs, or "incorrectly specified label: x". */
export function labelSelector(o: Parsed): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of list(o, 'label')) {
    const pair = s.split('=');
    if (pair.length !== 2) throw new Error(`incorrectly specified label: ${s}`);
    out[pair[0]] = pair[1];
  }
  return out;
}
