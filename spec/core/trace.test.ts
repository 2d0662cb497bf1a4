/**
 * kubemend's own cost (issue 17): the trace's stages (wall and CPU), windows of concurrent remote
 * work, each phase's cost in the journal, and KUBEMEND_TRACE / --profile on the real CLI.
 */
import test from 'ava';
import { existsSync, readdirSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJournal } from '../../lib/core/journal.js';
import { runPlaybook } from '../../lib/core/runner.js';
import { type Clock, Trace, formatTrace, trace } from '../../lib/core/trace.js';
import { definePlaybook } from '../../lib/core/types.js';
import type { StampedEvent } from '../../lib/core/events.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';
import { FAKE_MAIN, cli } from '../cli/run-cli.js';

/** Burn `ms` of this process's CPU (not wall: on a loaded machine a wall-time loop gets less CPU). */
const burnCpu = (ms: number) => {
  const c0 = process.cpuUsage();
  for (;;) {
    const c = process.cpuUsage(c0);
    if ((c.user + c.system) / 1000 >= ms) return;
  }
};

/** A clock the test moves by hand: wall and CPU ms. */
function manualClock() {
  const t: Clock = { wallMs: 1000, cpuMs: 500 };
  return {
    t,
    clock: () => ({ ...t }),
    tick: (wall: number, cpu = 0) => {
      t.wallMs += wall;
      t.cpuMs += cpu;
    },
  };
}

test('stages: each stage its wall and CPU time, where it began, its notes; the text form', (t) => {
  const { tick, clock } = manualClock();
  const tr = new Trace({ clock });
  tr.stage('busy', '3 hosts');
  tick(60, 55);
  tr.note('12 events');
  tr.stage('asleep');
  tick(80, 2);
  tr.end();
  tr.end(); // nothing running: no stage
  t.deepEqual(tr.stages, [
    { name: 'busy', atMs: 1000, wallMs: 60, cpuMs: 55, note: '3 hosts; 12 events' },
    { name: 'asleep', atMs: 1060, wallMs: 80, cpuMs: 2 },
  ]);
  const text = formatTrace(tr.summary());
  t.regex(text, /^stage +at ms +wall ms +cpu ms/m);
  t.regex(text, /^busy +1000 +60 +55 +3 hosts; 12 events$/m);
  t.regex(text, /^asleep +1060 +80 +2$/m);
  t.regex(text, /^total +0 +1140 +557 +peak RSS \d+ MB$/m);
});

test('windows: overlapping work counts once in busy time and in full in the sum; a cost is measured from a mark', (t) => {
  const { tick, clock } = manualClock();
  const tr = new Trace({ clock });
  tick(10);
  const m = tr.mark();
  const a = tr.begin('remote'); // 0..100
  tick(50, 1);
  const b = tr.begin('remote'); // 50..150
  tick(50, 1);
  a();
  t.is(tr.window('remote').busyMs, 100, 'one still under way: busy up to now');
  tick(50, 1);
  b();
  tick(60, 30); // kubemend busy, nothing outstanding: wall and CPU, not remote
  const w = tr.window('remote');
  t.like(w, { count: 2, busyMs: 150, sumMs: 200, firstMs: 1010, lastMs: 1160 });
  t.deepEqual(tr.since(m), { wallMs: 210, cpuMs: 33, remoteMs: 150, remoteOps: 2, remoteSumMs: 200 });
  const end = tr.begin('connect');
  tick(5);
  end();
  tick(5);
  end(); // twice is once
  t.like(tr.window('connect'), { count: 1, busyMs: 5, sumMs: 5 });
  t.deepEqual(
    tr.summary().windows.map((x) => x.name),
    ['remote', 'connect'],
  );
});

test('wait: a failed promise ends its piece of work too', async (t) => {
  const { tick, clock } = manualClock();
  const tr = new Trace({ clock });
  const p = tr.wait(async () => {
    await Promise.resolve();
    tick(7);
    throw new Error('refused');
  });
  await t.throwsAsync(p, { message: 'refused' });
  t.like(tr.window('remote'), { count: 1, busyMs: 7, sumMs: 7 });
});

test('wait: the clock starts before the work is called (time spent starting it counts: a process preempted there was seen counting 297 ms for 8 x 40 ms)', async (t) => {
  const { tick, clock } = manualClock();
  const tr = new Trace({ clock });
  await tr.wait(() => {
    tick(5); // the synchronous start of the work (timers armed, I/O issued), then the process is preempted
    return Promise.resolve();
  });
  t.like(tr.window('remote'), { count: 1, busyMs: 5, sumMs: 5 });
});

test('the runner puts each phase cost in its phase-end: remote ops = commands sent, time blocked on them, kubemend CPU; a dry run counts none of the held-back steps', async (t) => {
  const pb = definePlaybook({
    name: 'costly',
    description: 'x',
    destructive: false,
    phases: [
      {
        id: 'c/slow',
        title: 'two slow commands per host',
        hosts: (c) => c.hosts,
        strategy: { kind: 'parallel' },
        async run(h) {
          await h.read(['sleepy', 'one']);
          await h.run(['sleepy', 'two']);
        },
      },
      {
        id: 'c/cpu',
        title: 'kubemend busy, nothing remote',
        scope: 'cluster',
        async run() {
          burnCpu(40);
        },
      },
    ],
  });
  const fake = new FakeTransport().on(/^sleepy/, { delayMs: 40 });
  const events: StampedEvent[] = [];
  const r = await runPlaybook({ playbook: pb, inventory: fakeInventory(1, 3), transport: fake, dryRun: false, sinks: [(e) => events.push(e)] });
  t.is(r.exitCode, 0);
  const ends = events.filter((e): e is Extract<StampedEvent, { kind: 'phase-end' }> => e.kind === 'phase-end');
  const slow = ends.find((e) => e.phase === 'c/slow')!.cost!;
  t.is(slow.remoteOps, 8, '2 commands x 4 hosts');
  // lower bounds only (a loaded machine stretches every wall time): two 40 ms commands one after the other per host
  t.true(slow.remoteMs >= 75 && slow.remoteMs <= slow.wallMs, JSON.stringify(slow));
  t.true(slow.remoteSumMs >= 8 * 38 && slow.remoteSumMs >= slow.remoteMs, JSON.stringify(slow));
  t.is(ends.find((e) => e.phase === 'c/slow')!.durationMs, slow.wallMs);
  const cpu = ends.find((e) => e.phase === 'c/cpu')!.cost!;
  t.is(cpu.remoteOps, 0);
  t.is(cpu.remoteMs, 0);
  t.true(cpu.cpuMs >= 38, JSON.stringify(cpu));
  const end = events.at(-1)!;
  t.is(end.kind, 'run-end');
  t.true((end as { cost: { remoteOps: number } }).cost.remoteOps === 8);

  const dry: StampedEvent[] = [];
  await runPlaybook({
    playbook: pb,
    inventory: fakeInventory(1, 3),
    transport: new FakeTransport().on(/^sleepy/, { delayMs: 40 }),
    dryRun: true,
    sinks: [(e) => dry.push(e)],
  });
  const dslow = dry.find((e): e is Extract<StampedEvent, { kind: 'phase-end' }> => e.kind === 'phase-end' && e.phase === 'c/slow')!;
  t.is(dslow.cost!.remoteOps, 4, 'the reads were sent, the held-back runs were not');
});

test('KUBEMEND_TRACE=1 and --profile print the stages of a run on stderr; KUBEMEND_TRACE=json one parseable line; nothing without them; the journal keeps each phase cost', async (t) => {
  const state = tempDir(join(tmpdir(), 'km-trace-'));
  const args = ['run', 'hello', '-i', 'x', '--yes', '--state-dir', state];
  const text = await cli(FAKE_MAIN, args, { env: { KUBEMEND_TRACE: '1' } });
  t.is(text.code, 0, text.stderr);
  for (const stage of [
    'node start-up, modules read',
    'modules evaluated',
    'parse',
    'inventory',
    'plan',
    'open run files',
    'run',
    'write journal and log',
    'recap',
    'close connections',
  ]) {
    t.regex(text.stderr, new RegExp(`^${stage.replace(/[(),]/g, '\\$&')} +\\d+ +\\d+ +\\d+`, 'm'), stage);
  }
  t.regex(text.stderr, /^write journal and log .* \d+ journal events in \d+ writes$/m);
  t.regex(text.stderr, /^remote: \d+ begun/m);

  const prof = await cli(FAKE_MAIN, ['--profile', ...args]);
  t.is(prof.code, 0, prof.stderr);
  t.regex(prof.stderr, /^kubemend trace: wall and CPU/m);

  const json = await cli(FAKE_MAIN, args, { env: { KUBEMEND_TRACE: 'json' } });
  const line = json.stderr.split('\n').find((l) => l.startsWith('KUBEMEND_TRACE '))!;
  const s = JSON.parse(line.slice('KUBEMEND_TRACE '.length)) as {
    stages: Array<{ name: string; cpuMs: number; wallMs: number }>;
    total: { cpuMs: number };
    peakRssMB: number;
  };
  t.true(s.stages.some((x) => x.name === 'run'));
  const sum = s.stages.reduce((a, x) => a + x.cpuMs, 0);
  t.true(Math.abs(sum - s.total.cpuMs) < 5, `stages add up to the total CPU: ${sum} vs ${s.total.cpuMs}`);
  t.true(s.peakRssMB > 10);

  const quiet = await cli(FAKE_MAIN, args, { env: { KUBEMEND_TRACE: '' } });
  t.is(quiet.code, 0);
  t.notRegex(quiet.stderr, /kubemend trace|KUBEMEND_TRACE/);

  const runId = readdirSync(state).filter((d) => existsSync(join(state, d, 'journal.jsonl')))[0];
  const events = readJournal(join(state, runId, 'journal.jsonl'));
  const ends = events.filter((e): e is Extract<StampedEvent, { kind: 'phase-end' }> => e.kind === 'phase-end');
  t.true(ends.length > 0);
  for (const e of ends) t.is(typeof e.cost, 'object', 'every phase-end has a cost');
  for (const e of ends) for (const k of ['wallMs', 'cpuMs', 'remoteMs', 'remoteOps', 'remoteSumMs'] as const) t.true(Number.isInteger(e.cost?.[k]), k);
});

test('the process trace is one: its first stages are the start-up before and after the modules were evaluated', (t) => {
  t.is(trace.stages[0].name, 'node start-up, modules read');
  t.is(trace.stages[0].atMs, 0);
  t.true(trace.stages[0].wallMs > 0 && trace.stages[0].cpuMs > 0);
});
