/** Host key decisions of the transport: unknown refused or recorded, changed and revoked always refused. */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { fingerprint } from '../../lib/transport/hostkeys.js';
import type { TransportEvent } from '../../lib/transport/options.js';
import { TransportError } from '../../lib/transport/types.js';
import { HostKeyChecker } from '../../lib/transport/verify.js';

const dir = tempDir(join(tmpdir(), 'kubemend-verify-'));
function newKey(name: string): { blob: Buffer; line: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  const pub = readFileSync(`${file}.pub`, 'utf8').split(' ');
  return { blob: Buffer.from(pub[1]!, 'base64'), line: `${pub[0]} ${pub[1]}` };
}
const a = newKey('a');
const b = newKey('b');

function khFile(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

test('an unknown host is refused by default, with its fingerprint and how to accept it', async (t) => {
  const f = khFile('kh1', `10.0.0.1 ${a.line}\n`);
  const events: TransportEvent[] = [];
  const c = new HostKeyChecker(f, false, (e) => events.push(e));
  const err = await t.throwsAsync(c.check('w9', '10.0.0.9', 22, b.blob), { instanceOf: TransportError });
  t.is(err?.kind, 'host-key-unknown');
  t.true(err?.message.startsWith('w9: '));
  t.true(err?.message.includes(fingerprint(b.blob)));
  t.true(err?.message.includes('--accept-new-host-keys'));
  t.is(readFileSync(f, 'utf8'), `10.0.0.1 ${a.line}\n`);
  t.deepEqual(events, []);
});

test('with acceptNewHostKeys an unknown host is recorded once, with an event', async (t) => {
  const f = khFile('kh2', `10.0.0.1 ${a.line}\n`);
  const events: TransportEvent[] = [];
  const c = new HostKeyChecker(f, true, (e) => events.push(e));
  await Promise.all([c.check('w9', '10.0.0.9', 2222, b.blob), c.check('w9', '10.0.0.9', 2222, b.blob)]);
  await c.check('w9', '10.0.0.9', 2222, b.blob);
  t.is(readFileSync(f, 'utf8'), `10.0.0.1 ${a.line}\n[10.0.0.9]:2222 ${b.line}\n`);
  t.is(statSync(f).mode & 0o777, 0o600);
  t.deepEqual(events, [
    {
      type: 'host-key-accepted',
      host: 'w9',
      name: '[10.0.0.9]:2222',
      keyType: 'ssh-ed25519',
      fingerprint: fingerprint(b.blob),
      knownHosts: f,
    },
  ]);
});

test('a changed key is refused even with acceptNewHostKeys, naming both fingerprints', async (t) => {
  const f = khFile('kh3', `10.0.0.1 ${a.line}\n`);
  const c = new HostKeyChecker(f, true, () => undefined);
  const err = await t.throwsAsync(c.check('m1', '10.0.0.1', 22, b.blob), { instanceOf: TransportError });
  t.is(err?.kind, 'host-key-changed');
  t.true(err?.message.includes(fingerprint(a.blob)));
  t.true(err?.message.includes(fingerprint(b.blob)));
  t.is(readFileSync(f, 'utf8'), `10.0.0.1 ${a.line}\n`);
});

test('a revoked key is refused', async (t) => {
  const f = khFile('kh4', `@revoked 10.0.0.1 ${a.line}\n`);
  const c = new HostKeyChecker(f, true, () => undefined);
  const err = await t.throwsAsync(c.check('m1', '10.0.0.1', 22, a.blob), { instanceOf: TransportError });
  t.is(err?.kind, 'host-key-changed');
  t.regex(err?.message ?? '', /@revoked/);
});

test('a known key passes', async (t) => {
  const c = new HostKeyChecker(khFile('kh5', `10.0.0.1 ${a.line}\n`), false, () => undefined);
  await t.notThrowsAsync(c.check('m1', '10.0.0.1', 22, a.blob));
});
