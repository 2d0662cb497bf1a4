/** selectHosts and the role helpers: names, globs, groups, label selectors, exclusions, unknown patterns. */
import test from 'ava';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LimitError, firstMaster, loadInventory, masters, others, selectHosts, workers, type Inventory } from '../../lib/inventory/index.js';
import { tempFiles } from './helpers.js';

const example = fileURLToPath(new URL('../../inventory/example.yaml', import.meta.url));
const load = (): Promise<Inventory> => loadInventory(example, { sshConfigPath: '/nonexistent' });
const names = (hs: { name: string }[]): string[] => hs.map((h) => h.name);

test('role helpers', async (t) => {
  const inv = await load();
  t.is(firstMaster(inv).name, 'm1');
  t.deepEqual(names(masters(inv)), ['m1', 'm2', 'm3']);
  t.deepEqual(names(others(inv)), ['m2', 'm3']);
  t.deepEqual(names(workers(inv)), ['w1', 'w2', 'w3']);
});

test('first: true on a later master makes it first and the others the rest', async (t) => {
  const dir = tempFiles({
    'i.yaml':
      'cluster: c\ncontrolPlaneEndpoint: a.example:6443\nhosts:\n  - {name: m1, address: 10.0.0.1, role: master}\n  - {name: m2, address: 10.0.0.2, role: master, first: true}\n  - {name: m3, address: 10.0.0.3, role: master}\n',
  });
  const inv = await loadInventory(join(dir, 'i.yaml'), { sshConfigPath: '/nonexistent' });
  t.is(firstMaster(inv).name, 'm2');
  t.deepEqual(names(others(inv)), ['m1', 'm3']);
  t.deepEqual(names(selectHosts(inv, ['first'])), ['m2']);
});

const cases: [string[] | undefined, string[]][] = [
  [undefined, ['m1', 'm2', 'm3', 'w1', 'w2', 'w3']],
  [[], ['m1', 'm2', 'm3', 'w1', 'w2', 'w3']],
  [['all'], ['m1', 'm2', 'm3', 'w1', 'w2', 'w3']],
  [['masters'], ['m1', 'm2', 'm3']],
  [['workers'], ['w1', 'w2', 'w3']],
  [['first'], ['m1']],
  [['others'], ['m2', 'm3']],
  [['w2'], ['w2']],
  [['w*'], ['w1', 'w2', 'w3']],
  [['w[12]'], ['w1', 'w2']],
  [
    ['w3', 'm1'],
    ['m1', 'w3'],
  ],
  [['w1,w2'], ['w1', 'w2']],
  [['10.0.1.22'], ['w2']],
  [['label:zone=a'], ['m1', 'w1']],
  [['label:pool=gpu'], ['w3']],
  [['label:pool'], ['w1', 'w2', 'w3']],
  [
    ['workers', '!w2'],
    ['w1', 'w3'],
  ],
  [['!masters'], ['w1', 'w2', 'w3']],
  [
    ['masters', 'first'],
    ['m1', 'm2', 'm3'],
  ],
];
for (const [limit, expected] of cases) {
  test(`--limit ${JSON.stringify(limit)} selects ${expected.join(',')}`, async (t) => {
    t.deepEqual(names(selectHosts(await load(), limit)), expected);
  });
}

test('a pattern that matches nothing is an error naming it', async (t) => {
  const inv = await load();
  const err = t.throws(() => selectHosts(inv, ['w1', 'w9', 'label:zone=z']), { instanceOf: LimitError });
  t.is(err?.code, 'ELIMIT');
  t.deepEqual(err?.patterns, ['w9', 'label:zone=z']);
  t.regex(err!.message, /"w9"/);
});

test('an exclusion that excludes nothing is fine, as in Ansible (w*,!w9 without a w9)', async (t) => {
  const inv = await load();
  t.deepEqual(
    selectHosts(inv, ['w*,!w9']).map((h) => h.name),
    ['w1', 'w2', 'w3'],
  );
  t.deepEqual(
    selectHosts(inv, ['!nope']).map((h) => h.name),
    inv.hosts.map((h) => h.name),
  );
  t.throws(() => selectHosts(inv, ['w9,!w1']), { instanceOf: LimitError, message: /"w9"/ }, 'an inclusion that matches nothing is still an error');
});
