// Statistics and the markdown tables of the benchmark (bench/bench.mjs).

/** Median, min and max of the finite numbers in xs (NaN when none). */
export function medianSpread(xs) {
  const v = xs.filter(Number.isFinite).sort((p, q) => p - q);
  if (!v.length) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const m = v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  return { median: m, min: v[0], max: v[v.length - 1], n: v.length };
}

/** The fields of GNU time -v output the benchmark uses: user and sys seconds, peak RSS in KB. */
export function parseTimeV(text) {
  const num = (re) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : NaN;
  };
  return {
    user: num(/User time \(seconds\): ([\d.]+)/),
    sys: num(/System time \(seconds\): ([\d.]+)/),
    maxRssKB: num(/Maximum resident set size \(kbytes\): (\d+)/),
  };
}

const CLIENT_NAMES = { kubemend: 'kubemend', floor: 'bare ssh2 (floor)', ansible: 'Ansible', pssh: 'parallel-ssh' };
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-');
const ratio = (p, q) => (Number.isFinite(p) && Number.isFinite(q) && q > 0 ? `${(p / q).toFixed(2)}x` : '-');

/** Per (hosts, workload, client) of one mode: wall and CPU median/spread, peak RSS, ok runs. */
export function summarize(samples, mode) {
  const rows = [];
  const keys = new Set(samples.filter((s) => s.mode === mode).map((s) => `${s.hosts}|${s.workload}|${s.client}`));
  for (const key of keys) {
    const [h, w, client] = key.split('|');
    const ss = samples.filter((s) => s.mode === mode && s.hosts === Number(h) && s.workload === Number(w) && s.client === client);
    const ok = ss.filter((s) => s.ok);
    rows.push({
      hosts: Number(h),
      workload: Number(w),
      client,
      wall: medianSpread(ok.map((s) => s.wall)),
      cpu: medianSpread(ok.map((s) => s.cpu)),
      rssMB: medianSpread(ok.map((s) => s.rssMB)).max,
      load: medianSpread(ss.map((s) => s.load1)),
      ok: ok.length,
      runs: ss.length,
    });
  }
  return rows;
}

/** The results as markdown: one table per mode, then the ratios, with the command and the load. */
export function resultTables(samples, meta, { runs, defaultRuns }) {
  const out = [];
  out.push(`Command: \`${meta.command}\`  `);
  out.push(
    `Taken ${meta.started} to ${meta.ended} on ${meta.machine}; load average (1, 5, 15 min) ${meta.loadStart.join(', ')} at the start, ${meta.loadEnd.join(', ')} at the end.  `,
  );
  out.push(
    `Versions: node ${meta.versions.node}, ssh2 ${meta.versions.ssh2}, ${meta.versions.openssh}, ${meta.versions.ansible || 'ansible -'}, pssh ${meta.versions.pssh || '-'}.`,
  );
  out.push('');
  for (const mode of ['pinned', 'defaults']) {
    const rows = summarize(samples, mode);
    if (!rows.length) continue;
    const n = mode === 'pinned' ? runs : defaultRuns;
    out.push(
      mode === 'pinned' ? `### Every client with kex curve25519-sha256 (median of ${n} runs)` : `### Every client with its own defaults (median of ${n} runs)`,
    );
    out.push('');
    out.push('| hosts | workload | client | wall median s | wall min-max s | CPU user+sys s | peak RSS MB | load (1 min) | ok runs |');
    out.push('|---|---|---|---|---|---|---|---|---|');
    for (const r of rows.sort(order)) {
      out.push(
        `| ${r.hosts} | ${r.workload} cmd | ${CLIENT_NAMES[r.client]} | ${f1(r.wall.median)} | ${f1(r.wall.min)}-${f1(r.wall.max)} | ${f1(r.cpu.median)} | ${f0(r.rssMB)} | ${f0(r.load.median)} | ${r.ok}/${r.runs} |`,
      );
    }
    out.push('');
    out.push(`Ratios (${mode === 'pinned' ? 'kex pinned' : 'defaults'}; wall medians, CPU medians in brackets):`);
    out.push('');
    out.push('| hosts | workload | kubemend / floor | Ansible / kubemend | parallel-ssh / kubemend |');
    out.push('|---|---|---|---|---|');
    const groups = new Set(rows.map((r) => `${r.hosts}|${r.workload}`));
    for (const g of [...groups].sort((p, q) => order(split(p), split(q)))) {
      const get = (c) => rows.find((r) => `${r.hosts}|${r.workload}` === g && r.client === c);
      const [km, fl, an, ps] = ['kubemend', 'floor', 'ansible', 'pssh'].map(get);
      const both = (p, q) => `${ratio(p?.wall.median, q?.wall.median)} (${ratio(p?.cpu.median, q?.cpu.median)})`;
      const [h, w] = g.split('|');
      out.push(`| ${h} | ${w} cmd | ${both(km, fl)} | ${both(an, km)} | ${both(ps, km)} |`);
    }
    out.push('');
  }
  const failed = samples.filter((s) => !s.ok);
  if (failed.length) {
    out.push('Failed runs (not in the medians):');
    out.push('');
    for (const s of failed)
      out.push(`- ${s.hosts} hosts x ${s.workload} cmd, ${s.mode}, ${s.client} run ${s.run}: exit ${s.code}: ${s.err.replace(/\|/g, '/')}`);
    out.push('');
  }
  return out.join('\n') + '\n';
}

const split = (g) => ({ hosts: Number(g.split('|')[0]), workload: Number(g.split('|')[1]), client: '' });
const CLIENT_ORDER = ['kubemend', 'floor', 'ansible', 'pssh'];
function order(p, q) {
  return p.hosts - q.hosts || p.workload - q.workload || CLIENT_ORDER.indexOf(p.client) - CLIENT_ORDER.indexOf(q.client);
}

/**
 * kubemend's own cost by phase (the journal's phase-end cost) and its projection to `fleet` nodes.
 * Assumed: a phase over workers costs kubemend the same CPU per worker at any size (one connection
 * and the same commands per worker); a cluster phase (API: nodes, CSRs, secrets, pods) grows
 * linearly with the nodes; a phase over masters only is fixed. The projection is CPU, not wall:
 * kubemend runs on one thread, so it is also the least wall time kubemend itself needs on that
 * fleet even if the cluster answered at once.
 */
export function costModel(phases, workers, nodes, fleet) {
  const isWorker = new Set(workers);
  const rows = phases
    .filter((p) => p.cost)
    .map((p) => {
      const scale = p.hostNames.some((h) => isWorker.has(h)) ? 'workers' : p.hosts === 0 ? 'nodes' : 'fixed';
      const per = scale === 'workers' ? p.hostNames.filter((h) => isWorker.has(h)).length : scale === 'nodes' ? nodes : 1;
      const factor = scale === 'fixed' ? 1 : (scale === 'workers' ? fleet - (nodes - workers.length) : fleet) / per;
      return { ...p, scale, perHostCpuMs: scale === 'fixed' ? NaN : p.cost.cpuMs / per, projectedCpuMs: p.cost.cpuMs * factor };
    });
  const sum = (k) => rows.reduce((a, r) => a + (r.cost[k] ?? 0), 0);
  return { rows, cpuMs: sum('cpuMs'), remoteMs: sum('remoteMs'), wallMs: sum('wallMs'), projectedCpuMs: rows.reduce((a, r) => a + r.projectedCpuMs, 0) };
}

/**
 * The counts of `scripts/bench counts` as markdown: per (workload, client), per host (the median
 * host, with the range over hosts and runs when they differ): TCP connections, TCP segments, KB on
 * the wire, processes started on the host; and the processes the client started on the admin machine.
 */
export function countTable(results, { hosts, runs }) {
  const span = (xs) => {
    const s = medianSpread(xs);
    return s.min === s.max ? f0(s.median) : `${f0(s.median)} (${f0(s.min)}-${f0(s.max)})`;
  };
  const out = [
    `Counts on ${hosts} lab hosts, ${runs} run${runs > 1 ? 's' : ''} each, key exchange pinned; per host: the median host (range over hosts and runs when they differ). These do not depend on the machine's load.`,
    '',
    '| workload | client | TCP connections per host | TCP segments per host | KB on the wire per host | processes started per host | processes started locally | kubemend remote ops per host |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  const keys = [...new Set(results.map((r) => `${r.workload}|${r.client}`))];
  keys.sort((p, q) => Number(p.split('|')[0]) - Number(q.split('|')[0]) || CLIENT_ORDER.indexOf(p.split('|')[1]) - CLIENT_ORDER.indexOf(q.split('|')[1]));
  for (const key of keys) {
    const [w, client] = key.split('|');
    const rs = results.filter((r) => `${r.workload}|${r.client}` === key);
    const per = (f) => span(rs.flatMap((r) => r.perHost.map((h) => f(h))));
    const ops = rs.filter((r) => r.kubemendRemoteOps !== undefined).map((r) => r.kubemendRemoteOps / r.perHost.length);
    out.push(
      `| ${w} cmd | ${CLIENT_NAMES[client] ?? client} | ${per((h) => h.conns)} | ${per((h) => h.segs)} | ${per((h) => h.bytes / 1024)} | ${per((h) => h.procs)} | ${span(rs.map((r) => r.local))} | ${ops.length ? span(ops) : ''} |`,
    );
  }
  return out.join('\n') + '\n';
}
