/** redact(): registered secrets and secrets recognised by their shape never reach what is shown or stored. */
import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { Secret, redact, redactRegistered } from '../../lib/shell/secret.js';
import { tail } from '../../lib/core/events.js';

const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const kubeconfig = `users:\n- name: admin\n  user:\n    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t\n    client-key-data: ${Buffer.from(rsa).toString('base64')}\n`;

test('a bootstrap token kubeadm prints (never registered) is replaced by its shape', (t) => {
  const out = '[bootstrap-token] Using token: l6gb9h.hq4ckgheuejyvc3b\nkubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef \\\n';
  const r = redact(out);
  t.false(r.includes('l6gb9h') || r.includes('hq4ckgheuejyvc3b') || r.includes('0123456789abcdef'), r);
  t.is(r, '[bootstrap-token] Using token: <bootstrap-token>\nkubeadm join 10.0.0.1:6443 --token <bootstrap-token> \\\n');
});

test('private keys (PKCS#8, PKCS#1, cut short) and client-key-data are replaced; certificates and hashes are kept', (t) => {
  const text = `before\n${pem}middle\n${rsa}${kubeconfig}sha256:${'ab'.repeat(32)}\ntruncated ${rsa.slice(0, 200)}`;
  const r = redact(text);
  for (const key of [pem, rsa]) for (const line of key.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) t.false(r.includes(line), line);
  t.false(r.includes(Buffer.from(rsa).toString('base64').slice(0, 40)));
  t.true(r.includes('client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t'));
  t.true(r.includes('client-key-data: <client-key>'));
  t.true(r.includes(`sha256:${'ab'.repeat(32)}`));
  t.regex(r, /^before\n<private-key>\nmiddle\n<private-key>\n/);
});

test('redactRegistered (command output inside kubemend) keeps shapes so a new token can be captured; tail() (events) scrubs them', (t) => {
  const s = new Secret('join-token', 'regist.ered0123456789ab');
  const out = `new: zzzzzz.yyyyyyyyyyyyyyyy old: ${s.reveal()}`;
  t.is(redactRegistered(out), 'new: zzzzzz.yyyyyyyyyyyyyyyy old: <join-token>');
  t.is(tail(out), 'new: <bootstrap-token> old: <join-token>');
});

test('a secret of any length is registered and scrubbed (a 3-character sudo password too)', (t) => {
  const s = new Secret('sudo-password', 'q7z');
  t.is(redact(`sudo said q7z twice: q7z`), 'sudo said <sudo-password> twice: <sudo-password>');
  t.is(String(s), '<sudo-password>');
  t.is(redact('one char: ~'), 'one char: ~', 'nothing else is touched');
});
