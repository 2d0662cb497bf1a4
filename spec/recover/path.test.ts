import test from 'ava';
import { choosePath } from '../../playbooks/recover/path.js';
import { parsePkiState } from '../../lib/facts/pki.js';
import { parseChains } from '../../lib/facts/chains.js';
import { parseEtcdHealth } from '../../lib/facts/etcd.js';

const full = parsePkiState(
  ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'sa.key', 'sa.pub', 'etcd/ca.crt', 'etcd/ca.key'].map((f) => `file ${f}`).join('\n') +
    '\nfp ca.crt SHA256 Fingerprint=AA:BB\n',
);
const none = parsePkiState('');
const m = (name: string, pki = full, cp = true) => ({ name, role: 'master' as const, pki, controlPlaneFiles: cp });
const w = (name: string, pki = full) => ({ name, role: 'worker' as const, pki, controlPlaneFiles: false });

test('paths: pki-wipe, pki-wipe-one, whole cluster, --replace-ca', (t) => {
  t.is(choosePath([m('m1', none, false), m('m2', none, false), w('w1')], false).path, 'full-rebuild');
  const one = choosePath([m('m1'), m('m2', none, false), w('w1')], false);
  t.deepEqual([one.path, one.lost, one.source], ['rebuild-one', ['m2'], 'm1']);
  t.is(choosePath([m('m1'), m('m2'), w('w1')], false).path, 'nothing-to-do');
  t.is(choosePath([m('m1'), m('m2'), w('w1')], true).path, 'replace-ca');
});

test('fact parsers', (t) => {
  t.is(full.ca, 'AA:BB');
  t.true(full.complete);
  t.false(none.complete);
  t.deepEqual(parseChains('ok /a\nbad /b\nabsent /c\nnoise'), [
    { status: 'ok', path: '/a' },
    { status: 'bad', path: '/b' },
    { status: 'absent', path: '/c' },
  ]);
  t.deepEqual(
    parseEtcdHealth(
      'https://10.85.0.2:2379 is healthy: successfully committed proposal: took = 2ms\nhttps://10.85.0.3:2379 is unhealthy: failed to commit proposal',
    ),
    { healthy: ['https://10.85.0.2:2379'], unhealthy: ['https://10.85.0.3:2379'] },
  );
});
