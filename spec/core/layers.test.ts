/**
 * The product's layers (issue 16 item 5): folders of lib/ and playbooks/ import one another in one
 * direction only. lib/shell (quoting and secrets, what reaches a remote command line) is a leaf that
 * transport and core both use; lib/transport does not import lib/core; only the CLI knows the
 * playbooks; nothing shipped imports the tests or the lab.
 */
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO, relativeImports } from '../helpers/unit-tests.js';

/** Every .ts file under DIR (a path from the repository), as paths from the repository. */
function sources(dir: string): string[] {
  return readdirSync(join(REPO, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/** The layer a repository path belongs to: `lib/<folder>`, `playbooks`, `spec`, or the path itself. */
function folderOf(path: string): string {
  const parts = path.split('/');
  if (parts[0] === 'lib' && parts.length > 2) return `lib/${parts[1]}`;
  return parts[0] === 'playbooks' || parts[0] === 'spec' ? parts[0] : path;
}

/** Folder-level import edges of the product: from -> to -> one file that makes the edge (for messages). */
function productEdges(): Map<string, Map<string, string>> {
  const edges = new Map<string, Map<string, string>>();
  for (const file of [...sources('lib'), ...sources('playbooks')]) {
    for (const spec of relativeImports(readFileSync(join(REPO, file), 'utf8'))) {
      const target = relative(REPO, resolve(REPO, dirname(file), spec));
      const [from, to] = [folderOf(file), folderOf(target)];
      if (from === to) continue;
      let out = edges.get(from);
      if (!out) edges.set(from, (out = new Map()));
      if (!out.has(to)) out.set(to, `${file} imports ${spec}`);
    }
  }
  return edges;
}

/** One cycle of the graph as its folders (first repeated last), or undefined when it has none. */
function findCycle(edges: Map<string, Map<string, string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node)?.keys() ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The cycle with the file behind each of its edges, for a failure message. */
function explain(edges: Map<string, Map<string, string>>, cycle: string[]): string {
  return cycle
    .slice(0, -1)
    .map((from, i) => `${from} -> ${cycle[i + 1]} (${edges.get(from)!.get(cycle[i + 1]!)})`)
    .join('\n');
}

test('findCycle finds a cycle through three folders and none in a chain', (t) => {
  const graph = (pairs: [string, string][]) => {
    const g = new Map<string, Map<string, string>>();
    for (const [a, b] of pairs) (g.get(a) ?? g.set(a, new Map()).get(a)!).set(b, `${a}.ts`);
    return g;
  };
  t.deepEqual(
    findCycle(
      graph([
        ['a', 'b'],
        ['b', 'c'],
        ['c', 'a'],
        ['c', 'd'],
      ]),
    ),
    ['a', 'b', 'c', 'a'],
  );
  t.is(
    findCycle(
      graph([
        ['a', 'b'],
        ['b', 'c'],
        ['a', 'c'],
      ]),
    ),
    undefined,
  );
  t.deepEqual(
    findCycle(
      graph([
        ['x', 'y'],
        ['y', 'y2'],
        ['y2', 'y'],
      ]),
    ),
    ['y', 'y2', 'y'],
  );
});

test('the folders of lib/ and playbooks/ import one another without a cycle', (t) => {
  const edges = productEdges();
  t.true(edges.size > 5, 'the import graph was read');
  const cycle = findCycle(edges);
  t.is(cycle, undefined, cycle && `an import cycle between folders:\n${explain(edges, cycle)}`);
});

test('lib/shell (quoting and secrets) is a leaf; lib/transport does not import lib/core', (t) => {
  const edges = productEdges();
  t.deepEqual([...(edges.get('lib/shell')?.values() ?? [])], [], 'lib/shell imports nothing of the product');
  t.false(edges.get('lib/transport')?.has('lib/core') ?? false, edges.get('lib/transport')?.get('lib/core'));
  t.true(edges.get('lib/transport')?.has('lib/shell'), 'the transport quotes through lib/shell');
  t.true(edges.get('lib/core')?.has('lib/shell'), 'core redacts through lib/shell');
});

test('playbooks/shared (what several playbooks use) imports from lib/ and itself only, never a playbook', (t) => {
  const files = sources('playbooks').filter((f) => f.startsWith('playbooks/shared/'));
  t.true(files.length > 5, 'playbooks/shared was read');
  const out = files.flatMap((file) =>
    relativeImports(readFileSync(join(REPO, file), 'utf8'))
      .map((spec) => [file, relative(REPO, resolve(REPO, dirname(file), spec))] as const)
      .filter(([, target]) => !target.startsWith('lib/') && !target.startsWith('playbooks/shared/'))
      .map(([file, target]) => `${file} imports ${target}`),
  );
  t.deepEqual(out, []);
});

test('only the CLI imports the playbooks, and nothing shipped imports the tests or the lab', (t) => {
  const edges = productEdges();
  const intoPlaybooks = [...edges].filter(([from, to]) => from !== 'lib/cli' && from !== 'playbooks' && to.has('playbooks'));
  t.deepEqual(
    intoPlaybooks.map(([, to]) => to.get('playbooks')),
    [],
  );
  const intoSpec = [...edges].filter(([, to]) => to.has('spec'));
  t.deepEqual(
    intoSpec.map(([, to]) => to.get('spec')),
    [],
  );
});
