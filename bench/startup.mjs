#!/usr/bin/env node
// `scripts/bench startup`: kubemend's own fixed cost, in figures that do not depend on the machine's
// load: CPU time (user + sys, median of --runs), instructions executed (valgrind callgrind, one
// run: the same count whatever else the machine does), peak RSS, and the stages of
// KUBEMEND_TRACE (wall and CPU per stage). Against the bare ssh2 floor (bench/floor.mjs) on the
// same hosts. Prints a markdown table; --json FILE keeps every sample.
//
//   scripts/bench startup [--hosts 10] [--net 58] [--dir-base /tmp/kubemend-bench-startup] [--runs 5]
//                         [--no-instructions] [--cli FILE] [--label NAME] [--json FILE] [--keep]
//
// --cli runs another build of the CLI (e.g. an older checkout's dist/lib/cli/main.js) to compare.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchInventory, ensureLab, labDown } from './lab.mjs';
import { medianSpread, parseTimeV } from './stats.mjs';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const { values: a } = parseArgs({
  options: {
    hosts: { type: 'string', default: '10' },
    net: { type: 'string', default: '58' },
    'dir-base': { type: 'string', default: '/tmp/kubemend-bench-startup' },
    runs: { type: 'string', default: '5' },
    'no-instructions': { type: 'boolean', default: false },
    cli: { type: 'string', default: join(ROOT, 'dist/bin/kubemend.js') },
    label: { type: 'string' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const n = Number(a.hosts);
const runs = Number(a.runs);
if (!(n >= 1) || !(runs >= 1)) {
  process.stderr.write('scripts/bench startup: --hosts and --runs take positive numbers\n');
  process.exit(2);
}
const say = (m) => process.stderr.write(`[bench startup ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const KEX = 'curve25519-sha256';

const dir = join(a['dir-base'], `lab${n}`);
const work = join(a['dir-base'], 'work');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const lab = ensureLab(n, Number(a.net), dir, say);
const inv = benchInventory(dir);

/** The cases: name, argv (after node), whether it reaches the hosts. */
const cases = [
  { name: 'kubemend --version', argv: [a.cli, '--version'] },
  { name: `kubemend exec (${n} hosts x 1 cmd)`, argv: [a.cli, 'exec', '-i', inv, '--limit', 'all', '--concurrency', String(n), '--', 'echo', 'bench', '1'] },
  {
    name: `kubemend run bench-seq (${n} hosts x 10 cmd)`,
    argv: [a.cli, 'run', 'bench-seq', '-i', inv, '--yes', '--concurrency', String(n), '--state-dir', join(work, 'runs'), '--count', '10'],
  },
  ...[1, 10].map((k) => ({
    name: `floor (${n} hosts x ${k} cmd)`,
    argv: [
      join(ROOT, 'bench/floor.mjs'),
      '--hosts-json',
      join(dir, 'hosts.json'),
      '--key',
      join(dir, 'id_ed25519'),
      '--known-hosts',
      join(dir, 'known_hosts'),
      '--count',
      String(k),
      '--timeout',
      '120',
      '--kex',
      KEX,
    ],
  })),
];
const env = { ...process.env, KUBEMEND_SSH_KEX: KEX, KUBEMEND_TRACE: 'json' };

/** One run under /usr/bin/time -v: CPU s, peak RSS MB, the trace's stages (kubemend only). */
function timed(c) {
  const tv = join(work, 'time-v.txt');
  const r = spawnSync('/usr/bin/time', ['-v', '-o', tv, 'node', ...c.argv], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${c.name}: exit ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  const t = parseTimeV(readFileSync(tv, 'utf8'));
  const line = r.stderr.split('\n').find((l) => l.startsWith('KUBEMEND_TRACE '));
  return { cpu: t.user + t.sys, rssMB: t.maxRssKB / 1024, trace: line ? JSON.parse(line.slice('KUBEMEND_TRACE '.length)) : undefined };
}

/** Instructions executed by the whole process (every thread), counted by callgrind. */
function instructions(c) {
  const out = join(work, 'callgrind.out');
  const r = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, 'node', ...c.argv], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`valgrind ${c.name}: exit ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  const m = /Collected : (\d+)/.exec(r.stderr);
  rmSync(out, { force: true });
  return m ? Number(m[1]) : NaN;
}

const results = [];
try {
  if (!a['no-instructions'] && spawnSync('valgrind', ['--version']).status !== 0) throw new Error('valgrind is not installed (or pass --no-instructions)');
  for (let r = 0; r < runs; r++) {
    for (const c of cases) {
      const s = timed(c);
      (results[cases.indexOf(c)] ??= { name: c.name, samples: [] }).samples.push(s);
      say(`${c.name} run ${r + 1}: ${s.cpu.toFixed(2)} s CPU, ${s.rssMB.toFixed(0)} MB`);
    }
  }
  if (!a['no-instructions']) {
    for (const [i, c] of cases.entries()) {
      say(`${c.name}: counting instructions (valgrind, about 50x slower)`);
      results[i].instructions = instructions(c);
    }
  }
} finally {
  if (lab.made && !a.keep) labDown(dir);
}

const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-');
const md = [];
md.push(
  `${a.label ? `${a.label}: ` : ''}\`${a.cli.replace(ROOT + '/', '')}\`, ${n} lab hosts, kex ${KEX}, CPU median of ${runs} runs, instructions from one run under callgrind.`,
);
md.push('');
md.push('| case | CPU user+sys s (median, min-max) | instructions (10^9) | peak RSS MB |');
md.push('|---|---|---|---|');
for (const r of results) {
  const cpu = medianSpread(r.samples.map((s) => s.cpu));
  md.push(
    `| ${r.name} | ${f2(cpu.median)} (${f2(cpu.min)}-${f2(cpu.max)}) | ${r.instructions === undefined ? '-' : f2(r.instructions / 1e9)} | ${f0(medianSpread(r.samples.map((s) => s.rssMB)).median)} |`,
  );
}
md.push('');
// the stages of the median-CPU run of each kubemend case
for (const r of results.filter((x) => x.samples[0].trace)) {
  const med = [...r.samples].sort((p, q) => p.cpu - q.cpu)[Math.floor(r.samples.length / 2)];
  md.push(`Stages of \`${r.name}\` (KUBEMEND_TRACE, the median run; CPU ms of kubemend's process, wall ms on this machine):`);
  md.push('');
  md.push('| stage | CPU ms | wall ms | |');
  md.push('|---|---:|---:|---|');
  for (const s of med.trace.stages) md.push(`| ${s.name} | ${f0(s.cpuMs)} | ${f0(s.wallMs)} | ${s.note ?? ''} |`);
  md.push(`| total | ${f0(med.trace.total.cpuMs)} | ${f0(med.trace.total.wallMs)} | peak RSS ${f0(med.trace.peakRssMB)} MB |`);
  md.push('');
}
process.stdout.write(md.join('\n'));
if (a.json) writeFileSync(a.json, JSON.stringify({ cli: a.cli, hosts: n, runs, results }, null, 2) + '\n');
