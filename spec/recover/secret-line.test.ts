/** The token and certificate key recover captures are taken by their shape, and output without one stops the step without showing it. */
import test from 'ava';
import { secretLine } from '../../playbooks/shared/join-secrets.js';

test('the one line with the shape of a bootstrap token or certificate key is taken', (t) => {
  t.is(secretLine('abcdef.0123456789abcdef\n', 'token', 'm1: kubeadm token create'), 'abcdef.0123456789abcdef');
  t.is(secretLine('W1129 warning: something\nabcdef.0123456789abcdef\n', 'token', 'x'), 'abcdef.0123456789abcdef');
  const key = 'a'.repeat(64);
  t.is(secretLine(`${key}\n`, 'certificate-key', 'x'), key);
});

test('garbage, nothing, or two candidates: an error naming the step, never echoing the output', (t) => {
  const e = t.throws(() => secretLine('Error: %%% s3cr3t-ish garbage\n', 'token', 'm1: kubeadm token create'));
  t.regex(e.message, /^m1: kubeadm token create printed no bootstrap token \(1 lines of output, not shown/);
  t.false(e.message.includes('s3cr3t'));
  t.throws(() => secretLine('', 'certificate-key', 'm1: kubeadm certs certificate-key'), { message: /printed no certificate key/ });
  t.throws(() => secretLine('abcdef.0123456789abcdef\nbcdefa.0123456789abcdef\n', 'token', 'x'), { message: /more than one bootstrap token/ });
  t.throws(() => secretLine('ABCDEF.0123456789ABCDEF\n', 'token', 'x'), { message: /no bootstrap token/ });
});
