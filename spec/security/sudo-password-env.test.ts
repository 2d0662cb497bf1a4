/** $KUBEMEND_SUDO_PASSWORD is read once, removed from the environment at once, and registered for redaction whatever its length. */
import test from 'ava';
import { sudoPasswordSource } from '../../lib/cli/deps.js';
import { redact } from '../../lib/shell/secret.js';

test('the variable is dropped from the environment when read, and its value (4 characters) is redacted', async (t) => {
  const env: NodeJS.ProcessEnv = { KUBEMEND_SUDO_PASSWORD: 'pw4x', OTHER: 'kept' };
  const ask = sudoPasswordSource(env);
  t.false('KUBEMEND_SUDO_PASSWORD' in env, 'dropped before any host is contacted');
  t.is(env.OTHER, 'kept');
  t.is(await ask(), 'pw4x');
  t.is(await ask(), 'pw4x', 'asked again: the same value, from memory');
  t.is(redact('sudo: pw4x'), 'sudo: <sudo-password>');
});

test('the real process environment loses it too (children spawned later never inherit it)', (t) => {
  process.env.KUBEMEND_SUDO_PASSWORD = 'proc-env-pw';
  sudoPasswordSource();
  t.false('KUBEMEND_SUDO_PASSWORD' in process.env);
});
