/**
 * What reaches the terminal (issues 15 and 18): control characters from hosts stripped; colour
 * for statuses, failures and PASS/FAIL only on a terminal and never with NO_COLOR; the live
 * progress drawn for 80 columns on a terminal that reports 0 (as `script` does); the host
 * checkbox searchable. Driven in a pseudo-terminal (`script`) and in tmux.
 */
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { searchCheckbox } from '../../lib/cli/host-checkbox.js';
import { hostFilter } from '../../lib/cli/select-hosts.js';
import { terminalSize } from '../../lib/cli/progress.js';
import { colourOn, paintLine, stripControl } from '../../lib/cli/terminal-text.js';
import { jsonText } from '../../lib/core/log.js';
import { selectHosts } from '../../lib/inventory/select.js';
import { fakeInventory } from '../helpers/fake-transport.js';
import { pollUntil, sleep } from '../helpers/wait.js';
import { FAKE_MAIN, ROOT, cli } from './run-cli.js';

const tmp = () => tempDir(join(tmpdir(), 'km-term-'));
/** Any control character but tab and newline (C0, DEL, C1). */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
const SGR_COLOUR = /\x1b\[3\dm/;

test('stripControl keeps text, tab and newline; drops ESC sequences, BEL, CR, DEL and C1 (CSI U+009B)', (t) => {
  t.is(stripControl('a\x1b]0;pwned\x07b\x1b[2Jc\r\nd\te\x7f\x9b31mf é ✔'), 'a]0;pwnedb[2Jc\nd\te31mf é ✔');
  t.false(CONTROL.test(stripControl(String.fromCharCode(...Array.from({ length: 0xa0 }, (_, i) => i)).replace(/[\t\n]/g, ''))));
  t.is(jsonText(JSON.stringify({ s: 'x\x9b\x7fy' })), '{"s":"x\\u009b\\u007fy"}', 'JSON keeps them, escaped');
  t.deepEqual(JSON.parse(jsonText(JSON.stringify({ s: 'x\x9by' }))), { s: 'x\x9by' });
});

test('colour: statuses, failures and PASS/FAIL painted; NO_COLOR (non-empty), TERM=dumb or no terminal: none', (t) => {
  t.is(paintLine('w1 | workers/rejoin: ok (2.0s)'), 'w1 | workers/rejoin: \x1b[32mok\x1b[39m (2.0s)');
  t.is(paintLine('w2 | workers/rejoin: failed: exit 1'), 'w2 | workers/rejoin: \x1b[31mfailed\x1b[39m: exit 1');
  t.is(paintLine('verify: PASS  etcd healthy\nFAIL  pods Ready'), 'verify: \x1b[32mPASS\x1b[39m  etcd healthy\n\x1b[31mFAIL\x1b[39m  pods Ready');
  const tty = { isTTY: true, hasColors: () => true } as unknown as NodeJS.WriteStream;
  t.true(colourOn(tty, { TERM: 'xterm-256color' }));
  t.true(colourOn(tty, { TERM: 'xterm', NO_COLOR: '' }), 'an empty NO_COLOR does not count (no-color.org)');
  t.false(colourOn(tty, { TERM: 'xterm', NO_COLOR: '1' }));
  t.false(colourOn(tty, { TERM: 'dumb' }));
  t.false(colourOn({ isTTY: false } as unknown as NodeJS.WriteStream, { TERM: 'xterm' }));
});

test('a terminal that reports 0 columns and rows is drawn as 80x24', (t) => {
  t.deepEqual(terminalSize({ columns: 0, rows: 0 }), { cols: 80, rows: 12 });
  t.deepEqual(terminalSize({ columns: 132, rows: 50 }), { cols: 132, rows: 25 });
});

test('host output with control characters reaches the terminal without them (exec, and a failure message from a host)', async (t) => {
  const evil = '\x1b]0;pwned\x07\x1b[2J\x9b31mred\r\nline2\tok\x7f';
  const r = await cli(FAKE_MAIN, ['exec', '-i', 'x', '--limit', 'w1', 'cat', '/evil'], { env: { FAKE_EVIL: evil } });
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'w1 | ]0;pwned[2J31mred\nw1 | line2\tok\n');
  const run = await cli(FAKE_MAIN, ['run', 'hello', '-i', 'x', '--yes', '--state-dir', tmp()], { env: { FAKE_FAIL: 'w2', FAKE_FAIL_STDERR: `disk ${evil}` } });
  t.is(run.code, 1);
  t.regex(run.stdout, /w2: hello\/workers: write \/tmp\/kubemend-hello: exit 1: disk \]0;pwned\[2J31mred/);
  t.false(CONTROL.test(run.stdout + run.stderr), JSON.stringify((run.stdout + run.stderr).match(CONTROL)));
});

/**
 * Run the fake CLI in a pseudo-terminal (`script`: 0 columns, 0 rows); returns everything the terminal got.
 * CI, FORCE_COLOR and NO_COLOR are not inherited: with CI set, Node's getColorDepth answers 2 colours
 * for any terminal (lib/internal/tty.js), so the test's own CI=true turned the colour off (CI run of 2026-12-04).
 */
function inPty(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const { CI: _ci, NO_COLOR: _n, FORCE_COLOR: _f, ...base } = process.env;
  return new Promise((resolve, reject) => {
    const cmd = ['node', '--import', 'tsx', FAKE_MAIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, env: { ...base, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, out });
    });
  });
}

test('in a pseudo-terminal: colour for ok/failed and the recap, none with NO_COLOR=1; the progress drawn 80 columns wide, not cut to one character', async (t) => {
  const env = { TERM: 'xterm-256color', FAKE_FAIL: 'w2', FAKE_DELAY_MS: '400', FAKE_WORKERS: '3' };
  const coloured = await inPty(['run', 'hello', '-i', 'x', '--yes', '--state-dir', tmp()], { ...env, NO_COLOR: '' });
  t.is(coloured.code, 1, coloured.out.slice(-2000));
  t.true(coloured.out.includes('hello/workers: \x1b[32mok\x1b[39m'), 'ok in green');
  t.true(coloured.out.includes('hello/workers: \x1b[31mfailed\x1b[39m'), 'failed in red');
  t.regex(coloured.out, /\x1b\[31mfailed on 1 host:\x1b\[39m/);
  // the live progress: a terminal of 0 columns is drawn for 80 (before: one character and an ellipsis)
  const progress = coloured.out.split(/\r?\n|\x1b\[\d*F\x1b\[0J/).filter((l) => /· phase \d\/3 hello\//.test(l));
  t.true(progress.length > 0, 'the progress was drawn');
  t.true(
    progress.every((l) => l.length >= 40 && l.length <= 79),
    JSON.stringify(progress.slice(0, 3)),
  );
  const plain = await inPty(['run', 'hello', '-i', 'x', '--yes', '--state-dir', tmp()], { ...env, NO_COLOR: '1' });
  t.is(plain.code, 1);
  t.regex(plain.out, /hello\/workers: failed/);
  t.false(SGR_COLOUR.test(plain.out), 'no colour with NO_COLOR');
  const piped = await cli(FAKE_MAIN, ['run', 'hello', '-i', 'x', '--yes', '--state-dir', tmp()], { env: { ...env, NO_COLOR: '' } });
  t.false(SGR_COLOUR.test(piped.stdout + piped.stderr), 'no colour into a pipe');
});

test('the search checkbox: typing filters by text or --limit pattern, space ticks, ctrl-a ticks what is shown, enter accepts every ticked line', async (t) => {
  const inv = fakeInventory(2, 12);
  const lines = [
    { separator: '-- masters (2) --' },
    ...inv.hosts.filter((h) => h.role === 'master').map((h) => ({ value: h.name, name: `${h.name}   Node Ready`, short: h.name })),
    { separator: '-- workers (12) --' },
    ...inv.hosts
      .filter((h) => h.role === 'worker')
      .map((h) => ({ value: h.name, name: `${h.name.padEnd(4)} Node ${h.name === 'w3' ? 'NotReady' : 'Ready'}`, short: h.name })),
  ];
  const input = new PassThrough();
  let screen = '';
  const output = new Writable({
    write(c, _e, cb) {
      screen += c.toString();
      cb();
    },
  });
  const answer = searchCheckbox({ message: 'choose', choices: lines, filter: hostFilter((l) => selectHosts(inv, [l])) }, { input, output });
  const key = async (s: string) => {
    input.write(s);
    await sleep(40);
  };
  for (const ch of 'w1') await key(ch);
  t.regex(screen, /4 of 14 shown, 0 ticked/, 'w1, w10, w11, w12');
  await key('\x01'); // ctrl-a: every line shown
  t.regex(screen, /4 of 14 shown, 4 ticked/);
  for (let i = 0; i < 2; i++) await key('\x7f'); // backspace x2
  for (const ch of 'NotReady') await key(ch);
  t.regex(screen, /1 of 14 shown, 4 ticked/, 'text search in the facts');
  await key(' ');
  t.regex(screen, /1 of 14 shown, 5 ticked/);
  await key('\x1b');
  await sleep(700); // a lone ESC is a key only after readline's escape timeout (500 ms)
  for (const ch of 'masters') await key(ch);
  t.regex(screen, /2 of 14 shown, 5 ticked/, 'a --limit group');
  await key('\x1b[B');
  await key(' ');
  await key('\r');
  t.deepEqual((await answer).sort(), ['m2', 'w1', 'w10', 'w11', 'w12', 'w3']);
});

const SOCK = `kubemend-term-${process.pid}`;
const tmux = async (...args: string[]) =>
  (await promisify(execFile)('tmux', ['-L', SOCK, '-f', '/dev/null', ...args], { env: { ...process.env, LANG: 'C.UTF-8' } })).stdout;
test.after.always(async () => {
  await tmux('kill-server').catch(() => undefined);
});

test.serial('in tmux: exec without --limit on 22 hosts; type to filter, tick, accept: exactly the ticked hosts run the command', async (t) => {
  const done = join(tmp(), 'exit');
  const cmd = `cd ${ROOT} && FAKE_WORKERS=20 ${process.execPath} --import tsx ${FAKE_MAIN} exec -i x echo hi; echo "EXIT=$?" > ${done}; sleep 600`;
  await tmux('new-session', '-d', '-s', 'km', '-x', '160', '-y', '45', cmd);
  const screen = () => tmux('capture-pane', '-p', '-J', '-t', 'km');
  await pollUntil('the searchable checkbox', async () => /0 of 22 shown|22 of 22 shown/.test(await screen()), 120_000, 300);
  await tmux('send-keys', '-t', 'km', '-l', 'w1');
  await pollUntil('w1, w10-w19 shown', async () => /11 of 22 shown/.test(await screen()), 20_000, 200);
  await tmux('send-keys', '-t', 'km', 'C-a');
  await pollUntil('11 ticked', async () => /11 of 22 shown, 11 ticked/.test(await screen()), 20_000, 200);
  await tmux('send-keys', '-t', 'km', 'Escape');
  await sleep(600);
  await tmux('send-keys', '-t', 'km', '-l', 'm2');
  await pollUntil('m2 shown', async () => /1 of 22 shown, 11 ticked/.test(await screen()), 20_000, 200);
  await tmux('send-keys', '-t', 'km', 'Space');
  await pollUntil('12 ticked', async () => /12 ticked/.test(await screen()), 20_000, 200);
  await tmux('send-keys', '-t', 'km', 'Enter');
  await pollUntil('exec to end', async () => readFileSync(done, 'utf8').startsWith('EXIT='), 120_000, 300).catch(() => undefined);
  const end = await tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'km');
  t.is(readFileSync(done, 'utf8').trim(), 'EXIT=0', end.slice(-2000));
  const ran = [...end.matchAll(/^(\S+) \| echo hi$/gm)].map((m) => m[1]).sort();
  t.deepEqual(ran, ['m2', 'w1', 'w10', 'w11', 'w12', 'w13', 'w14', 'w15', 'w16', 'w17', 'w18', 'w19']);
});
