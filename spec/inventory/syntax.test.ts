/** The value syntax rules (they are also what keeps shell metacharacters out of inventories). */
import test from 'ava';
import {
  isAddress,
  isDnsLabel,
  isDnsSubdomain,
  isLabelKey,
  isLabelValue,
  isPosixUser,
  parseDuration,
  splitHostPort,
  splitUserHostPort,
} from '../../lib/inventory/syntax.js';

const META = [';', '$(x)', '`x`', "'", '"', '\n', ' ', '|', '&', '>', '\\'];

const table: [string, (s: string) => boolean, string[], string[]][] = [
  ['isDnsLabel', isDnsLabel, ['prod-eu1', 'a', '0', 'a'.repeat(63)], ['', 'Prod', '-a', 'a-', 'a.b', 'a'.repeat(64)]],
  ['isDnsSubdomain', isDnsSubdomain, ['m1', 'node-1.prod.example', '1-2'], ['', 'M1', 'a..b', '.a', 'a.', 'a_b']],
  [
    'isAddress',
    isAddress,
    ['10.0.0.1', 'fd00::1', '::1', 'host.example.com', 'Host-1', 'h.example.com.'],
    ['', '10.0.0.256', '1.2.3', '[::1]', 'a_b', '-a', 'fd00::1%eth0', 'a..b'],
  ],
  ['isPosixUser', isPosixUser, ['root', '_svc', 'ops-1', 'machine$'], ['', 'Root', '1root', 'a$b', 'a'.repeat(33)]],
  ['isLabelKey', isLabelKey, ['zone', 'topology.kubernetes.io/zone', 'a_b.c-d', 'A'], ['', '/zone', 'Example.com/zone', 'a/', '-a', 'a/b/c', 'x'.repeat(64)]],
  ['isLabelValue', isLabelValue, ['', 'a', 'gpu_1.x-y', 'A1'], ['-a', 'a-', 'a b', 'x'.repeat(64)]],
];
for (const [name, fn, good, bad] of table) {
  test(`${name} accepts ${good.length} and refuses ${bad.length + META.length} values, metacharacters included`, (t) => {
    for (const g of good) t.true(fn(g), `${name}(${JSON.stringify(g)})`);
    for (const b of bad) t.false(fn(b), `${name}(${JSON.stringify(b)})`);
    for (const m of META) t.false(fn(`a${m}b`), `${name}(${JSON.stringify(`a${m}b`)})`);
  });
}

test('durations, host:port and [user@]host[:port]', (t) => {
  t.is(parseDuration('500ms'), 500);
  t.is(parseDuration('10s'), 10_000);
  t.is(parseDuration('2m'), 120_000);
  t.is(parseDuration('1h'), 3_600_000);
  // Go's time.ParseDuration forms, as kubectl users type them
  t.is(parseDuration('1m30s'), 90_000);
  t.is(parseDuration('1.5s'), 1_500);
  t.is(parseDuration('2h45m10.5s'), 9_910_500);
  t.is(parseDuration('250us'), 1, 'sub-millisecond rounds up to 1 ms, never to 0');
  for (const bad of ['0s', '0', '10', '-1s', '10 s', 's', '1m30', '1d', '']) t.is(parseDuration(bad), undefined, bad);
  t.deepEqual(splitHostPort('[fd00::10]:6443'), { host: 'fd00::10', port: 6443 });
  t.deepEqual(splitHostPort('api.example:443'), { host: 'api.example', port: 443 });
  for (const bad of ['fd00::10:6443', 'host', 'host:', ':6443', 'a:b:1']) t.is(splitHostPort(bad), undefined, bad);
  t.deepEqual(splitUserHostPort('ops@10.0.0.5:2022'), { user: 'ops', host: '10.0.0.5', port: 2022 });
  t.deepEqual(splitUserHostPort('bastion'), { user: undefined, host: 'bastion', port: undefined });
  t.deepEqual(splitUserHostPort('[fd00::5]:22'), { user: undefined, host: 'fd00::5', port: 22 });
});
