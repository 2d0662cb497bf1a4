/** The benchmarks' arithmetic (bench/stats.mjs): recover's cost model and projection, the counts table. */
import test from 'ava';
// @ts-expect-error plain JavaScript module of the benchmark, without types
import { costModel, countTable } from '../../bench/stats.mjs';

const cost = (cpuMs: number, remoteMs = 0, wallMs = 1000) => ({ wallMs, cpuMs, remoteMs, remoteOps: 1, remoteSumMs: remoteMs });

test('costModel: a worker phase scales per worker, a cluster phase with the nodes, a masters-only phase stays; totals add up', (t) => {
  const workers = ['w1', 'w2', 'w3', 'w4'];
  const phases = [
    { phase: 'etcd/restore', hosts: 3, hostNames: ['m1', 'm2', 'm3'], cost: cost(300, 500) },
    { phase: 'workers/rejoin', hosts: 4, hostNames: workers, cost: cost(400, 800) },
    { phase: 'api/restart-pods', hosts: 0, hostNames: [], cost: cost(70, 100) },
    { phase: 'no cost (an old journal)', hosts: 1, hostNames: ['m1'] },
  ];
  // 3 masters + 4 workers = 7 nodes, projected to 1,003 nodes (3 masters + 1,000 workers)
  const m = costModel(phases, workers, 7, 1003);
  t.deepEqual(
    m.rows.map((r: { phase: string; scale: string }) => `${r.phase} ${r.scale}`),
    ['etcd/restore fixed', 'workers/rejoin workers', 'api/restart-pods nodes'],
  );
  const [masters, rejoin, api] = m.rows;
  t.true(Number.isNaN(masters.perHostCpuMs));
  t.is(masters.projectedCpuMs, 300);
  t.is(rejoin.perHostCpuMs, 100);
  t.is(rejoin.projectedCpuMs, 100 * 1000);
  t.is(api.perHostCpuMs, 10);
  t.is(api.projectedCpuMs, 10 * 1003);
  t.is(m.cpuMs, 770);
  t.is(m.remoteMs, 1400);
  t.is(m.wallMs, 3000);
  t.is(m.projectedCpuMs, 300 + 100_000 + 10_030);
});

test('countTable: one row per workload and client in the tables order; the median host, a range only where hosts or runs differ; kubemend ops per host', (t) => {
  const host = (conns: number, segs: number, bytes: number, procs: number) => ({ host: 'h', conns, segs, bytes, procs });
  const results = [
    { client: 'pssh', workload: 10, run: 1, perHost: [host(10, 430, 79 * 1024, 30), host(10, 426, 79 * 1024, 30)], local: 37 },
    { client: 'kubemend', workload: 1, run: 1, perHost: [host(1, 50, 8 * 1024, 3), host(1, 58, 8 * 1024, 3)], local: 0, kubemendRemoteOps: 2 },
    { client: 'floor', workload: 1, run: 1, perHost: [host(1, 46, 7 * 1024, 3), host(1, 46, 7 * 1024, 3)], local: 0 },
  ];
  const md = countTable(results, { hosts: 2, runs: 1 }).split('\n');
  const rows = md.filter((l: string) => /^\| \d+ cmd \|/.test(l));
  t.deepEqual(rows, [
    '| 1 cmd | kubemend | 1 | 54 (50-58) | 8 | 3 | 0 | 1 |',
    '| 1 cmd | bare ssh2 (floor) | 1 | 46 | 7 | 3 | 0 |  |',
    '| 10 cmd | parallel-ssh | 10 | 428 (426-430) | 79 | 30 | 37 |  |',
  ]);
  t.regex(md[0], /^Counts on 2 lab hosts, 1 run each/);
});
