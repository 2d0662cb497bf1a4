#!/usr/bin/env node
// `scripts/bench recover`: the recovery's wall time on a 3 + W lab cluster against
// spec/lab/solve-by-hand.sh (the procedure by hand: host by host, and with parallel-ssh over the
// workers in kubemend's batches), broken down by phase from kubemend's journal with kubemend's own
// CPU per phase and per host apart from the time it was blocked on the cluster, projected to a
// fleet of --project nodes, and the rolling rejoin's time per batch for each batch size. See
// docs/benchmarks.md.
//
//   scripts/bench recover [--workers 50] [--batches 1,5,10,25,50] [--batch-size B0] [--net 86]
//                         [--hand-workers 1] [--only hand,pssh,recover,sweep] [--project 5000]
//                         [--dir-base DIR] [--no-write] [--keep] [--doc FILE]
//
// Steps: lab up (timed), wait healthy; break pki-wipe, time solve-by-hand.sh, check healthy;
// break pki-wipe, time solve-by-hand.sh with SOLVE_PARALLEL_SSH=1 and B0's batch size, check
// healthy; break pki-wipe, time `kubemend run recover --batch-size B0` (KUBEMEND_TRACE=json), check
// exit 0 and healthy, phases and their cost from the journal; for each B: break worker-pki on every worker, time `kubemend run
// rejoin-workers --batch-size B --limit <every worker>`, batches from the journal's batch/gate
// events. Every command has a timeout; its output goes to DIR-BASE/logs/. The lab and the run
// state folders (backups hold private keys) are removed at the end (the lab also on failure)
// unless --keep; the parsed figures stay in DIR-BASE/results.json.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { costModel } from './stats.mjs';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const LAB = join(ROOT, 'scripts/lab');
const CLI = join(ROOT, 'dist/bin/kubemend.js'); // the bundle: what bin and scripts/kubemend run
const SOLVE = join(ROOT, 'spec/lab/solve-by-hand.sh');

const { values: o } = parseArgs({
  options: {
    workers: { type: 'string', default: '50' },
    batches: { type: 'string', default: '1,5,10,25,50' },
    'batch-size': { type: 'string', default: '20%' },
    only: { type: 'string', default: 'hand,pssh,recover,sweep' },
    project: { type: 'string', default: '5000' },
    net: { type: 'string', default: '86' },
    'dir-base': { type: 'string', default: '/tmp/kubemend-bench-recover' },
    doc: { type: 'string', default: join(ROOT, 'docs/benchmarks.md') },
    'no-write': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'hand-workers': { type: 'string', default: '1' },
  },
});
const W = Number(o.workers);
const BATCHES = o.batches.split(',').filter(Boolean).map(Number);
if (!Number.isInteger(W) || W < 1 || BATCHES.some((b) => !Number.isInteger(b) || b < 1)) {
  process.stderr.write('scripts/bench recover: --workers and --batches take positive integers\n');
  process.exit(2);
}
// B0: 20% of the workers: a cluster keeps 80% of its workers serving while a batch rejoins, and
// at 50 workers 5 batches of 10 is what an operator would choose; the sweep shows other sizes.
// (Given as a percentage: recover's --batch-size takes "N%" or a JSON number.)
const B0 = o['batch-size'];
/** Workers the by-hand script rejoins at once (1: host by host). */
const HAND_AT_ONCE = Number(o['hand-workers']);
if (!Number.isInteger(HAND_AT_ONCE) || HAND_AT_ONCE < 1) {
  process.stderr.write('scripts/bench recover: --hand-workers takes a positive integer\n');
  process.exit(2);
}
const ONLY = new Set(o.only.split(','));
if ([...ONLY].some((x) => !['hand', 'pssh', 'recover', 'sweep'].includes(x))) {
  process.stderr.write('scripts/bench recover: --only takes hand,pssh,recover,sweep\n');
  process.exit(2);
}
const PROJECT = Number(o.project);
/** Workers in one of recover's batches of B0 (as the runner counts: a percentage rounded up, at least 1). */
const B0_HOSTS = Math.max(1, /%$/.test(B0) ? Math.ceil((W * Number(B0.slice(0, -1))) / 100) : Number(B0));
if (!Number.isInteger(B0_HOSTS) || !(PROJECT >= 1)) {
  process.stderr.write('scripts/bench recover: --batch-size takes N or N%, --project a positive number\n');
  process.exit(2);
}
const BASE = resolve(o['dir-base']);
const DIR = join(BASE, 'lab');
const LOGS = join(BASE, 'logs');
const INV = join(DIR, 'inventory.yaml');
const WORKERS = Array.from({ length: W }, (_, i) => `w${i + 1}`);

const say = (s) => process.stderr.write(`[bench recover ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const sec = (ms) => (ms / 1000).toFixed(1);

// Ctrl-C / SIGTERM: the running command's process group is killed, the step fails, the lab is taken down.
let interrupted = '';
let current;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = sig;
    say(`${sig}: stopping (the lab is taken down unless --keep)`);
    if (current)
      try {
        process.kill(-current, 'SIGTERM');
      } catch {}
  });
}

/** Runs a command with a timeout (whole process group killed), output to LOGS/<log>.log; resolves {code, ms, out}. */
function run(log, cmd, args, timeoutS, env) {
  if (interrupted && log !== 'down') return Promise.resolve({ code: interrupted, ms: 0, out: `not run: ${interrupted}` });
  const file = join(LOGS, `${log}.log`);
  appendFileSync(file, `$ ${cmd} ${args.join(' ')}\n`);
  const t0 = Date.now();
  return new Promise((res) => {
    const p = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    current = p.pid;
    let out = '';
    const take = (d) => {
      out += d;
      appendFileSync(file, d);
    };
    p.stdout.on('data', take);
    p.stderr.on('data', take);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-p.pid, 'SIGTERM');
      } catch {}
      setTimeout(() => {
        try {
          process.kill(-p.pid, 'SIGKILL');
        } catch {}
      }, 10_000).unref();
    }, timeoutS * 1000);
    p.on('error', (e) => {
      out += String(e);
    });
    p.on('close', (exit, signal) => {
      const code = exit ?? `killed by ${signal}`;
      clearTimeout(timer);
      if (current === p.pid) current = undefined;
      const ms = Date.now() - t0;
      appendFileSync(file, `# exit ${code}${timedOut ? ` (timed out after ${timeoutS}s)` : ''} in ${sec(ms)}s\n`);
      res({ code: timedOut ? 'timeout' : code, ms, out });
    });
  });
}

/** Runs and throws (with the log's name and tail) unless exit 0. */
async function must(what, log, cmd, args, timeoutS, env) {
  const r = await run(log, cmd, args, timeoutS, env);
  if (r.code !== 0) {
    const tailLines = r.out.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${what}: ${r.code === 'timeout' ? `timed out after ${timeoutS}s` : `exit ${r.code}`} (log ${join(LOGS, `${log}.log`)}):\n${tailLines}`);
  }
  return r;
}

const lab = (log, args, timeoutS) => must(`scripts/lab ${args[0]} ${args[1] ?? ''}`.trim(), log, LAB, [...args, '--dir', DIR], timeoutS);

/** Polls `scripts/lab status --json` until healthy; returns ms waited; throws after timeoutS. */
async function waitHealthy(what, timeoutS) {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < timeoutS * 1000) {
    const r = await run('status', LAB, ['status', '--json', '--dir', DIR], 120);
    if (r.code === 0) return Date.now() - t0;
    if (interrupted) throw new Error(`${what}: ${interrupted}`);
    last = r.out.trim().split('\n').slice(-8).join('\n');
    await new Promise((s) => setTimeout(s, 5000));
  }
  throw new Error(`${what}: the lab is not healthy after ${timeoutS}s (scripts/lab status --json --dir ${DIR}):\n${last}`);
}

/** The only run folder under a fresh state dir, its journal parsed. */
function journal(stateDir) {
  const runs = readdirSync(stateDir).filter((d) => existsSync(join(stateDir, d, 'journal.jsonl')));
  if (runs.length !== 1) throw new Error(`expected one run in ${stateDir}, found ${runs.length}`);
  return readFileSync(join(stateDir, runs[0], 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
}

/** Phases of a journal: id, start offset and duration (s), hosts, status. */
function phases(events) {
  const t0 = Date.parse(events[0].ts);
  const open = new Map();
  const out = [];
  for (const e of events) {
    if (e.kind === 'phase-start') open.set(e.phase, e);
    if (e.kind === 'phase-end') {
      const s = open.get(e.phase);
      out.push({
        phase: e.phase,
        at: s ? (Date.parse(s.ts) - t0) / 1000 : NaN,
        s: e.durationMs / 1000,
        hosts: s?.hosts.length ?? 0,
        hostNames: s?.hosts ?? [],
        status: e.status,
        cost: e.cost,
      });
    }
  }
  return out;
}

/** Batches of a rolling phase: from its `batch` event to its `gate` event. */
function batches(events, phase) {
  const start = new Map();
  const out = [];
  for (const e of events) {
    if (e.phase !== phase) continue;
    if (e.kind === 'batch') start.set(e.index, e);
    if (e.kind === 'gate' && start.has(e.index))
      out.push({ index: e.index, hosts: start.get(e.index).hosts.length, s: (Date.parse(e.ts) - Date.parse(start.get(e.index).ts)) / 1000, ok: e.ok });
  }
  return out;
}

/** The KUBEMEND_TRACE=json line of a run's output, parsed (undefined when missing). */
function traceOf(out) {
  const line = out.split('\n').find((l) => l.startsWith('KUBEMEND_TRACE '));
  return line ? JSON.parse(line.slice('KUBEMEND_TRACE '.length)) : undefined;
}

/** `[solve Ns] step` lines: each step's duration until the next line. */
function solveSteps(out) {
  const marks = [...out.matchAll(/^\[solve\s+(\d+)s\] (.*)$/gm)].map((m) => ({ at: Number(m[1]), step: m[2] }));
  return marks.slice(0, -1).map((m, i) => ({ step: m.step, at: m.at, s: marks[i + 1].at - m.at }));
}

const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const table = (head, rows) =>
  [`| ${head.join(' | ')} |`, `|${head.map((_h, i) => (i ? '---:' : '---')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

async function main() {
  if (!existsSync(CLI)) throw new Error(`${CLI} missing: build first (npm run build)`);
  if (existsSync(join(DIR, 'hosts.json')))
    throw new Error(`${DIR} holds a lab already: take it down (scripts/lab down --dir ${DIR}) or use another --dir-base`);
  rmSync(LOGS, { recursive: true, force: true });
  mkdirSync(LOGS, { recursive: true });
  madeLab = true;
  const R = (PARTIAL = {
    date: new Date().toISOString(),
    host: hostname(),
    cpu: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
    memGiB: Math.round(totalmem() / 2 ** 30),
    load: loadavg()
      .map((x) => x.toFixed(1))
      .join(' '),
    workers: W,
    b0: B0,
    handAtOnce: HAND_AT_ONCE,
    batches: BATCHES,
    net: o.net,
    only: o.only,
    project: PROJECT,
  });
  say(`3 masters + ${W} workers on net ${o.net} in ${DIR}; recover --batch-size ${B0}; sweep ${BATCHES.join(',')}; load ${R.load}; logs in ${LOGS}`);

  // 1. bring-up
  say('lab up');
  const up = await must('scripts/lab up', 'up', LAB, ['up', '--masters', '3', '--workers', String(W), '--dir', DIR, '--net', o.net], 600 + 40 * W);
  R.upS = up.ms / 1000;
  R.upHealthyS = (up.ms + (await waitHealthy('after lab up', 600))) / 1000;
  say(`lab up in ${sec(up.ms)}s, healthy at ${R.upHealthyS.toFixed(1)}s`);

  // 2. by hand
  if (ONLY.has('hand')) {
    await lab('break-hand', ['break', 'pki-wipe'], 300);
    say('by hand: spec/lab/solve-by-hand.sh');
    // host by host, as the issue defines the baseline: the workers one at a time (SOLVE_WORKERS_AT_ONCE, --hand-workers)
    const hand = await must('spec/lab/solve-by-hand.sh', 'solve-by-hand', SOLVE, [DIR], 1800 + 60 * W, { SOLVE_WORKERS_AT_ONCE: String(HAND_AT_ONCE) });
    R.handS = hand.ms / 1000;
    R.handSteps = solveSteps(hand.out);
    R.handHealthyAfterS = (await waitHealthy('after solve-by-hand.sh', 600)) / 1000;
    say(`by hand: ${sec(hand.ms)}s (healthy ${R.handHealthyAfterS.toFixed(1)}s after)`);
  }

  // 2b. by hand with a parallel shell: the workers in kubemend's batches, one parallel-ssh per batch
  if (ONLY.has('pssh')) {
    await lab('break-pssh', ['break', 'pki-wipe'], 300);
    say(`by hand with parallel-ssh: spec/lab/solve-by-hand.sh, workers ${B0_HOSTS} at a time`);
    const pssh = await must('spec/lab/solve-by-hand.sh (parallel-ssh)', 'solve-pssh', SOLVE, [DIR], 1800 + 60 * W, {
      SOLVE_PARALLEL_SSH: '1',
      SOLVE_WORKERS_AT_ONCE: String(B0_HOSTS),
    });
    R.psshS = pssh.ms / 1000;
    R.psshAtOnce = B0_HOSTS;
    R.psshSteps = solveSteps(pssh.out);
    R.psshHealthyAfterS = (await waitHealthy('after solve-by-hand.sh (parallel-ssh)', 600)) / 1000;
    say(`by hand with parallel-ssh: ${sec(pssh.ms)}s (healthy ${R.psshHealthyAfterS.toFixed(1)}s after)`);
  }

  // 3. kubemend recover
  if (ONLY.has('recover')) {
    await lab('break-recover', ['break', 'pki-wipe'], 300);
    const stRec = join(BASE, 'state-recover');
    rmSync(stRec, { recursive: true, force: true });
    say(`kubemend run recover --batch-size ${B0}`);
    const rec = await must(
      'kubemend run recover',
      'recover',
      'node',
      [CLI, 'run', 'recover', '-i', INV, '--yes', '--state-dir', stRec, '--batch-size', String(B0)],
      1800 + 30 * W,
      { KUBEMEND_TRACE: 'json' },
    );
    R.recoverS = rec.ms / 1000;
    R.recoverTrace = traceOf(rec.out);
    const recEvents = journal(stRec);
    if (!o.keep) rmSync(stRec, { recursive: true, force: true }); // its backup archives hold private keys
    R.recoverPhases = phases(recEvents);
    R.recoverBatches = batches(recEvents, 'workers/rejoin');
    R.b0Hosts = R.recoverBatches[0]?.hosts;
    R.recoverHealthyAfterS = (await waitHealthy('after kubemend run recover', 600)) / 1000;
    say(`kubemend recover: ${sec(rec.ms)}s (healthy ${R.recoverHealthyAfterS.toFixed(1)}s after)`);
  }

  // 4. sweep
  R.sweep = [];
  for (const b of ONLY.has('sweep') ? BATCHES : []) {
    await lab(`break-workers-b${b}`, ['break', 'worker-pki', '--hosts', WORKERS.join(',')], 300);
    const st = join(BASE, `state-rejoin-b${b}`);
    rmSync(st, { recursive: true, force: true });
    say(`kubemend run rejoin-workers --batch-size ${b}`);
    const r = await must(
      `kubemend run rejoin-workers --batch-size ${b}`,
      `rejoin-b${b}`,
      'node',
      [CLI, 'run', 'rejoin-workers', '-i', INV, '--yes', '--state-dir', st, '--batch-size', String(b), '--limit', WORKERS.join(',')],
      1800 + 60 * W,
    );
    const ev = journal(st);
    if (!o.keep) rmSync(st, { recursive: true, force: true });
    const bs = batches(ev, 'workers/rejoin');
    const rejoined = ev.filter((e) => e.kind === 'host-end' && e.phase === 'workers/rejoin' && e.status === 'ok').length;
    const skipped = ev.filter((e) => e.kind === 'log' && e.phase === 'workers/rejoin' && /^skipped/.test(e.message)).length;
    const healthyAfter = (await waitHealthy(`after rejoin-workers --batch-size ${b}`, 600)) / 1000;
    const row = {
      b,
      s: r.ms / 1000,
      n: bs.length,
      mean: mean(bs.map((x) => x.s)),
      min: Math.min(...bs.map((x) => x.s)),
      max: Math.max(...bs.map((x) => x.s)),
      rejoined,
      skipped,
      healthyAfter,
    };
    R.sweep.push(row);
    say(`batch ${b}: ${sec(r.ms)}s, ${row.n} batches, ${row.mean.toFixed(1)}s per batch (${rejoined} hosts ok, ${skipped} skipped)`);
  }
  return R;
}

/** The results as markdown (the block between the bench:recover markers); missing parts (--only) are left out. */
function markdown(R) {
  const small = R.workers < 50;
  const cmd = `scripts/bench recover --workers ${R.workers} --batches ${R.batches.join(',')} --net ${R.net}${R.b0 !== '20%' ? ` --batch-size ${R.b0}` : ''}${R.only !== 'hand,pssh,recover,sweep' ? ` --only ${R.only}` : ''}`;
  const has = (k) => R[k] !== undefined;
  const per = (R.sweep ?? []).map((x) => x.mean);
  const spread = per.length ? Math.max(...per) / Math.min(...per) : NaN;
  const rows = [[`lab up (3 + ${R.workers}), until \`status\` healthy`, `${R.upS.toFixed(1)} s, healthy at ${R.upHealthyS.toFixed(1)} s`]];
  if (has('handS'))
    rows.push([
      `by hand (\`spec/lab/solve-by-hand.sh\`, workers ${R.handAtOnce === 1 ? 'one by one' : `${R.handAtOnce} at a time`})`,
      `**${R.handS.toFixed(1)} s** (+${R.handHealthyAfterS.toFixed(1)} s until \`status\` healthy)`,
    ]);
  if (has('psshS'))
    rows.push([
      `by hand with parallel-ssh (the same commands, workers ${R.psshAtOnce} at a time: one \`parallel-ssh\` per batch)`,
      `**${R.psshS.toFixed(1)} s** (+${R.psshHealthyAfterS.toFixed(1)} s until \`status\` healthy)`,
    ]);
  if (has('recoverS'))
    rows.push([
      `\`kubemend run recover --batch-size ${R.b0}\` (${R.b0Hosts ?? '?'} per batch)`,
      `**${R.recoverS.toFixed(1)} s** (+${R.recoverHealthyAfterS.toFixed(1)} s until \`status\` healthy)`,
    ]);
  if (has('handS') && has('recoverS'))
    rows.push(['by hand (host by host) / kubemend', `**${(R.handS / R.recoverS).toFixed(2)}x** (goal ≥ 5x: ${R.handS / R.recoverS >= 5 ? 'met' : 'missed'})`]);
  if (has('psshS') && has('recoverS')) rows.push(['by hand with parallel-ssh / kubemend', `**${(R.psshS / R.recoverS).toFixed(2)}x**`]);
  const lines = [
    `### Measured ${R.date.slice(0, 16).replace('T', ' ')} UTC: 3 masters + ${R.workers} workers`,
    '',
    ...(small
      ? [
          `**Small-lab numbers (3 + ${R.workers}), NOT the 3 + 50 measurement**, taken under load average ${R.load} (1/5/15 min) at start on a shared machine; they check the script, not the goals.`,
          '',
        ]
      : []),
    `Machine: ${R.host}, ${R.cpu}, ${R.memGiB} GiB; load average at start ${R.load}. Reproduce: \`${cmd}\`.`,
    '',
    table(['what', 'wall time'], rows),
    '',
  ];
  if (has('recoverPhases')) {
    const m = costModel(R.recoverPhases, WORKERS.slice(0, R.workers), R.workers + 3, R.project);
    const ms = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-');
    lines.push(
      'kubemend recover by phase (journal phase-start → phase-end; phases run one after the other, so this is the critical path). kubemend CPU = user + sys of its process in the phase (SSH crypto included); blocked = wall time with at least one remote command, transfer or API call outstanding; the rest of the wall time is sleeps between polls, or waiting for a CPU on a loaded machine:',
      '',
      table(
        ['phase', 'starts at (s)', 'duration (s)', 'hosts', 'status', 'kubemend CPU (ms)', 'CPU per host (ms)', 'blocked on the cluster (s)', 'remote ops'],
        m.rows.map((p) => [
          `\`${p.phase}\``,
          p.at.toFixed(1),
          p.s.toFixed(1),
          String(p.hosts),
          p.status,
          ms(p.cost.cpuMs),
          p.scale === 'fixed' ? '' : `${ms(p.perHostCpuMs)} (per ${p.scale === 'workers' ? 'worker' : 'node'})`,
          (p.cost.remoteMs / 1000).toFixed(1),
          String(p.cost.remoteOps),
        ]),
      ),
      '',
    );
    const tr = R.recoverTrace;
    lines.push(
      `Whole run: kubemend used **${(m.cpuMs / 1000).toFixed(1)} s of CPU** in its phases over ${(m.wallMs / 1000).toFixed(1)} s (${((100 * m.cpuMs) / m.wallMs).toFixed(1)}% of one core), blocked on the cluster ${(m.remoteMs / 1000).toFixed(1)} s${tr ? `; the process: ${(tr.total.cpuMs / 1000).toFixed(1)} s CPU in all (start-up and plan included), peak RSS ${tr.peakRssMB.toFixed(0)} MB` : ''}.`,
      '',
    );
    lines.push(
      `Projected to ${R.project} nodes (3 masters + ${R.project - 3} workers): **${(m.projectedCpuMs / 1000).toFixed(0)} s of kubemend CPU**, ${(m.projectedCpuMs / R.project).toFixed(1)} ms per node. How: a phase over workers costs the same CPU per worker at any size (its per-worker CPU here × ${R.project - 3}); a cluster phase (API lists and patches of nodes, CSRs, secrets, pods) grows linearly with the nodes (× ${R.project}/${R.workers + 3}); a phase over masters only stays as measured. Assumed, not measured here: that per-worker cost stays flat (no list grows with the fleet inside a per-host step, --concurrency stays at its default), and that pods grow with nodes as in the lab. kubemend runs on one thread, so this CPU is also the least wall time kubemend itself adds on such a fleet if the cluster answered at once; the memory is not projected.`,
      '',
    );
  }
  if (has('handSteps'))
    lines.push(
      'By hand, by step (`[solve Ns]` lines, whole seconds):',
      '',
      table(
        ['step', 'starts at (s)', 'duration (s)'],
        R.handSteps.map((x) => [x.step, String(x.at), String(x.s)]),
      ),
      '',
    );
  if (has('psshSteps'))
    lines.push(
      'By hand with parallel-ssh, by step:',
      '',
      table(
        ['step', 'starts at (s)', 'duration (s)'],
        R.psshSteps.map((x) => [x.step, String(x.at), String(x.s)]),
      ),
      '',
    );
  if (per.length)
    lines.push(
      `Rolling rejoin per batch size (\`scripts/lab break worker-pki\` on all ${R.workers} workers, then \`kubemend run rejoin-workers --batch-size B --limit <all workers>\`; a batch = its \`batch\` event → its \`gate\` event):`,
      '',
      table(
        ['B', 'total (s)', 'batches', 'mean per batch (s)', 'min-max (s)', 'rejoined / skipped'],
        R.sweep.map((x) => [
          String(x.b),
          x.s.toFixed(1),
          String(x.n),
          x.mean.toFixed(1),
          `${x.min.toFixed(1)}-${x.max.toFixed(1)}`,
          `${x.rejoined} / ${x.skipped}`,
        ]),
      ),
      '',
      `Per-batch time flat as the batch grows (goal): largest mean / smallest mean = ${spread.toFixed(2)}x (B ${R.batches[0]} → ${R.batches.at(-1)}).`,
      '',
    );
  return lines.join('\n');
}

/** Replaces the text between the bench:recover markers of the doc (appends a section when missing). */
function writeDoc(file, md) {
  const start = '<!-- bench:recover:start -->';
  const end = '<!-- bench:recover:end -->';
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  const block = `${start}\n${md}${end}`;
  writeFileSync(file, i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n## Recovery wall time\n\n${block}\n`);
  say(`results written to ${file}`);
}

let code = 0;
let PARTIAL;
let madeLab = false;
try {
  const R = await main();
  const md = markdown(R);
  process.stdout.write(md + '\n');
  if (!o['no-write']) writeDoc(o.doc, md);
} catch (e) {
  process.stderr.write(`scripts/bench recover: ${e.message}\n`);
  code = 1;
} finally {
  if (PARTIAL) writeFileSync(join(BASE, 'results.json'), JSON.stringify(PARTIAL, null, 2) + '\n');
  if (!o.keep && existsSync(BASE)) for (const d of readdirSync(BASE)) if (d.startsWith('state-')) rmSync(join(BASE, d), { recursive: true, force: true });
  if (madeLab && !o.keep) {
    say('lab down');
    const r = await run('down', LAB, ['down', '--dir', DIR, '--net', o.net], 600);
    if (r.code !== 0) {
      process.stderr.write(`scripts/bench recover: scripts/lab down --dir ${DIR} failed (log ${join(LOGS, 'down.log')})\n`);
      code ||= 1;
    }
  } else if (madeLab) say(`lab kept: ${DIR} (scripts/lab down --dir ${DIR})`);
}
process.exit(code);
