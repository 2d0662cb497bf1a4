/**
 * The bundled CLI (scripts/bundle.mjs, dist/bin/kubemend.js: what package.json's bin and
 * scripts/kubemend run) answers as the sources do, reaches hosts through ssh2 left in
 * node_modules, and keeps what most commands do not use (the Kubernetes client, X.509, winston,
 * the prompts) out of its entry: loaded when used.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ROOT, SOURCE_MAIN } from './run-cli.js';

// inside the checkout: the bundle finds ssh2 in node_modules from where it lies, as dist/bin does
mkdirSync(join(ROOT, 'dist'), { recursive: true });
const out = tempDir(join(ROOT, 'dist', '.bundle-test-'));
test.after.always(() => rmSync(out, { recursive: true, force: true }));
const meta = join(out, 'meta.json');

/** node ARGS in the repository root: exit code and output. */
function node(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const built = node([join(ROOT, 'scripts/bundle.mjs'), '--outdir', join(out, 'bin'), '--metafile', meta]);
const BUNDLE = join(out, 'bin', 'kubemend.js');

test.serial('the bundle builds', async (t) => {
  const r = await built;
  t.is(r.code, 0, r.stderr);
});

for (const args of [['--version'], ['playbooks'], ['--help'], ['run', '--help']]) {
  test(`kubemend ${args.join(' ')}: the bundle prints what the sources print`, async (t) => {
    t.is((await built).code, 0);
    const [b, s] = await Promise.all([node([BUNDLE, ...args]), node(['--import', 'tsx', SOURCE_MAIN, ...args])]);
    t.is(b.code, 0, b.stderr);
    t.is(b.code, s.code);
    t.is(b.stdout, s.stdout);
    t.true(b.stdout.length > 0);
  });
}

test('the bundle reaches a host through ssh2 (kept in node_modules): a refused connection is reported as by the sources', async (t) => {
  t.is((await built).code, 0);
  // a port that was free a moment ago: nothing listens there
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const dir = tempDir(join(tmpdir(), 'km-bundle-inv-'));
  writeFileSync(join(dir, 'known_hosts'), '');
  writeFileSync(
    join(dir, 'inventory.yaml'),
    `cluster: b\ncontrolPlaneEndpoint: 127.0.0.1:6443\nssh:\n  user: root\n  port: ${port}\n  knownHosts: known_hosts\n  connectTimeout: 20s\nhosts:\n  - name: h1\n    address: 127.0.0.1\n    role: master\n`,
  );
  const args = ['exec', '-i', join(dir, 'inventory.yaml'), '--limit', 'all', '--', 'true'];
  const [b, s] = await Promise.all([node([BUNDLE, ...args], { SSH_AUTH_SOCK: '' }), node(['--import', 'tsx', SOURCE_MAIN, ...args], { SSH_AUTH_SOCK: '' })]);
  t.not(b.code, 0);
  t.is(b.code, s.code, `${b.stderr}\n---\n${s.stderr}`);
  t.regex(b.stderr, /ECONNREFUSED/);
  t.notRegex(b.stderr, /could not be loaded|Cannot find|internal error/);
});

test("zod's messages are English in the bundle, as from the sources (the bundle keeps zod's English locale only)", async (t) => {
  t.is((await built).code, 0);
  const dir = tempDir(join(tmpdir(), 'km-bundle-zod-'));
  writeFileSync(
    join(dir, 'inventory.yaml'),
    'cluster: b\ncontrolPlaneEndpoint: 127.0.0.1:6443\nhosts:\n  - name: h1\n    address: 127.0.0.1\n    role: master\n',
  );
  const args = ['run', 'bench-seq', '--count', 'x', '-i', join(dir, 'inventory.yaml'), '--yes'];
  const [b, s] = await Promise.all([node([BUNDLE, ...args]), node(['--import', 'tsx', SOURCE_MAIN, ...args])]);
  t.is(b.code, 2, b.stderr);
  t.is(b.stderr, s.stderr);
  t.regex(b.stderr, /--count: Invalid input: expected number, received string/);
  const m = JSON.parse(readFileSync(meta, 'utf8')) as { inputs: Record<string, unknown> };
  t.deepEqual(
    Object.keys(m.inputs).filter((i) => i.includes('zod/v4/locales/') && !i.endsWith('/en.js')),
    [],
    'no other locale in any output',
  );
});

test('the entry leaves the Kubernetes client, X.509, winston and the prompts to chunks loaded on use', async (t) => {
  t.is((await built).code, 0);
  const m = JSON.parse(readFileSync(meta, 'utf8')) as {
    outputs: Record<string, { entryPoint?: string; inputs: Record<string, unknown>; imports: Array<{ path: string; kind: string }> }>;
  };
  const outputs = Object.entries(m.outputs).filter(([f]) => f.endsWith('.js'));
  const entry = outputs.find(([, o]) => o.entryPoint === 'lib/cli/main.ts');
  t.truthy(entry);
  // everything the entry loads at start: itself and the chunks it imports statically, transitively
  const byPath = new Map(outputs);
  const atStart = new Set<string>();
  const visit = (f: string) => {
    if (atStart.has(f) || !byPath.has(f)) return;
    atStart.add(f);
    for (const i of byPath.get(f)!.imports) if (i.kind === 'import-statement') visit(i.path);
  };
  visit(entry![0]);
  t.true(atStart.size > 1, 'the entry imports its shared chunks');
  const inputs = [...atStart].flatMap((f) => Object.keys(byPath.get(f)!.inputs));
  t.true(
    inputs.some((i) => i.startsWith('lib/cli/')),
    'the CLI is in the entry',
  );
  for (const lazy of ['node_modules/@kubernetes/client-node/', 'node_modules/@peculiar/x509/', 'node_modules/winston/', 'node_modules/@inquirer/']) {
    t.false(
      inputs.some((i) => i.startsWith(lazy)),
      `${lazy} loaded at start`,
    );
  }
  t.false(
    inputs.some((i) => i.includes('ssh2/')),
    'ssh2 stays external',
  );
});
