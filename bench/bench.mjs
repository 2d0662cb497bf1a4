#!/usr/bin/env node
// The benchmark driver behind scripts/bench (see docs/benchmarks.md): kubemend against a bare
// ssh2 script (the floor), Ansible and parallel-ssh, on lab hosts, runs interleaved, every client
// once with one key exchange pinned and once with its own defaults. Prints the tables (markdown)
// and, unless --no-write, puts them into docs/benchmarks.md between the bench:results markers.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ALL_CLIENTS, clientFiles, command, measure, toolOf } from './clients.mjs';
import { ensureLab as makeLab, lab } from './lab.mjs';
import { resultTables } from './stats.mjs';

const ROOT = resolve(new URL('..', import.meta.url).pathname);

const { values: a } = parseArgs({
  options: {
    hosts: { type: 'string', default: '50,200' },
    runs: { type: 'string', default: '3' },
    'default-runs': { type: 'string' },
    only: { type: 'string', default: ALL_CLIENTS.join(',') },
    workloads: { type: 'string', default: '1,10' },
    modes: { type: 'string', default: 'pinned,defaults' },
    nets: { type: 'string', default: '92,93' },
    'dir-base': { type: 'string', default: '/tmp/kubemend-bench' },
    keep: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    json: { type: 'string' },
    doc: { type: 'string', default: join(ROOT, 'docs/benchmarks.md') },
  },
});

const sizes = a.hosts.split(',').map(Number);
const nets = a.nets.split(',').map(Number);
const runs = Number(a.runs);
const defaultRuns = Number(a['default-runs'] ?? a.runs);
const clients = a.only.split(',');
const workloads = a.workloads.split(',').map(Number);
const modes = a.modes.split(',');
for (const c of clients) if (!ALL_CLIENTS.includes(c)) die(`--only ${c}: not one of ${ALL_CLIENTS.join(', ')}`);
for (const m of modes) if (!['pinned', 'defaults'].includes(m)) die(`--modes ${m}: pinned or defaults`);
if (nets.length < sizes.length) die(`--nets: one lab net id per --hosts entry (${sizes.length} needed)`);
if (sizes.some((n) => !(n >= 1)) || !(runs >= 1) || workloads.some((w) => !(w >= 1))) die('--hosts, --runs and --workloads take positive numbers');

function die(msg) {
  process.stderr.write(`scripts/bench: ${msg}\n`);
  process.exit(2);
}
const say = (m) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
/** A lab of n hosts in dir (reused when up with n hosts); exit 2 when it cannot be made. */
function ensureLab(n, net, dir) {
  try {
    return makeLab(n, net, dir, say);
  } catch (e) {
    die(e.message);
  }
}

for (const c of clients) {
  const tool = toolOf(c);
  if (tool && spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) die(`${tool} is not installed (scripts/bench installs it with apt)`);
}

const started = new Date();
const load0 = loadavg();
const samples = []; // {hosts, workload, client, mode, run, ok, wall, cpu, rssMB, load1}
const made = [];
try {
  for (const [i, n] of sizes.entries()) {
    const dir = join(a['dir-base'], `lab${n}`);
    const l = ensureLab(n, nets[i], dir);
    if (l.made) made.push(dir);
    const work = join(a['dir-base'], `work${n}`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(join(work, 'ansible-tmp'), { recursive: true });
    const files = clientFiles(dir, work, n, workloads);
    const ctx = { work, dir, n, files };
    const maxRuns = Math.max(modes.includes('pinned') ? runs : 0, modes.includes('defaults') ? defaultRuns : 0);
    for (let r = 0; r < maxRuns; r++) {
      for (const k of workloads) {
        for (const mode of modes) {
          if (r >= (mode === 'pinned' ? runs : defaultRuns)) continue;
          // interleaved, and the order rotates from run to run so no client always goes first
          const order = clients.map((_, j) => clients[(j + r) % clients.length]);
          for (const c of order) {
            const load1 = loadavg()[0];
            const m = await measure(command(c, k, mode, ctx), work);
            samples.push({ hosts: n, workload: k, client: c, mode, run: r + 1, load1, ...m });
            say(
              `${n} hosts x ${k} cmd, ${mode}, ${c} run ${r + 1}: ${m.ok ? 'ok' : `FAILED (exit ${m.code}: ${m.err})`} ${m.wall.toFixed(2)} s wall, ${m.cpu.toFixed(2)} s cpu, ${m.rssMB.toFixed(0)} MB, load ${load1}`,
            );
          }
        }
      }
    }
  }
} finally {
  if (!a.keep) for (const d of made) lab(['down', '--dir', d]);
}
const load1 = loadavg();
const cmdline = `scripts/bench ${process.argv.slice(2).join(' ')}`.trim();
const meta = {
  command: cmdline,
  started: started.toISOString(),
  ended: new Date().toISOString(),
  machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
  loadStart: load0,
  loadEnd: load1,
  versions: versions(),
};
const md = resultTables(samples, meta, { runs, defaultRuns });
process.stdout.write(md);
if (a.json) writeFileSync(a.json, JSON.stringify({ meta, samples }, null, 2) + '\n');
if (!a['no-write']) writeDoc(a.doc, md);
process.exit(samples.every((s) => s.ok) ? 0 : 1);

function versions() {
  const v = (sh) => spawnSync('sh', ['-c', sh], { encoding: 'utf8' }).stdout.trim().split('\n')[0] ?? '';
  return {
    node: process.version,
    openssh: spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim(),
    ansible: v('ansible --version 2>/dev/null'),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${Version} format field
    pssh: v("dpkg-query -W -f='${Version}' pssh 2>/dev/null"),
    ssh2: JSON.parse(readFileSync(join(ROOT, 'node_modules/ssh2/package.json'), 'utf8')).version,
  };
}

/** Replaces the text between the bench:results markers of the doc (appends them when missing). */
function writeDoc(file, md) {
  const start = '<!-- bench:results:start -->';
  const end = '<!-- bench:results:end -->';
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const block = `${start}\n${md}${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  writeFileSync(file, i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n${block}\n`);
  say(`results written to ${file}`);
}
