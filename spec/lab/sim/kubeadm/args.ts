/**
 * kubeadm's command line as pflag parses it: positional words, `--flag=value` or `--flag value`,
 * boolean flags without a value, string slices repeated or comma-separated.
 */

/** Flags that take no value (pflag bool flags kubeadm has). */
const BOOL_FLAGS = new Set([
  'upload-certs', 'control-plane', 'print-join-command', 'discovery-token-unsafe-skip-ca-verification',
  'dry-run', 'skip-token-print', 'skip-certificate-key-print', 'force', 'help', 'experimental-upload-certs',
  'show-join-command', 'allow-missing-template-keys',
]);

/** Short flags kubeadm knows (`-o`, `-f`, `-h`, `-v`). */
const SHORT: Record<string, string> = { o: 'output', f: 'force', h: 'help', v: 'v' };

/** A parsed command line: positional words and flags (last value wins; all values kept). */
export interface Args {
  words: string[];
  flags: Map<string, string[]>;
}

/** Parse argv (without the program name). Unknown flags are kept; callers decide. */
export function parseArgs(argv: readonly string[]): Args {
  const words: string[] = [];
  const flags = new Map<string, string[]>();
  const add = (k: string, v: string) => flags.set(k, [...(flags.get(k) ?? []), v]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    if (a.startsWith('--')) name = a.slice(2);
    else if (/^-[a-zA-Z]/.test(a)) name = SHORT[a[1]] ?? a[1];
    if (name === undefined) {
      words.push(a);
      continue;
    }
    if (a.startsWith('-') && !a.startsWith('--') && a.length > 2 && a[2] !== '=') {
      add(name, a.slice(2));
      continue;
    }
    const eq = name.indexOf('=');
    if (eq >= 0) {
      add(name.slice(0, eq).replace(/^[a-z]=?$/, (s) => s), name.slice(eq + 1));
      continue;
    }
    if (BOOL_FLAGS.has(name)) {
      add(name, 'true');
      continue;
    }
    if (i + 1 >= argv.length) throw new Error(`flag needs an argument: --${name}`);
    add(name, argv[++i]);
  }
  return { words, flags };
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
  return (a.flags.get(name) ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}
