/**
 * known_hosts: parsing (plain, hashed by real ssh-keygen -H, [host]:port, @revoked, comments),
 * decisions about an offered key, fingerprints as ssh-keygen prints them, and recording.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import {
  decideHostKey,
  fingerprint,
  hostFieldMatches,
  keyTypeOf,
  knownHostsName,
  loadKnownHosts,
  parseKnownHosts,
  recordHostKey,
} from '../../lib/transport/hostkeys.js';

const dir = tempDir(join(tmpdir(), 'kubemend-hostkeys-'));

/** A fresh ed25519 public key blob made by ssh-keygen, and its `.pub` line. */
function newKey(name: string): { blob: Buffer; pub: string; file: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  const pub = readFileSync(`${file}.pub`, 'utf8').trim();
  return { blob: Buffer.from(pub.split(' ')[1]!, 'base64'), pub, file };
}

const a = newKey('a');
const b = newKey('b');
const c = newKey('c');
const typeAndKey = (k: { pub: string }) => k.pub.split(' ').slice(0, 2).join(' ');

test('fingerprint and key type match ssh-keygen -lf', (t) => {
  const out = execFileSync('ssh-keygen', ['-lf', `${a.file}.pub`], { encoding: 'utf8' });
  t.is(fingerprint(a.blob), out.split(' ')[1]);
  t.is(keyTypeOf(a.blob), 'ssh-ed25519');
});

test('knownHostsName: bare on 22, [host]:port otherwise', (t) => {
  t.is(knownHostsName('10.0.0.1', 22), '10.0.0.1');
  t.is(knownHostsName('10.0.0.1', 2222), '[10.0.0.1]:2222');
});

test('parse: comments, blank lines, markers, patterns, malformed lines skipped', (t) => {
  const text = [
    '# a comment',
    '',
    `10.0.0.1,m1 ${typeAndKey(a)} root@m1`,
    `[10.0.0.2]:2222 ${typeAndKey(b)}`,
    `@revoked 10.0.0.3 ${typeAndKey(c)}`,
    `@cert-authority *.lab ${typeAndKey(c)}`,
    '@bogus 10.0.0.9 ssh-ed25519 AAAA',
    'only-two fields',
    '10.0.0.4 ssh-ed25519 not*base64',
  ].join('\n');
  const e = parseKnownHosts(text);
  t.is(e.length, 4);
  t.deepEqual(
    e.map((x) => [x.marker, x.hosts, x.line]),
    [
      [undefined, '10.0.0.1,m1', 3],
      [undefined, '[10.0.0.2]:2222', 4],
      ['revoked', '10.0.0.3', 5],
      ['cert-authority', '*.lab', 6],
    ],
  );
  t.true(e[0]!.key.equals(a.blob));
});

test('patterns: lists, wildcards, negation, case', (t) => {
  t.true(hostFieldMatches('m1,10.0.0.1', '10.0.0.1'));
  t.true(hostFieldMatches('10.0.0.*', '10.0.0.7'));
  t.true(hostFieldMatches('M1', 'm1'));
  t.false(hostFieldMatches('10.0.0.*,!10.0.0.7', '10.0.0.7'));
  t.false(hostFieldMatches('10.0.0.1', '10.0.0.10'));
  t.false(hostFieldMatches('10.0.0.1', '[10.0.0.1]:2222'));
  t.true(hostFieldMatches('[10.0.0.1]:2222', '[10.0.0.1]:2222'));
});

test('hashed entries written by ssh-keygen -H match their hosts, with and without a port', (t) => {
  const f = join(dir, 'hashed');
  writeFileSync(f, `10.0.0.1 ${typeAndKey(a)}\n[10.0.0.2]:2222 ${typeAndKey(b)}\n`);
  execFileSync('ssh-keygen', ['-q', '-H', '-f', f], { stdio: 'ignore' });
  const e = parseKnownHosts(readFileSync(f, 'utf8'));
  t.is(e.length, 2);
  t.true(e.every((x) => x.hosts.startsWith('|1|')));
  t.is(decideHostKey(e, '10.0.0.1', a.blob).verdict, 'known');
  t.is(decideHostKey(e, '[10.0.0.2]:2222', b.blob).verdict, 'known');
  t.is(decideHostKey(e, '10.0.0.2', b.blob).verdict, 'unknown');
  t.is(decideHostKey(e, '10.0.0.1', b.blob).verdict, 'changed');
});

test('decisions: known, unknown, changed (with the expected fingerprint), revoked', (t) => {
  const e = parseKnownHosts([`10.0.0.1 ${typeAndKey(a)}`, `@revoked 10.0.0.3 ${typeAndKey(c)}`, `10.0.0.3 ${typeAndKey(c)}`].join('\n'));
  t.deepEqual(decideHostKey(e, '10.0.0.1', a.blob), { verdict: 'known', fingerprint: fingerprint(a.blob) });
  const u = decideHostKey(e, '10.0.0.2', b.blob);
  t.is(u.verdict, 'unknown');
  const ch = decideHostKey(e, '10.0.0.1', b.blob);
  t.is(ch.verdict, 'changed');
  if (ch.verdict === 'changed') {
    t.is(ch.fingerprint, fingerprint(b.blob));
    t.deepEqual(ch.expected, [`ssh-ed25519 ${fingerprint(a.blob)}`]);
    t.deepEqual(ch.lines, [1]);
  }
  // revoked wins even over a plain line with the same key
  t.is(decideHostKey(e, '10.0.0.3', c.blob).verdict, 'revoked');
});

test('recordHostKey appends a line (port form, mode 0600) that reads back as known', async (t) => {
  const f = join(dir, 'sub', 'known_hosts');
  await recordHostKey(f, '10.0.0.5', 22, a.blob);
  await recordHostKey(f, '10.0.0.6', 2222, b.blob);
  const text = readFileSync(f, 'utf8');
  t.is(text, `10.0.0.5 ${typeAndKey(a)}\n[10.0.0.6]:2222 ${typeAndKey(b)}\n`);
  t.is(statSync(f).mode & 0o777, 0o600);
  const e = await loadKnownHosts(f);
  t.is(decideHostKey(e, '[10.0.0.6]:2222', b.blob).verdict, 'known');
  // ssh-keygen agrees with what we wrote
  const found = execFileSync('ssh-keygen', ['-F', '[10.0.0.6]:2222', '-f', f], { encoding: 'utf8' });
  t.true(found.includes(typeAndKey(b)));
});

test('recordHostKey does not glue its line to a last line without a newline', async (t) => {
  const f = join(dir, 'nonl');
  writeFileSync(f, `10.0.0.1 ${typeAndKey(a)}`);
  await recordHostKey(f, '10.0.0.2', 22, b.blob);
  t.is(parseKnownHosts(readFileSync(f, 'utf8')).length, 2);
});

test('a missing known_hosts file is empty', async (t) => {
  t.deepEqual(await loadKnownHosts(join(dir, 'nope')), []);
});
