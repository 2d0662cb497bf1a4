/**
 * spec/helpers/tmp.ts: a test's temporary folders (a run's state folder holds private keys) are gone
 * once its process exits, however it ends (normally or by process.exit with a failure code).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TMP = fileURLToPath(new URL('../helpers/tmp.ts', import.meta.url));

/** Runs node with `code` (tempDir imported), returns what it printed (the folders it made). */
function run(code: string): { dirs: string[]; status: number | null } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { tempDir } from ${JSON.stringify(TMP)}; ${code}`], {
    encoding: 'utf8',
  });
  return { dirs: r.stdout.split('\n').filter(Boolean), status: r.status };
}

test('every folder tempDir made is removed with its files when the process ends', (t) => {
  const { dirs, status } = run(
    "import { writeFileSync } from 'node:fs'; for (const p of ['/tmp/km-tempdir-a-', '/tmp/km-tempdir-b-']) { const d = tempDir(p); writeFileSync(d + '/key.pem', 'x'); console.log(d); }",
  );
  t.is(status, 0);
  t.is(dirs.length, 2);
  for (const d of dirs) t.false(existsSync(d), `${d} removed`);
});

test('a process that ends by process.exit(1) removes them too; until then they exist', (t) => {
  const { dirs, status } = run(
    "import { existsSync } from 'node:fs'; const d = tempDir('/tmp/km-tempdir-c-'); console.log(d); if (!existsSync(d)) process.exit(3); process.exit(1);",
  );
  t.is(status, 1, 'the folder existed while the process ran');
  t.is(dirs.length, 1);
  t.false(existsSync(dirs[0]!));
});
