/** scripts/bench does not rot: on a 3-host lab it measures kubemend and the floor and prints a parseable result table. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { requireRoot, sharedLab } from '../helpers/lab.js';
// @ts-expect-error plain JavaScript module of the benchmark, without types
import { medianSpread, parseTimeV } from '../../bench/stats.mjs';

const BENCH = fileURLToPath(new URL('../../scripts/bench', import.meta.url));
const LAB = { hosts: 3, net: 91, dir: '/tmp/h-bench/smoke/lab3' };

test('medianSpread: median of odd and even counts, spread, non-numbers ignored', (t) => {
  t.deepEqual(medianSpread([3, 1, 2]), { median: 2, min: 1, max: 3, n: 3 });
  t.deepEqual(medianSpread([4, 1, NaN, 2, 3]), { median: 2.5, min: 1, max: 4, n: 4 });
  t.true(Number.isNaN(medianSpread([]).median));
});

test('parseTimeV: user, sys and peak RSS from GNU time -v', (t) => {
  const text = '\tUser time (seconds): 1.25\n\tSystem time (seconds): 0.50\n\tMaximum resident set size (kbytes): 81234\n';
  t.deepEqual(parseTimeV(text), { user: 1.25, sys: 0.5, maxRssKB: 81234 });
});

test.serial('scripts/bench on 3 hosts: a table row per client and workload, every run ok, ratios', async (t) => {
  if (!requireRoot(t)) return;
  await sharedLab(LAB);
  const json = join(tempDir(join(tmpdir(), 'bench-smoke-')), 'r.json');
  const args = [
    '--hosts',
    '3',
    '--nets',
    '91',
    '--dir-base',
    '/tmp/h-bench/smoke',
    '--runs',
    '1',
    '--only',
    'kubemend,floor',
    '--modes',
    'pinned',
    '--no-write',
    '--keep',
    '--json',
    json,
  ];
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(BENCH, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  t.is(r.code, 0, r.stderr);
  const rows = r.stdout
    .split('\n')
    .filter((l) => /^\| 3 \| \d+ cmd \| /.test(l))
    .map((l) => l.split('|').map((c) => c.trim()));
  const measured = rows.filter((c) => c.length === 11);
  t.deepEqual(measured.map((c) => `${c[2]} ${c[3]}`).sort(), ['1 cmd bare ssh2 (floor)', '1 cmd kubemend', '10 cmd bare ssh2 (floor)', '10 cmd kubemend']);
  for (const c of measured) {
    t.true(Number(c[4]) > 0, `wall median of ${c[3]}: ${c[4]}`);
    t.true(Number(c[6]) > 0, `CPU of ${c[3]}: ${c[6]}`);
    t.true(Number(c[7]) > 10, `peak RSS of ${c[3]}: ${c[7]} MB`);
    t.is(c[9], '1/1');
  }
  const ratios = rows.filter((c) => c.length === 7);
  t.is(ratios.length, 2);
  for (const c of ratios) t.regex(c[3], /^\d+\.\d\dx \(\d+\.\d\dx\)$/);
  const saved = JSON.parse(readFileSync(json, 'utf8')) as { samples: Array<{ ok: boolean; client: string }> };
  t.is(saved.samples.length, 4);
  t.true(saved.samples.every((s) => s.ok));
});

test.after.always(async () => {
  if (process.getuid?.() === 0) await (await sharedLab(LAB)).down();
});
