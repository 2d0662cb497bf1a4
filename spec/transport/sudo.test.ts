/** sudo wrapping: which hosts get sudo, the password only ever on stdin, sudo's refusals told apart. */
import test from 'ava';
import { quoteArgv } from '../../lib/core/quote.js';
import { Secret } from '../../lib/core/secret.js';
import { sudoArgv, sudoFailure, sudoPlan, sudoStdin } from '../../lib/transport/sudo.js';

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

test('password: sudo -S -p "" --, and the password only on stdin, before the command\'s own', (t) => {
  const pw = 'pw-on-stdin-only';
  const argv = sudoArgv('password', ['kubeadm', 'token', 'create', new Secret('join-token', 'abcdef.0123456789abcdef')]);
  const q = quoteArgv(argv);
  t.is(q.wire, "sudo -S -p '' -- kubeadm token create abcdef.0123456789abcdef");
  t.is(q.display, "sudo -S -p '' -- kubeadm token create '<join-token>'");
  t.false(q.wire.includes(pw));
  t.false(q.display.includes(pw));
  t.is(sudoStdin('password', pw, 'data\n')?.toString(), `${pw}\ndata\n`);
  t.is(sudoStdin('password', pw)?.toString(), `${pw}\n`);
  t.is(sudoStdin('nopasswd', pw, 'x')?.toString(), 'x');
  t.is(sudoStdin('direct', pw), undefined);
  t.throws(() => sudoStdin('password', undefined));
});

test("sudo's refusals are told apart from the command's own failures", (t) => {
  t.regex(
    sudoFailure('password', 1, 'Sorry, try again.\nsudo: 1 incorrect password attempt\n') ?? '',
    /wrong password/,
  );
  t.regex(sudoFailure('nopasswd', 1, 'sudo: a password is required\n') ?? '', /a password is required/);
  t.regex(sudoFailure('nopasswd', 1, 'ops is not in the sudoers file.  This incident will be reported.\n') ?? '', /sudoers/);
  t.regex(sudoFailure('nopasswd', 127, 'sh: 1: sudo: not found\n') ?? '', /not installed/);
  t.is(sudoFailure('nopasswd', 1, 'grep: no match\n'), undefined);
  t.is(sudoFailure('nopasswd', 2, 'sudo: a password is required\n'), undefined);
  t.is(sudoFailure('direct', 1, 'sudo: a password is required\n'), undefined);
});
