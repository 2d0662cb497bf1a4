/** The progress model, its lines, the recap table and the host-selection lines: pure functions, no lab. */
import test from 'ava';
import type { RunEvent } from '../../lib/core/events.js';
import type { Host } from '../../lib/inventory/types.js';
import { applyEvent, counts, elapsed, newProgress, progressLines } from '../../lib/cli/progress.js';
import { CLUSTER_ROW, formatRecap, formatRecapTable, recapRows, resumeCommand } from '../../lib/cli/recap.js';
import { type ChoiceFacts, formatExpiry, hostChoices, parseExpiryLines } from '../../lib/cli/select-hosts.js';

const T0 = Date.parse('2026-11-29T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
type E = RunEvent & { ts: string };
const ev = (s: number, e: RunEvent): E => ({ ...e, ts: at(s) }) as E;

/** A rolling rejoin of w1..w3 in batches of 2: w1 done, w2 failed, w3 running in batch 2. */
function rolling(): E[] {
  return [
    ev(0, {
      kind: 'run-start',
      runId: 'R1',
      playbook: 'rejoin-workers',
      inventory: 'inv',
      cluster: 'lab',
      options: {},
      selection: {},
      version: '0',
      dryRun: false,
    }),
    ev(1, {
      kind: 'phase-start',
      phase: 'workers/rejoin',
      title: 'Rejoin workers',
      hosts: ['w1', 'w2', 'w3'],
      strategy: 'rolling, batches of 2, max failures 1',
    }),
    ev(1, { kind: 'batch', phase: 'workers/rejoin', index: 0, hosts: ['w1', 'w2'] }),
    ev(1, { kind: 'host-start', phase: 'workers/rejoin', host: 'w1' }),
    ev(1, { kind: 'host-start', phase: 'workers/rejoin', host: 'w2' }),
    ev(9, { kind: 'host-end', phase: 'workers/rejoin', host: 'w1', status: 'ok', durationMs: 8000 }),
    ev(10, { kind: 'host-end', phase: 'workers/rejoin', host: 'w2', status: 'failed', durationMs: 9000, error: 'kubeadm join phase kubelet-start: exit 1' }),
    ev(20, { kind: 'batch', phase: 'workers/rejoin', index: 1, hosts: ['w3'] }),
    ev(20, { kind: 'host-start', phase: 'workers/rejoin', host: 'w3' }),
  ];
}

test('progress model: phase i/n, per-host state with elapsed time, rolling batch i/n', (t) => {
  const m = newProgress(['workers/rejoin']);
  for (const e of rolling()) applyEvent(m, e);
  t.deepEqual(counts(m), { pending: 0, running: 1, done: 1, failed: 1, skipped: 0, interrupted: 0 });
  const lines = progressLines(m, T0 + 25_000, { cols: 120, rows: 24 });
  t.is(lines[0], 'run rejoin-workers on lab · phase 1/1 workers/rejoin · 24.0s · 1 failed so far');
  t.is(lines[2], '  1 done · 1 running · 0 pending · 1 failed');
  t.is(lines[3], '  batch 2/2: w3');
  t.true(lines.includes('  w1    done        8.0s'));
  t.true(lines.includes('  w2    failed      9.0s'));
  t.true(lines.includes('  w3    running     5.0s'), lines.join('\n'));
});

test('progress lines: a host pending before its batch; a new phase resets hosts and batch', (t) => {
  const m = newProgress(['a', 'b']);
  const evs = rolling().slice(0, 4);
  for (const e of evs) applyEvent(m, e);
  t.is(m.hosts.get('w3')!.state, 'pending');
  t.true(progressLines(m, T0 + 2000).includes('  w3    pending'));
  applyEvent(m, ev(30, { kind: 'phase-end', phase: 'workers/rejoin', status: 'ok', durationMs: 29_000, failed: [] }));
  applyEvent(m, ev(30, { kind: 'phase-start', phase: 'b', title: 'API work', hosts: [], strategy: 'once' }));
  const lines = progressLines(m, T0 + 31_000);
  t.deepEqual(lines, ['run rejoin-workers on lab · phase 2/2 b · 1.0s', '  API work [once]']);
  t.is(m.batch, undefined);
});

test('progress lines fit the terminal: long lines cut, many hosts summarised with running ones first', (t) => {
  const m = newProgress();
  const names = Array.from({ length: 200 }, (_, i) => `w${i + 1}`);
  applyEvent(m, ev(0, { kind: 'phase-start', phase: 'p', title: 'x'.repeat(300), hosts: names, strategy: 'parallel, 20 at a time' }));
  applyEvent(m, ev(1, { kind: 'host-start', phase: 'p', host: 'w150' }));
  const lines = progressLines(m, T0 + 2000, { cols: 80, rows: 12 });
  t.true(lines.length <= 12, `${lines.length} lines`);
  t.true(lines.every((l) => l.length <= 79));
  t.regex(lines.find((l) => l.includes('w150'))!, /running +1\.0s/);
  t.regex(lines.at(-1)!, /… \d+ more hosts not shown/);
});

test('elapsed: ms, seconds, minutes', (t) => {
  t.is(elapsed(850), '850ms');
  t.is(elapsed(12_340), '12.3s');
  t.is(elapsed(245_000), '4m05s');
});

test('recap rows: done/failed/skipped/duration per host, hosts never reached, cluster phases', (t) => {
  const events: RunEvent[] = [
    { kind: 'phase-start', phase: 'api', title: 'api', hosts: [], strategy: 'once' },
    { kind: 'phase-end', phase: 'api', status: 'ok', durationMs: 1500, failed: [] },
    { kind: 'phase-start', phase: 'backup', title: 'b', hosts: ['m1', 'w1', 'w2'], strategy: 'parallel' },
    { kind: 'host-end', phase: 'backup', host: 'm1', status: 'skipped', durationMs: 0, reason: 'completed earlier' },
    { kind: 'host-end', phase: 'backup', host: 'w1', status: 'ok', durationMs: 2000 },
    { kind: 'host-end', phase: 'backup', host: 'w2', status: 'ok', durationMs: 3000 },
    { kind: 'host-end', phase: 'rejoin', host: 'w1', status: 'ok', durationMs: 10_000 },
    { kind: 'host-end', phase: 'rejoin', host: 'w2', status: 'failed', durationMs: 4000, error: 'exit 1' },
    { kind: 'run-end', runId: 'R', status: 'failed', durationMs: 20_000, exitCode: 1, failures: [] },
  ];
  const rows = recapRows(events, ['m1', 'w1', 'w2', 'w3']);
  t.deepEqual(
    rows.map((r) => [r.host, r.done, r.failed, r.skipped, r.durationMs, r.note]),
    [
      ['m1', 0, 0, 1, 0, undefined],
      ['w1', 2, 0, 0, 12_000, undefined],
      ['w2', 1, 1, 0, 7000, 'failed in rejoin'],
      ['w3', 0, 0, 0, 0, 'not reached'],
      [CLUSTER_ROW, 1, 0, 0, 1500, undefined],
    ],
  );
  t.is(
    formatRecapTable(rows),
    [
      'HOST       DONE  FAILED  SKIPPED  DURATION  NOTE',
      'm1            0       0        1       0ms',
      'w1            2       0        0     12.0s',
      'w2            1       1        0      7.0s  failed in rejoin',
      'w3            0       0        0       0ms  not reached',
      '(cluster)     1       0        0      1.5s',
    ].join('\n'),
  );
});

test('recap: the run id and the resume command (state dir only when not the default)', (t) => {
  t.is(resumeCommand('R9', '/var/lib/kubemend/runs', '/var/lib/kubemend/runs'), 'kubemend resume R9');
  t.is(resumeCommand('R9', '/tmp/s', '/var/lib/kubemend/runs'), 'kubemend resume R9 --state-dir /tmp/s');
  const text = formatRecap({
    runId: 'R9',
    status: 'failed',
    durationMs: 61_000,
    rows: [],
    journal: '/tmp/s/R9/journal.jsonl',
    resume: 'kubemend resume R9 --state-dir /tmp/s',
  });
  t.regex(text, /^recap: run R9 failed in 1m01s$/m);
  t.regex(text, /^run id R9; journal \/tmp\/s\/R9\/journal\.jsonl$/m);
  t.regex(text, /^resume with: kubemend resume R9 --state-dir \/tmp\/s$/m);
  t.regex(
    formatRecap({ runId: 'R9', status: 'done', durationMs: 1, rows: [], journal: 'j', resume: 'kubemend resume R9' }),
    /^re-check with: kubemend resume R9$/m,
  );
});

test('recap: each failure once, in full, under the table; the table only says where', (t) => {
  const error = 'write /tmp/kubemend-hello: exit 1: ' + 'x'.repeat(150);
  const events: RunEvent[] = [
    { kind: 'host-end', phase: 'hello/workers', host: 'w2', status: 'failed', durationMs: 4, error },
    { kind: 'run-end', runId: 'R', status: 'failed', durationMs: 9, exitCode: 1, failures: [] },
  ];
  const failures = [
    { host: 'w2', phase: 'hello/workers', error },
    { host: CLUSTER_ROW, phase: 'hello/workers', error: 'gate: API down' },
  ];
  const text = formatRecap({
    runId: 'R',
    status: 'failed',
    durationMs: 9,
    rows: recapRows(events, ['w2']),
    journal: 'j',
    resume: 'kubemend resume R',
    failures,
    stoppedAt: 'hello/workers',
  });
  t.regex(text, /^recap: run R failed in 9ms, stopped at phase hello\/workers$/m);
  t.regex(text, /^w2 +0 +1 +0 +4ms +failed in hello\/workers$/m);
  t.is(text.split(error).length - 1, 1, 'the error once, not cut');
  t.regex(text, /^failed on 2 hosts:\n - w2: hello\/workers: write .*x{150}\n - \(cluster\): hello\/workers: gate: API down$/m);
});

const host = (name: string, role: Host['role']): Host => ({
  name,
  role,
  address: name,
  port: 22,
  user: 'root',
  sudo: 'none',
  labels: {},
  first: name === 'm1',
});

test('host choices: grouped by role, facts on each line, NotReady workers preselected, unknown facts never preselect', (t) => {
  const hosts = [host('m1', 'master'), host('w1', 'worker'), host('w2', 'worker'), host('w3', 'worker')];
  const facts = new Map<string, ChoiceFacts>([
    ['m1', { node: 'Ready', kubeletCert: '2027-11-29T00:00:00.000Z', apiserverCert: '2026-12-09T10:00:00.000Z' }],
    ['w1', { node: 'NotReady', kubeletCert: null }],
    ['w2', { node: 'Ready', kubeletCert: '2026-01-01T00:00:00.000Z' }],
    ['w3', { node: 'unknown', kubeletCert: 'unknown' }],
  ]);
  const all = hostChoices(hosts, facts, { preselect: 'not-ready' }, T0);
  t.deepEqual(
    all.map((c) => ('separator' in c ? c.separator : `${c.value}:${c.checked}`)),
    ['-- masters (1) --', 'm1:false', '-- workers (3) --', 'w1:true', 'w2:false', 'w3:false'],
  );
  const line = (v: string) => (all.find((c) => 'value' in c && c.value === v) as { name: string }).name;
  t.is(line('m1'), 'm1    Node Ready     kubelet cert 2027-11-29 (364d)  apiserver cert 2026-12-09 (10d)');
  t.is(line('w1'), 'w1    Node NotReady  kubelet cert absent');
  t.is(line('w2'), 'w2    Node Ready     kubelet cert EXPIRED 2026-01-01');
  t.is(line('w3'), 'w3    Node unknown   kubelet cert unknown');
  const workersOnly = hostChoices(hosts, facts, { roles: ['worker'], preselect: 'all' }, T0);
  t.deepEqual(
    workersOnly.map((c) => ('separator' in c ? c.separator : `${c.value}:${c.checked}`)),
    ['-- workers (3) --', 'w1:true', 'w2:true', 'w3:true'],
  );
  t.false(
    hostChoices(hosts, new Map(), { preselect: 'not-ready' }).some((c) => 'checked' in c && c.checked),
    'nothing known: nothing preselected',
  );
});

test('expiry lines: dates, absent files, unreadable ones', (t) => {
  const m = parseExpiryLines('/a.pem|Nov 29 10:00:00 2027 GMT\n/b.pem|absent\n/c.pem|\n');
  t.is(m.get('/a.pem'), '2027-11-29T10:00:00.000Z');
  t.is(m.get('/b.pem'), null);
  t.is(m.get('/c.pem'), 'unknown');
  t.is(formatExpiry(undefined, T0), 'unknown');
});
