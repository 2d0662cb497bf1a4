/**
 * `npm run test:unit`'s list (spec/helpers/unit-tests.ts): a test file that reaches the lab fixture
 * through any chain of imports is a lab test and stays out of it; the others are in.
 */
import test from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { labTestFiles, relativeImports, testFiles, unitTestFiles } from '../helpers/unit-tests.js';

/** A repository in a temporary folder with these files (path -> text). */
function repo(files: Record<string, string>): string {
  const root = tempDir(join(tmpdir(), 'kubemend-unit-list-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('relativeImports: static imports, re-exports, side-effect and dynamic imports; packages and node: modules are not followed', (t) => {
  const src = [
    "import test from 'ava';",
    "import { a } from './a.js';",
    'import type { B } from "../b.js";',
    "export * from './c.js';",
    "import './d.js';",
    "const e = await import('./e.js');",
    "import { join } from 'node:path';",
  ].join('\n');
  t.deepEqual(relativeImports(src), ['./a.js', '../b.js', './c.js', './d.js', './e.js']);
});

test('a test that imports the lab fixture directly, through a helper, a dynamic import or an import cycle is left out; the others are in', (t) => {
  const root = repo({
    'spec/helpers/lab.ts': 'export function requireRoot() {}\n',
    'spec/helpers/pure.ts': 'export const x = 1;\n',
    'spec/a/direct.test.ts': "import { requireRoot } from '../helpers/lab.js';\n",
    'spec/a/fixture.ts': "export { requireRoot } from '../helpers/lab.js';\n",
    'spec/a/helper.ts': "import { requireRoot } from './fixture.js';\nexport const h = requireRoot;\n",
    'spec/a/indirect.test.ts': "import { h } from './helper.js';\n",
    'spec/a/dynamic.test.ts': "const lab = await import('../helpers/lab.js');\n",
    // b imports c before c reaches the fixture: the cycle must not hide the lab from b
    'spec/b/cyc-b.ts': "import './cyc-c.js';\n",
    'spec/b/cyc-c.ts': "import './cyc-b.js';\nimport '../helpers/lab.js';\n",
    'spec/b/cycle.test.ts': "import './cyc-b.js';\n",
    'spec/b/unit.test.ts': "import test from 'ava';\nimport { x } from '../helpers/pure.js';\nimport data from './data.json' with { type: 'json' };\n",
    'spec/b/data.json': '{}',
  });
  t.deepEqual(testFiles(root), ['spec/a/direct.test.ts', 'spec/a/dynamic.test.ts', 'spec/a/indirect.test.ts', 'spec/b/cycle.test.ts', 'spec/b/unit.test.ts']);
  t.deepEqual(unitTestFiles(root), ['spec/b/unit.test.ts']);
  t.deepEqual(
    labTestFiles(root),
    ['spec/a/direct.test.ts', 'spec/a/dynamic.test.ts', 'spec/a/indirect.test.ts', 'spec/b/cycle.test.ts'],
    'the lab list is every other file',
  );
});

test("this repository's list: the lab tests (bare hosts, clusters, shared labs through helpers) are out, the planned and pure tests in", (t) => {
  const unit = unitTestFiles();
  for (const lab of [
    'spec/lab/hosts.test.ts',
    'spec/lab/node.test.ts',
    'spec/rejoin/rejoin-workers.test.ts',
    'spec/recover/recover.test.ts',
    'spec/security/metachar.test.ts',
    'spec/transport/ssh.test.ts',
  ]) {
    t.false(unit.includes(lab), `${lab} needs a lab`);
  }
  for (const u of ['spec/core/plan.test.ts', 'spec/recover/options.test.ts', 'spec/core/unit-tests.test.ts', 'spec/lab/sim/kubeadm/arguments.test.ts'])
    t.true(unit.includes(u), `${u} is a unit test`);
  t.true(unit.length > 50 && unit.length < testFiles().length, `${unit.length} of ${testFiles().length}`);
});
