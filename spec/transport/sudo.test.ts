/** sudo wrapping: which hosts get sudo, the password only on stdin and only when sudo asks for it, sudo's refusals told apart. */
import test from 'ava';
import { quoteArgv } from '../../lib/shell/quote.js';
import { Secret } from '../../lib/shell/secret.js';
import { sudoArgv, sudoExchange, sudoFailure, sudoPlan } from '../../lib/transport/sudo.js';
import { SudoGate } from '../../lib/transport/sudo-gate.js';

test('plan: root, sudo none and sudo:false run directly; others through sudo', (t) => {
  t.is(sudoPlan({ user: 'root', sudo: 'password' }, undefined), 'direct');
  t.is(sudoPlan({ user: 'ops', sudo: 'none' }, undefined), 'direct');
  t.is(sudoPlan({ user: 'ops', sudo: 'nopasswd' }, false), 'direct');
  t.is(sudoPlan({ user: 'ops', sudo: 'nopasswd' }, undefined), 'nopasswd');
  t.is(sudoPlan({ user: 'ops', sudo: 'password' }, true), 'password');
});

test('nopasswd wraps with sudo -n --, quoted by quoteArgv', (t) => {
  const q = quoteArgv(sudoArgv('nopasswd', ['cat', "/etc/it's"]));
  t.is(q.wire, `sudo -n -- cat '/etc/it'\\''s'`);
});

test('password: sudo -S with a prompt marker unique to the command, and a ready marker the command prints before it runs; never the password', (t) => {
  const pw = 'pw-on-stdin-only';
  const x = sudoExchange(pw);
  const y = sudoExchange(pw);
  t.not(x.prompt, y.prompt, 'a new marker per command');
  t.not(x.ready, y.ready);
  t.regex(x.prompt, /^\[kubemend-sudo [0-9a-f]{32}\] password: $/);
  t.false(x.prompt.includes('%'), 'no sudo prompt escape');
  const q = quoteArgv(sudoArgv('password', ['kubeadm', 'token', 'create', new Secret('join-token', 'abcdef.0123456789abcdef')], x));
  t.is(q.wire, `sudo -S -p '${x.prompt}' -- sh -c 'echo ${x.ready} >&2; exec "$@"' sh kubeadm token create abcdef.0123456789abcdef`);
  t.is(q.display, `sudo -S -p '${x.prompt}' -- sh -c 'echo ${x.ready} >&2; exec "$@"' sh kubeadm token create '<join-token>'`);
  t.false(q.wire.includes(pw));
  t.throws(() => sudoArgv('password', ['true']), { message: /needs a sudo exchange/ });
});

const feedAll = (g: SudoGate, chunks: string[]) => chunks.map((c) => g.feed(Buffer.from(c)));

test('gate: sudo does not ask (NOPASSWD, a cached login): the password is never written, the own input follows the ready marker', (t) => {
  const x = sudoExchange('secret-pw');
  const g = new SudoGate(x);
  // the marker split across chunks, the command's own stderr right after it
  const half = Math.floor(x.ready.length / 2);
  const steps = feedAll(g, [x.ready.slice(0, half), `${x.ready.slice(half)}\nown stderr\n`]);
  t.deepEqual(
    steps.map((s) => s.action),
    [undefined, 'ready'],
  );
  t.is(Buffer.concat(steps.map((s) => s.keep)).toString(), 'own stderr\n');
  t.is(g.state, 'running');
  t.false(steps.some((s) => s.action === 'password'));
});

test('gate: sudo asks once: the password is written once, then the command runs', (t) => {
  const x = sudoExchange('secret-pw');
  const g = new SudoGate(x);
  const steps = feedAll(g, [x.prompt, `${x.ready}\n`, 'late\n']);
  t.deepEqual(
    steps.map((s) => s.action),
    ['password', 'ready', undefined],
  );
  t.is(g.passwordLine().toString(), 'secret-pw\n');
  t.is(Buffer.concat(steps.map((s) => s.keep)).toString(), 'late\n', 'markers stripped from stderr');
});

test('gate: sudo asks again (wrong password): refused, stdin ended, the password written only the first time', (t) => {
  const x = sudoExchange('wrong-pw');
  const g = new SudoGate(x);
  const steps = feedAll(g, [x.prompt, 'Sorry, try again.\n', x.prompt]);
  t.deepEqual(
    steps.map((s) => s.action),
    ['password', undefined, 'refuse'],
  );
  t.is(g.state, 'refused');
  t.is(g.flush().toString(), 'Sorry, try again.\n');
});

test("gate: once the command runs its stderr is passed through untouched, even text that looks like sudo's prompt", (t) => {
  const x = sudoExchange('pw');
  const g = new SudoGate(x);
  g.feed(Buffer.from(`${x.ready}\n`));
  const s = g.feed(Buffer.from(`${x.prompt}${x.ready}\n`));
  t.is(s.action, undefined);
  t.is(s.keep.toString(), `${x.prompt}${x.ready}\n`);
});

test('gate: sudo fails before running anything (not in sudoers): its words are kept for the error', (t) => {
  const x = sudoExchange('pw');
  const g = new SudoGate(x);
  t.is(g.feed(Buffer.from('kube is not in the sudoers file.  This incident will be reported.\n')).keep.length, 0, 'held while sudo may still ask');
  t.is(g.flush().toString(), 'kube is not in the sudoers file.  This incident will be reported.\n');
  t.is(g.state, 'waiting');
});

test("sudo's refusals are told apart from the command's own failures", (t) => {
  t.regex(sudoFailure('password', 1, 'Sorry, try again.\nsudo: 1 incorrect password attempt\n') ?? '', /wrong password/);
  t.regex(sudoFailure('nopasswd', 1, 'sudo: a password is required\n') ?? '', /a password is required/);
  t.regex(sudoFailure('nopasswd', 1, 'ops is not in the sudoers file.  This incident will be reported.\n') ?? '', /sudoers/);
  t.regex(sudoFailure('nopasswd', 127, 'sh: 1: sudo: not found\n') ?? '', /not installed/);
  t.is(sudoFailure('nopasswd', 1, 'grep: no match\n'), undefined);
  t.is(sudoFailure('nopasswd', 2, 'sudo: a password is required\n'), undefined);
  t.is(sudoFailure('direct', 1, 'sudo: a password is required\n'), undefined);
});
