/** Resume: a second attempt skips the phase x host pairs that completed and re-runs the rest. */
import test from 'ava';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openJournal, readJournal, runDir } from '../../lib/core/journal.js';
import { loadResume } from '../../lib/core/resume.js';
import { runPlaybook } from '../../lib/core/runner.js';
import hello from '../../playbooks/hello.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

test('resume skips completed pairs, re-runs failed and never-started ones, and re-captures values', async (t) => {
  const state = tempDir(join(tmpdir(), 'km-resume-'));
  const inv = fakeInventory(3, 2);
  const j1 = openJournal(runDir(state, 'r1'));
  // first attempt: m2 fails in the serial masters phase, so m3 and the workers never start
  const broken = new FakeTransport().on(/^openssl/, { stdout: 'aaaaaaaaaaaaaaaa\n' }).on(/ m2 \/tmp\/kubemend-hello$/, { exitCode: 1, stderr: 'disk full' });
  const r1 = await runPlaybook({
    playbook: hello,
    inventory: inv,
    transport: broken,
    options: {},
    dryRun: false,
    runId: 'r1',
    sinks: [j1.sink],
    selection: { skip: [] },
  });
  j1.close();
  t.is(r1.exitCode, 1);
  t.deepEqual(
    r1.failures.map((f) => `${f.host} ${f.phase}`),
    ['m2 hello/masters'],
  );

  const info = loadResume(state, 'r1');
  t.is(info.playbook, 'hello');
  t.is(info.inventory, inv.file);
  t.is(info.lastStatus, 'failed');
  t.true(info.completed.has('hello/masters\0m1'));
  t.false(info.completed.has('hello/masters\0m2'));

  const fixed = new FakeTransport().on(/^openssl/, { stdout: 'bbbbbbbbbbbbbbbb\n' });
  const j2 = openJournal(info.dir);
  const r2 = await runPlaybook({
    playbook: hello,
    inventory: inv,
    transport: fixed,
    options: info.options,
    dryRun: false,
    runId: 'r1',
    sinks: [j2.sink],
    completed: info.completed,
    firstSeq: info.nextSeq,
    selection: info.selection,
  });
  j2.close();
  t.is(r2.exitCode, 0, JSON.stringify(r2.failures));
  const hostsTouched = new Set(fixed.calls.map((c) => c.host));
  t.deepEqual(
    fixed.commandsOn('m1').filter((c) => c.startsWith('openssl')),
    ['openssl rand -hex 16'],
    'the capture phase re-ran (rerunOnResume)',
  );
  t.false(
    fixed.commandsOn('m1').some((c) => c.includes('/tmp/kubemend-hello') && c.startsWith("sh -c 'printf")),
    'm1 wrote its file in attempt 1: not again',
  );
  for (const h of ['m2', 'm3', 'w1', 'w2']) t.true(hostsTouched.has(h), h);

  const events = readJournal(join(info.dir, 'journal.jsonl'));
  t.deepEqual(
    events.map((e) => e.seq),
    events.map((_e, i) => i),
    'one journal, sequence continues',
  );
  t.truthy(events.find((e) => e.kind === 'run-start' && e.resumed));
  t.truthy(events.find((e) => e.kind === 'host-end' && e.host === 'm1' && e.phase === 'hello/masters' && e.status === 'skipped'));
  t.is(loadResume(state, 'r1').lastStatus, 'done');
});

test('resuming an unknown run is a usage error', (t) => {
  const e = t.throws(() => loadResume(tempDir(join(tmpdir(), 'km-resume-')), 'nope'));
  t.is((e as { code?: string }).code, 'EUSAGE');
});
