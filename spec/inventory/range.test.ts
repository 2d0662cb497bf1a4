/** Ansible host patterns: ranges with strides and letters, `name:port`, expanded as ansible-core 2.14 expands them (expected values printed by its expand_hostname_range / parse_address). */
import test from 'ava';
import { HostPatternError, expandHostnameRange, splitHostPattern } from '../../lib/inventory/ansible-range.js';

const expansions: [string, string[]][] = [
  ['node[01:06:2]', ['node01', 'node03', 'node05']],
  ['node[1:6:2]', ['node1', 'node3', 'node5']],
  ['h[a:f]', ['ha', 'hb', 'hc', 'hd', 'he', 'hf']],
  ['h[a:f:2]', ['ha', 'hc', 'he']],
  ['db[1:3]-x[a:b]', ['db1-xa', 'db1-xb', 'db2-xa', 'db2-xb', 'db3-xa', 'db3-xb']],
  ['n[01:10:3]', ['n01', 'n04', 'n07', 'n10']],
  ['x[:3]', ['x0', 'x1', 'x2', 'x3']],
  ['y[08:10]', ['y08', 'y09', 'y10']],
  ['z[5:1]', []],
  ['w[1:5:-1]', []],
  ['q[a:Z:10]', ['qa', 'qk', 'qu', 'qE', 'qO', 'qY']],
  ['plain', ['plain']],
];
for (const [pattern, names] of expansions) {
  test(`${pattern} expands to ${names.join(' ') || 'nothing'}`, (t) => {
    t.deepEqual(expandHostnameRange(pattern), names);
  });
}

const refused: [string, RegExp][] = [
  ['r[A:c]', /begin <= end/],
  ['n[b:a]', /begin <= end/],
  ['n[1:3:0]', /step must not be 0/],
  ['n[01:100]', /same length/],
  ['n[1:x]', /numbers|letters/],
  ['n[1:]', /end value/],
  ['n[1-3]', /\[begin:end\]/],
  ['a|b[1:2]', /one \[ and one \]/],
  ['n[1:3', /one \[ and one \]/],
  ['h[0:9999][0:9999]', /at most 10000 hosts/],
];
for (const [pattern, why] of refused) {
  test(`${pattern} is refused (${why.source})`, (t) => {
    t.throws(() => expandHostnameRange(pattern), { instanceOf: HostPatternError, message: why });
  });
}

test('name:port and [host]:port are split as parse_address does; a bad name keeps its colon', (t) => {
  t.deepEqual(splitHostPattern('node1:2222'), { pattern: 'node1', port: 2222 });
  t.deepEqual(splitHostPattern('[fd00::1]:22'), { pattern: 'fd00::1', port: 22 });
  t.deepEqual(splitHostPattern('node[1:3]:2200'), { pattern: 'node[1:3]', port: 2200 });
  t.deepEqual(splitHostPattern('10.0.0.[1:3]'), { pattern: '10.0.0.[1:3]', port: undefined });
  t.deepEqual(splitHostPattern('fd00::1'), { pattern: 'fd00::1', port: undefined });
  t.deepEqual(splitHostPattern('bad_:22'), { pattern: 'bad_:22' });
});
