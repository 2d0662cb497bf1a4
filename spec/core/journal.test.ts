/** The journal: every line parses, secrets never reach it, a partial last line is ignored, files are private. */
import test from 'ava';
import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completedPairs, openJournal, readJournal, runDir } from '../../lib/core/journal.js';
import { hostBackupDir } from '../../lib/backup/archive.js';
import { openFileLog } from '../../lib/core/log.js';
import { runPlaybook } from '../../lib/core/runner.js';
import { Secret } from '../../lib/core/secret.js';
import type { Playbook } from '../../lib/core/types.js';
import hello from '../../playbooks/hello.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

const TOKEN = 'sekrit.0123456789abcdef';
const PASSWORD = 'hunter2-sudo-pw';

test('a real run journals every step; every line parses; no secret value appears anywhere in the run folder', async (t) => {
  const state = mkdtempSync(join(tmpdir(), 'km-journal-'));
  const dir = runDir(state, 'r1');
  const journal = openJournal(dir);
  const log = await openFileLog(dir);
  const pw = new Secret('sudo-password', PASSWORD);
  const pb: Playbook = {
    ...hello,
    phases: [
      ...hello.phases,
      { id: 'extra', title: 'secret in stdin, argv, output and errors', hosts: (c) => c.hosts.slice(0, 2), strategy: { kind: 'serial', maxFailures: 1 },
        async run(h) {
          await h.run(['sudo', '-S', 'true'], { stdin: PASSWORD + '\n' });
          await h.run(['echo', pw]);
          if (h.host.name === 'm2') await h.run(['leak', h.get('hello-token')]);
        } },
    ],
  };
  const fake = new FakeTransport()
    .on(/^openssl rand/, { stdout: TOKEN + '\n' })
    .on(/^echo/, (_h, c) => ({ stdout: `${PASSWORD}\n`, stderr: c }))
    .on(/^leak/, { exitCode: 1, stderr: `error: token ${TOKEN} rejected` });
  const r = await runPlaybook({ playbook: pb, inventory: fakeInventory(2, 2), transport: fake, options: {}, dryRun: false, runId: 'r1', sinks: [journal.sink, log.sink] });
  journal.close();
  await log.close();
  t.is(r.exitCode, 1);
  t.true(fake.calls.some((c) => c.wire.includes(TOKEN)), 'the token did reach the hosts');
  t.regex(r.failures[0].error, /<hello-token>/);
  t.false(r.failures[0].error.includes(TOKEN));

  const text = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
  const lines = text.split('\n').filter(Boolean);
  for (const l of lines) t.notThrows(() => JSON.parse(l));
  const events = readJournal(join(dir, 'journal.jsonl'));
  t.is(events[0].kind, 'run-start');
  t.is(events.at(-1)!.kind, 'run-end');
  t.deepEqual(events.map((e) => e.seq), events.map((_e, i) => i));
  const kinds = new Set(events.map((e) => e.kind));
  for (const k of ['phase-start', 'phase-end', 'host-start', 'host-end', 'command', 'capture']) t.true(kinds.has(k as never), k);
  const cmd = events.find((e) => e.kind === 'command' && e.step === 'run' && e.command.startsWith('sh -c') && e.host === 'w1');
  t.like(cmd, { exitCode: 0, dryRun: false, step: 'run' });
  t.true(typeof (cmd as { durationMs: number }).durationMs === 'number');
  t.truthy(events.find((e) => e.kind === 'capture' && e.name === 'hello-token' && e.secret));

  const logText = readFileSync(join(dir, 'run.log'), 'utf8');
  t.regex(logText, /w1 \| hello\/workers: ok/);
  for (const [name, body] of [['journal', text], ['log', logText]]) {
    t.false(body.includes(TOKEN), `${name} holds the token`);
    t.false(body.includes(PASSWORD), `${name} holds the password`);
  }
  t.regex(text, /<hello-token>/);
  t.is(statSync(dir).mode & 0o777, 0o700);
  t.is(statSync(join(dir, 'journal.jsonl')).mode & 0o777, 0o600);
  t.is(statSync(join(dir, 'run.log')).mode & 0o777, 0o600);
});

test('the reader ignores a partial last line (a crash mid-write) but not a broken line in the middle', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'km-journal-'));
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
