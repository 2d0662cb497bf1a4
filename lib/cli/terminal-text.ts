/**
 * Text on its way to a terminal: control characters from hosts stripped (an ESC in a host's
 * output or a CSR's SAN could move the cursor, retitle the window or hide lines), and our own
 * colours, only where the terminal takes them and NO_COLOR is not set.
 */

/** C0 controls but tab and newline, DEL, and C1 controls (U+0080-U+009F). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: this regex exists to find control characters (host text bound for a terminal)
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** `text` without control characters (tab and newline kept): host output, SAN text, anything read from outside. */
export function stripControl(text: string): string {
  return text.replace(CONTROL, '');
}

/** Whether to colour what goes to `stream`: a terminal with colours, NO_COLOR unset or empty (no-color.org), TERM not dumb. */
export function colourOn(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb' || !stream.isTTY) return false;
  return typeof stream.hasColors === 'function' ? stream.hasColors(8, { ...env, NO_COLOR: undefined }) : true;
}

const SGR = { red: [31, 39], green: [32, 39], yellow: [33, 39], bold: [1, 22] } as const;
type Colour = keyof typeof SGR;
const paintWith = (c: Colour, s: string) => `\x1b[${SGR[c][0]}m${s}\x1b[${SGR[c][1]}m`;

/** Where colour goes in kubemend's own lines: statuses, PASS/FAIL, failures, warnings (pure; the line is already stripped). */
const RULES: Array<[RegExp, (...m: string[]) => string]> = [
  // host events: `w1 | phase: ok (1.2s)`, `w2 | phase: failed: ...`, `w3 | phase: interrupted`
  [/^(\S+ \| \S+: )(ok)\b/, (_, a, b) => a + paintWith('green', b)],
  [/^(\S+ \| \S+: )(failed|interrupted|exit \d+|error)\b/, (_, a, b) => a + paintWith(b === 'interrupted' ? 'yellow' : 'red', b)],
  [/^(\S+ \| )(exit \d+|error:|interrupted)/, (_, a, b) => a + paintWith(b === 'interrupted' ? 'yellow' : 'red', b)],
  // the proof of health and check tables
  [/(^|\s|: )(PASS)(?=\s)/g, (_, a, b) => a + paintWith('green', b)],
  [/(^|\s|: )(FAIL)(?=\s)/g, (_, a, b) => a + paintWith('red', b)],
  [/(WARNING:|^warning:)/, (_, a) => paintWith('yellow', a)],
  // run ends and recaps
  [/^(recap: run \S+ )(done)\b/, (_, a, b) => a + paintWith('green', b)],
  [/^(recap: run \S+ )(failed|interrupted)\b/, (_, a, b) => a + paintWith(b === 'failed' ? 'red' : 'yellow', b)],
  [/^(done)( in \S+ \(run )/, (_, a, b) => paintWith('green', a) + b],
  [/^(failed)( in \S+ \(run )/, (_, a, b) => paintWith('red', a) + b],
  [/^(failed on \d+ (?:of \d+ )?hosts?:?.*)$/, (_, a) => paintWith('red', a)],
  [/^( - \S+: .*)$/, (_, a) => paintWith('red', a)],
  [/^(\S+ .*\s)(failed in \S+)$/, (_, a, b) => a + paintWith('red', b)],
  [/^(run stopped at phase|interrupted|every phase ran, but)/, (_, a) => paintWith('red', a)],
  [/\b(DESTRUCTIVE)\b/, (_, a) => paintWith('red', a)],
  // doctor
  [/^(healthy)$/, (_, a) => paintWith('green', a)],
  [/^(problems found)/, (_, a) => paintWith('red', a)],
  [/^(\s+)(problem:)/, (_, a, b) => a + paintWith('red', b)],
  [/^(\s+)(warning:)/, (_, a, b) => a + paintWith('yellow', b)],
  [/^(kubemend:)/, (_, a) => paintWith('red', a)],
];

/** Colour one of kubemend's own text lines (each line of a multi-line text on its own). */
export function paintLine(text: string): string {
  return text
    .split('\n')
    .map((line) => RULES.reduce((l, [re, f]) => l.replace(re, f as (...m: string[]) => string), line))
    .join('\n');
}
