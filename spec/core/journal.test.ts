/** The journal: every line parses, secrets never reach it, a partial last line is ignored, files are private. */
import test from 'ava';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { COMMIT_KINDS, completedPairs, openJournal, readJournal, runDir } from '../../lib/core/journal.js';
import { FLUSH_MS } from '../../lib/core/line-batch.js';
import type { RunEvent, StampedEvent } from '../../lib/core/events.js';
import { hostBackupDir } from '../../lib/backup/archive.js';
import { openFileLog } from '../../lib/core/log.js';
import { runPlaybook } from '../../lib/core/runner.js';
import { Secret } from '../../lib/shell/secret.js';
import type { Playbook } from '../../lib/core/types.js';
import hello from '../../playbooks/hello.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

const TOKEN = 'sekrit.0123456789abcdef';
const PASSWORD = 'hunter2-sudo-pw';

test('a real run journals every step; every line parses; no secret value appears anywhere in the run folder', async (t) => {
  const state = tempDir(join(tmpdir(), 'km-journal-'));
  const dir = runDir(state, 'r1');
  const journal = openJournal(dir);
  const log = await openFileLog(dir);
  const pw = new Secret('sudo-password', PASSWORD);
  const pb: Playbook<{ helloFile: string }> = {
    ...hello,
    phases: [
      ...hello.phases,
      {
        id: 'extra',
        title: 'secret in stdin, argv, output and errors',
        hosts: (c) => c.hosts.slice(0, 2),
        strategy: { kind: 'serial', maxFailures: 1 },
        async run(h) {
          await h.run(['sudo', '-S', 'true'], { stdin: PASSWORD + '\n' });
          await h.run(['echo', pw]);
          if (h.host.name === 'm2') await h.run(['leak', h.get('hello-token')]);
        },
      },
    ],
  };
  const fake = new FakeTransport()
    .on(/^openssl rand/, { stdout: TOKEN + '\n' })
    .on(/^echo/, (_h, c) => ({ stdout: `${PASSWORD}\n`, stderr: c }))
    .on(/^leak/, { exitCode: 1, stderr: `error: token ${TOKEN} rejected` });
  const r = await runPlaybook({
    playbook: pb,
    inventory: fakeInventory(2, 2),
    transport: fake,
    options: {},
    dryRun: false,
    runId: 'r1',
    sinks: [journal.sink, log.sink],
  });
  journal.close();
  await log.close();
  t.is(r.exitCode, 1);
  t.true(
    fake.calls.some((c) => c.wire.includes(TOKEN)),
    'the token did reach the hosts',
  );
  t.regex(r.failures[0].error, /<hello-token>/);
  t.false(r.failures[0].error.includes(TOKEN));

  const text = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
  const lines = text.split('\n').filter(Boolean);
  for (const l of lines) t.notThrows(() => JSON.parse(l));
  const events = readJournal(join(dir, 'journal.jsonl'));
  t.is(events[0].kind, 'run-start');
  t.is(events.at(-1)!.kind, 'run-end');
  t.deepEqual(
    events.map((e) => e.seq),
    events.map((_e, i) => i),
  );
  const kinds = new Set(events.map((e) => e.kind));
  for (const k of ['phase-start', 'phase-end', 'host-start', 'host-end', 'command', 'capture']) t.true(kinds.has(k as never), k);
  const cmd = events.find((e) => e.kind === 'command' && e.step === 'run' && e.command.startsWith('sh -c') && e.host === 'w1');
  t.like(cmd, { exitCode: 0, dryRun: false, step: 'run' });
  t.true(typeof (cmd as { durationMs: number }).durationMs === 'number');
  t.truthy(events.find((e) => e.kind === 'capture' && e.name === 'hello-token' && e.secret));

  const logText = readFileSync(join(dir, 'run.log'), 'utf8');
  t.regex(logText, /w1 \| hello\/workers: ok/);
  for (const [name, body] of [
    ['journal', text],
    ['log', logText],
  ]) {
    t.false(body.includes(TOKEN), `${name} holds the token`);
    t.false(body.includes(PASSWORD), `${name} holds the password`);
  }
  t.regex(text, /<hello-token>/);
  t.is(statSync(dir).mode & 0o777, 0o700);
  t.is(statSync(join(dir, 'journal.jsonl')).mode & 0o777, 0o600);
  t.is(statSync(join(dir, 'run.log')).mode & 0o777, 0o600);
});

test('run.log: one line per shown event, in order, with its time and level; a line reaches the file within the flush interval without a close', async (t) => {
  const dir = runDir(tempDir(join(tmpdir(), 'km-runlog-')), 'r1');
  const log = await openFileLog(dir);
  const file = join(dir, 'run.log');
  const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  log.sink({ kind: 'log', phase: 'p', host: 'h1', level: 'info', message: 'first', ts: at(0), seq: 0 });
  await new Promise((r) => setTimeout(r, FLUSH_MS + 400));
  t.is(readFileSync(file, 'utf8'), `${at(0)} info  h1 | p: first\n`, 'written before close (someone tailing the log sees it)');
  const n = 300;
  for (let i = 1; i <= n; i++) {
    log.sink({ kind: 'command', phase: 'p', host: `h${i}`, step: 'read', command: `echo ${i}`, exitCode: 0, durationMs: 2, dryRun: false, ts: at(i), seq: i });
  }
  log.sink({ kind: 'host-end', phase: 'p', host: 'h1', status: 'failed', error: 'boom', durationMs: 5, ts: at(n + 1), seq: n + 1 });
  await log.close();
  const lines = readFileSync(file, 'utf8').split('\n');
  t.is(lines.pop(), '', 'ends with a newline');
  t.is(lines.length, n + 2);
  for (let i = 1; i <= n; i++) t.is(lines[i], `${at(i)} debug h${i} | read: echo ${i} -> 0 (2ms)`);
  t.is(lines[n + 1], `${at(n + 1)} warn  h1 | p: failed: boom`);
});

test('the reader ignores a partial last line (a crash mid-write) but not a broken line in the middle', (t) => {
  const dir = tempDir(join(tmpdir(), 'km-journal-'));
  const f = join(dir, 'journal.jsonl');
  writeFileSync(f, '{"kind":"run-start","seq":0}\n{"kind":"host-end","phase":"a","host":"w1","status":"ok","seq":1}\n');
  appendFileSync(f, '{"kind":"host-end","phase":"a","ho');
  const ev = readJournal(f);
  t.is(ev.length, 2);
  t.deepEqual([...completedPairs(ev)], ['a\0w1']);
  writeFileSync(f, '{"kind":"run-start"}\n{broken\n{"kind":"run-end"}\n');
  t.throws(() => readJournal(f), { message: /line 2 is not JSON/ });
});

test('run ids cannot escape the state folder', (t) => {
  t.throws(() => runDir('/tmp/x', '../etc'));
  t.throws(() => runDir('/tmp/x', '..'), { message: /bad run id/ });
  t.throws(() => runDir('/tmp/x', '.'));
  t.throws(() => hostBackupDir('..'), { message: /bad run id/ }); // rm -rf /var/backups/kubemend/.. must never be spelled
  t.is(runDir('/tmp/x', '20261129-052000-a1b2'), '/tmp/x/20261129-052000-a1b2');
});

/** A stamped event of `kind` (the fields the journal needs). */
function ev(seq: number, e: RunEvent): StampedEvent {
  return { ...e, ts: new Date(0).toISOString(), seq } as StampedEvent;
}
const cmd = (seq: number, host: string): StampedEvent =>
  ev(seq, { kind: 'command', phase: 'p', host, step: 'read', command: `echo ${seq}`, exitCode: 0, durationMs: 1, dryRun: false });

test('batched writes: what resume reads is on disk at once, with every line before it; commands follow at the next of those, after FLUSH_MS, or at close', async (t) => {
  const dir = runDir(tempDir(join(tmpdir(), 'km-journal-')), 'r2');
  const j = openJournal(dir);
  const onDisk = () => readJournal(j.file).map((e) => e.seq);
  j.sink(ev(1, { kind: 'run-start', runId: 'r2', playbook: 'x', inventory: 'i', cluster: 'c', options: {}, selection: {}, version: '0', dryRun: false }));
  t.deepEqual(onDisk(), [1], 'run-start: written before the run goes on');
  j.sink(ev(2, { kind: 'phase-start', phase: 'p', title: 'p', hosts: ['a'], strategy: 'parallel' }));
  j.sink(ev(3, { kind: 'host-start', phase: 'p', host: 'a' }));
  j.sink(cmd(4, 'a'));
  t.deepEqual(onDisk(), [1], 'starts and commands wait for a batch');
  j.sink(ev(5, { kind: 'host-end', phase: 'p', host: 'a', status: 'ok', durationMs: 1 }));
  t.deepEqual(onDisk(), [1, 2, 3, 4, 5], 'host-end: written with every line before it, in order');
  t.is(completedPairs(readJournal(j.file)).size, 1, 'resume sees the pair done');
  j.sink(cmd(6, 'a'));
  // a timer set after the journal's, for longer, fires after it (node runs due timers in order): no wall-time race
  await new Promise((r) => setTimeout(r, FLUSH_MS + 1));
  t.deepEqual(onDisk(), [1, 2, 3, 4, 5, 6], `a lone command line is written within FLUSH_MS (${FLUSH_MS} ms)`);
  j.sink(cmd(7, 'a'));
  j.sink(cmd(8, 'a'));
  j.close();
  t.deepEqual(onDisk(), [1, 2, 3, 4, 5, 6, 7, 8], 'close writes what is batched');
  t.like(j.stats, { events: 8, writes: 4 });
  j.sink(cmd(9, 'a')); // after close: ignored, not an error
  t.is(onDisk().length, 8);
  t.true(COMMIT_KINDS.has('phase-end') && COMMIT_KINDS.has('gate') && COMMIT_KINDS.has('run-end') && !COMMIT_KINDS.has('command'));
});

test('batched writes: a process that exits (process.exit, an uncaught error) without closing its journal still writes every line', async (t) => {
  const dir = tempDir(join(tmpdir(), 'km-journal-exit-'));
  const journalTs = fileURLToPath(new URL('../../lib/core/journal.ts', import.meta.url));
  for (const [how, code] of [
    ['process.exit(3)', 3],
    ["setTimeout(() => { throw new Error('boom'); }, 0)", 1],
  ] as const) {
    const sub = join(dir, String(code));
    const script = join(dir, `child-${code}.ts`);
    writeFileSync(
      script,
      `import { openJournal } from ${JSON.stringify(journalTs)};
const j = openJournal(${JSON.stringify(sub)});
for (let i = 1; i <= 3; i++) j.sink({ kind: 'command', phase: 'p', host: 'a', step: 'read', command: 'echo ' + i, exitCode: 0, durationMs: 1, dryRun: false, ts: '1970-01-01T00:00:00.000Z', seq: i });
${how};
`,
    );
    // spawn, not spawnSync: the other tests of this file go on meanwhile
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const status = await new Promise((r) => child.on('close', r));
    t.is(status, code, stderr);
    t.deepEqual(
      readJournal(join(sub, 'journal.jsonl')).map((e) => e.seq),
      [1, 2, 3],
      how,
    );
  }
});
