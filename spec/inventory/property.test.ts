/** Property tests: whatever the file holds, loadInventory loads it or throws an InventoryError with positioned issues. */
import test from 'ava';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { InventoryError, loadInventory } from '../../lib/inventory/index.js';
import { VALID, tempFiles } from './helpers.js';

const dir = tempFiles({ id_key: 'key' });
// kubemend's reader alone: this fuzzes the reader (spec/inventory/ansible-diff.test.ts compares it with ansible-inventory)
const opts = { sshConfigPath: join(dir, 'no-ssh-config'), ansibleInventory: false as const };
let n = 0;
/** FC_RUNS=10 runs ten times as many cases (for a long local hunt). */
const scale = Number(process.env.FC_RUNS ?? 1);

/** Write `text` to a fresh file and load it: it must load, or throw InventoryError with complete issues. */
async function loadsOrExplains(text: string, ext = 'yaml'): Promise<boolean> {
  const file = join(dir, `p${n++}.${ext}`);
  writeFileSync(file, text);
  try {
    const inv = await loadInventory(file, opts);
    return inv.hosts.length > 0 && inv.hosts.some((h) => h.role === 'master');
  } catch (err) {
    if (!(err instanceof InventoryError)) throw new Error(`not an InventoryError for ${JSON.stringify(text)}: ${String(err)}`);
    if (err.issues.length === 0) throw new Error(`no issues for ${JSON.stringify(text)}`);
    for (const i of err.issues) {
      if (i.file !== file || !(i.line >= 1) || !(i.column >= 1) || !i.field || !i.message) {
        throw new Error(`incomplete issue ${JSON.stringify(i)} for ${JSON.stringify(text)}`);
      }
    }
    return true;
  }
}

const keys = [
  'cluster',
  'controlPlaneEndpoint',
  'kubeadmConfig',
  'ssh',
  'hosts',
  'name',
  'address',
  'role',
  'first',
  'user',
  'port',
  'identityFile',
  'sudo',
  'jump',
  'labels',
  'all',
  'children',
  'vars',
  'kube_control_plane',
  'kube_node',
  'ansible_host',
  'ansible_port',
  'x',
];
const scalars = fc.oneof(
  fc.constantFrom(
    'master',
    'worker',
    'm1',
    '10.0.0.1',
    'fd00::1',
    '[::1]:6443',
    'a.b:6443',
    'none',
    'nopasswd',
    '10s',
    'id_key',
    '~',
    '',
    ';',
    '$(x)',
    '`x`',
    "'",
    '"',
    '\n',
    '*a',
    '&a',
    '!!binary x',
  ),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const values = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalars, tie('list'), tie('map')),
  list: fc.array(tie('value'), { maxLength: 4 }),
  map: fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string()), tie('value'), { maxKeys: 5 }),
})).value;

test('random YAML documents load or throw InventoryError with file, line >= 1 and field on every issue', async (t) => {
  await fc.assert(
    fc.asyncProperty(values, async (v) => loadsOrExplains(stringify(v))),
    { numRuns: 300 * scale },
  );
  t.pass();
});

test('random text (YAML-ish and INI-ish) loads or throws InventoryError', async (t) => {
  const yamlish = fc.array(
    fc.oneof(
      fc.constantFrom(
        'hosts:',
        '  - name: m1',
        '    role: master',
        'cluster: c',
        '[kube_node]',
        'a: [',
        '- ',
        '  ',
        '\t',
        ':',
        '{',
        '}',
        '&x',
        '*x',
        '<<: *x',
        '---',
        '...',
        '%YAML 1.2',
        'w1 ansible_host=1.2.3.4',
        '[all:vars]',
        'k=v',
        '"',
      ),
      fc.string(),
    ),
    { maxLength: 12 },
  );
  await fc.assert(
    fc.asyncProperty(yamlish, fc.constantFrom('yaml', 'ini', 'txt'), async (lines, ext) => loadsOrExplains(lines.join('\n'), ext)),
    { numRuns: 300 * scale },
  );
  t.pass();
});

test('random mutations of a valid inventory load or throw InventoryError', async (t) => {
  const base = parseDocument(VALID).toJS() as Record<string, unknown>;
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, p: (string | number)[]): void => {
    paths.push(p);
    if (Array.isArray(v))
      v.forEach((x, i) => {
        walk(x, [...p, i]);
      });
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
  };
  walk(base, []);
  const mutation = fc.tuple(fc.constantFrom(...paths.filter((p) => p.length > 0)), fc.oneof(scalars, values, fc.constant(undefined)));
  await fc.assert(
    fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (muts) => {
      const doc = structuredClone(base);
      for (const [p, v] of muts) {
        let o: Record<string | number, unknown> = doc;
        for (const seg of p.slice(0, -1)) {
          const next = o[seg];
          if (!next || typeof next !== 'object') break;
          o = next as Record<string | number, unknown>;
        }
        const last = p[p.length - 1]!;
        if (v === undefined) delete o[last];
        else o[last] = v;
      }
      return loadsOrExplains(stringify(doc));
    }),
    { numRuns: 400 * scale },
  );
  t.pass();
});

test('unmodified valid inventory loads (the mutation base is valid)', async (t) => {
  t.true(await loadsOrExplains(VALID));
  const file = join(dir, 'valid.yaml');
  writeFileSync(file, VALID);
  const inv = await loadInventory(file, opts);
  t.is(inv.hosts.length, 5);
  t.is(inv.ssh.connectTimeoutMs, 5000);
});
