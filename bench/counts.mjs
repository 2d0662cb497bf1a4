#!/usr/bin/env node
// `scripts/bench counts`: what each client costs every host, in counts that do not depend on the
// machine's load (docs/benchmarks.md, "Counts"): TCP connections accepted by the host, TCP segments
// and bytes on its wire (both ways), processes started on the host, and processes the client
// started on the admin machine. Read from the lab host's own network namespace (/proc/<its
// init>/net/{snmp,dev}) and pid namespace (ns_last_pid, read inside it), and from strace of the
// client (execve). kubemend's remote operations come from its trace (KUBEMEND_TRACE=json).
//
//   scripts/bench counts [--hosts 3] [--net 64] [--dir-base /tmp/kubemend-bench-counts]
//                        [--only kubemend,floor,ansible,pssh] [--workloads 1,10] [--runs 1] [--json FILE] [--keep]
//
// Each (client, workload) runs --runs times; a count that differs between runs is shown min-max.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ALL_CLIENTS, clientFiles, closeControlMasters, command, toolOf } from './clients.mjs';
import { ensureLab, labDown } from './lab.mjs';
import { countTable } from './stats.mjs';

const { values: a } = parseArgs({
  options: {
    hosts: { type: 'string', default: '3' },
    net: { type: 'string', default: '64' },
    'dir-base': { type: 'string', default: '/tmp/kubemend-bench-counts' },
    only: { type: 'string', default: ALL_CLIENTS.join(',') },
    workloads: { type: 'string', default: '1,10' },
    runs: { type: 'string', default: '1' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const die = (m) => {
  process.stderr.write(`scripts/bench counts: ${m}\n`);
  process.exit(2);
};
const n = Number(a.hosts);
const runs = Number(a.runs);
const workloads = a.workloads.split(',').map(Number);
const clients = a.only.split(',');
if (!(n >= 1) || !(runs >= 1) || workloads.some((k) => !(k >= 1))) die('--hosts, --runs and --workloads take positive numbers');
for (const c of clients) if (!ALL_CLIENTS.includes(c)) die(`--only ${c}: not one of ${ALL_CLIENTS.join(', ')}`);
for (const t of [...clients.map(toolOf).filter(Boolean), 'strace']) if (spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0) die(`${t} is not installed`);
const LAB = join(resolve(new URL('..', import.meta.url).pathname), 'scripts/lab');
const say = (m) => process.stderr.write(`[bench counts ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

const dir = join(a['dir-base'], `lab${n}`);
const work = join(a['dir-base'], 'work');
rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'ansible-tmp'), { recursive: true });
let lab;
try {
  lab = ensureLab(n, Number(a.net), dir, say);
} catch (e) {
  die(e.message);
}
const hosts = JSON.parse(readFileSync(join(dir, 'hosts.json'), 'utf8')).map((h) => h.name);
const files = clientFiles(dir, work, n, workloads);
const ctx = { work, dir, n, files };

/** A host's counters: TCP (snmp), eth0 (dev) from its init's view of its network namespace; the last pid of its pid namespace. */
function counters(h) {
  const init = readFileSync(join(dir, 'hosts', h, 'init.pid'), 'utf8').trim();
  const snmp = readFileSync(`/proc/${init}/net/snmp`, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Tcp:'));
  const [names, values] = snmp.map((l) => l.trim().split(/\s+/).slice(1));
  const tcp = Object.fromEntries(names.map((k, i) => [k, Number(values[i])]));
  const dev = readFileSync(`/proc/${init}/net/dev`, 'utf8')
    .split('\n')
    .find((l) => l.trim().startsWith('eth0:'));
  const f = dev.split(':')[1].trim().split(/\s+/).map(Number); // rx bytes packets ... (8 fields), tx bytes packets ...
  // read inside the host's pid namespace (the reading process is itself one pid there: subtracted by the caller)
  const pid = spawnSync(LAB, ['exec', h, '--dir', dir, '--', 'cat', '/proc/sys/kernel/ns_last_pid'], { encoding: 'utf8' });
  if (pid.status !== 0) throw new Error(`scripts/lab exec ${h}: exit ${pid.status}: ${pid.stderr.trim()}`);
  return { conns: tcp.PassiveOpens, segs: tcp.InSegs + tcp.OutSegs, bytes: f[0] + f[8], lastPid: Number(pid.stdout.trim()) };
}

/** Counts of one run of `spec`: per host deltas, and the processes the client started (strace: execve). */
function countRun(spec) {
  const before = hosts.map(counters);
  const st = join(work, 'strace.txt');
  const r = spawnSync('strace', ['-f', '-qq', '--seccomp-bpf', '-e', 'trace=execve', '-e', 'signal=none', '-o', st, ...spec.argv], {
    env: spec.env,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (spec.controlDir) closeControlMasters(spec.controlDir);
  const after = hosts.map(counters);
  if (r.status !== 0) throw new Error(`${spec.argv.join(' ')}: exit ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  // the client's own execve is not one it started
  const local =
    readFileSync(st, 'utf8')
      .split('\n')
      .filter((l) => /execve\(.*\) = 0$/.test(l)).length - 1;
  const line = r.stderr.split('\n').find((l) => l.startsWith('KUBEMEND_TRACE '));
  const trace = line ? JSON.parse(line.slice('KUBEMEND_TRACE '.length)) : undefined;
  const remote = trace?.windows.find((w) => w.name === 'remote')?.count;
  return {
    perHost: hosts.map((h, i) => ({
      host: h,
      conns: after[i].conns - before[i].conns,
      segs: after[i].segs - before[i].segs,
      bytes: after[i].bytes - before[i].bytes,
      procs: after[i].lastPid - before[i].lastPid - 1, // the reading `cat` of `after`
    })),
    local,
    ...(remote === undefined ? {} : { kubemendRemoteOps: remote }),
  };
}

const results = [];
try {
  for (let run = 0; run < runs; run++) {
    for (const k of workloads) {
      for (const c of clients) {
        const spec = command(c, k, 'pinned', ctx);
        if (c === 'kubemend') spec.env.KUBEMEND_TRACE = 'json';
        const m = countRun(spec);
        results.push({ client: c, workload: k, run: run + 1, ...m });
        const sum = (f) => m.perHost.reduce((x, h) => x + h[f], 0);
        say(
          `${c} ${k} cmd run ${run + 1}: ${sum('conns')} connections, ${sum('segs')} segments, ${sum('bytes')} bytes, ${sum('procs')} remote processes, ${m.local} local processes`,
        );
      }
    }
  }
} finally {
  if (lab.made && !a.keep) labDown(dir);
}
process.stdout.write(countTable(results, { hosts: n, runs }));
if (a.json) writeFileSync(a.json, JSON.stringify({ hosts: n, runs, results }, null, 2) + '\n');
