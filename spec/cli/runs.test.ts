/**
 * `kubemend runs` lists the runs of a state folder (id, start, playbook, cluster, result,
 * resumable, inventory), and `kubemend resume` without an id offers the last unfinished run: a
 * yes/no question in a terminal, a usage error naming it without one (issue 15).
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAKE_MAIN, MAIN, ROOT, cli } from './run-cli.js';

const tmp = () => tempDir(join(tmpdir(), 'km-runs-'));
const runIdOf = (r: { stdout: string }) => /^recap: run (\S+) /m.exec(r.stdout)![1]!;

/** A state folder with a done run, a failed one, a killed one (no run-end journaled) and a folder without a readable journal. */
async function stateWithRuns(): Promise<{ state: string; done: string; failed: string; killed: string }> {
  const state = tmp();
  const done = runIdOf(await cli(FAKE_MAIN, ['run', 'hello', '-i', 'x', '--yes', '--state-dir', state]));
  const failedRun = await cli(FAKE_MAIN, ['run', 'hello', '-i', 'x', '--yes', '--state-dir', state], { env: { FAKE_FAIL: 'w2' } });
  const failed = runIdOf(failedRun);
  // a run killed mid-phase: its journal stops without a run-end (a later id, so it is the newest)
  const killed = '29991231-235959-dead';
  const lines = readFileSync(join(state, done, 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n');
  mkdirSync(join(state, killed));
  writeFileSync(
    join(state, killed, 'journal.jsonl'),
    lines
      .slice(0, 6)
      .map((l) => l.replace(done, killed).replace(/"ts":"[^"]+"/, '"ts":"2999-12-31T23:59:59.000Z"'))
      .join('\n') + '\n',
  );
  mkdirSync(join(state, 'junk'));
  writeFileSync(join(state, 'junk', 'journal.jsonl'), 'not json\n{}\n');
  return { state, done, failed, killed };
}

test('runs: one line per run, oldest first: id, start, playbook, cluster, result (with the phase it stopped at), resumable, inventory', async (t) => {
  const { state, done, failed, killed } = await stateWithRuns();
  const r = await cli(MAIN, ['runs', '--state-dir', state]);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.regex(lines[0]!, /^RUN ID +STARTED \(UTC\) +PLAYBOOK +CLUSTER +RESULT +RESUMABLE +INVENTORY$/);
  t.regex(lines[1]!, new RegExp(`^${done} +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +hello +fakeclu +done +no +/fake/inventory\\.yaml$`));
  t.regex(lines[2]!, new RegExp(`^${failed} +\\S+ \\S+ +hello +fakeclu +failed at hello/workers +yes +/fake/inventory\\.yaml$`));
  t.regex(lines[3]!, new RegExp(`^${killed} +2999-12-31 23:59:59 +hello +fakeclu +unfinished +yes +/fake/inventory\\.yaml$`));
  t.is(lines[4], `resume the last unfinished run with: kubemend resume ${killed} --state-dir ${state}`);
  t.regex(r.stderr, /warning: .*\/junk: no readable journal/);
  const j = await cli(MAIN, ['runs', '--state-dir', state, '--json']);
  t.is(j.code, 0, j.stderr);
  const doc = JSON.parse(j.stdout);
  t.like(doc, { kind: 'kubemend-runs', version: 1, unreadable: ['junk'] });
  t.deepEqual(
    doc.runs.map((x: { runId: string; status: string; resumable: boolean }) => [x.runId, x.status, x.resumable]),
    [
      [done, 'done', false],
      [failed, 'failed', true],
      [killed, 'unknown', true],
    ],
  );
  const empty = tmp();
  const none = await cli(MAIN, ['runs', '--state-dir', empty]);
  t.is(none.code, 0);
  t.is(none.stdout, '');
  t.is(none.stderr, `no runs in ${empty}\n`);
});

test('resume without an id and without a terminal (or with --yes): exit 2 naming the last unfinished run and the command; nothing run', async (t) => {
  const { state, failed } = await stateWithRuns();
  const before = readFileSync(join(state, failed, 'journal.jsonl'), 'utf8');
  const r = await cli(FAKE_MAIN, ['resume', '--state-dir', state]);
  t.is(r.code, 2);
  t.regex(
    r.stderr,
    /^kubemend: resume: which run\? The last unfinished one is 29991231-235959-dead \(hello on fakeclu, started 2999-12-31 23:59:59 UTC, unfinished\): kubemend resume 29991231-235959-dead --state-dir /m,
  );
  const y = await cli(FAKE_MAIN, ['resume', '--state-dir', state, '--yes']);
  t.is(y.code, 2);
  t.regex(y.stderr, /\(--yes never picks a run for you\)/);
  t.is(readFileSync(join(state, failed, 'journal.jsonl'), 'utf8'), before, 'nothing was resumed');
  const empty = await cli(FAKE_MAIN, ['resume', '--state-dir', tmp()]);
  t.is(empty.code, 2);
  t.regex(empty.stderr, /no failed or interrupted run in .* to resume \(kubemend runs lists the runs there\)/);
});

/** Run the fake CLI in a pseudo-terminal (util-linux `script`), answering each [prompt, answer] in turn when its prompt shows. */
function inTerminal(args: string[], ...dialog: Array<[string, string]>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const cmd = ['node', '--import', 'tsx', FAKE_MAIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let step = 0;
    let seen = 0;
    child.stdout.on('data', (d) => {
      out += d;
      const next = dialog[step];
      const at = next ? out.indexOf(next[0], seen) : -1;
      if (next && at >= 0) {
        seen = at + next[0].length;
        step++;
        child.stdin.write(next[1]);
      }
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 180_000); // never hang the suite
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, out: out.replace(/\x1b\[\d+m/g, '') }); // colours are not what these checks are about
    });
  });
}

test('resume without an id in a terminal: offers the last failed run; yes resumes it to the end, no runs nothing', async (t) => {
  const state = tmp();
  const failed = runIdOf(await cli(FAKE_MAIN, ['run', 'hello', '-i', 'x', '--yes', '--state-dir', state], { env: { FAKE_FAIL: 'w2' } }));
  const no = await inTerminal(['resume', '--state-dir', state], ['resume the last unfinished run', 'n\r']);
  t.is(no.code, 2, no.out);
  // the terminal wraps the question at its width: compare without colours and line breaks
  const plain = no.out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r?\n/g, '');
  t.regex(plain, new RegExp(`resume the last unfinished run, ${failed} \\(hello on fakeclu, started [^)]+, failed at hello/workers\\)\\?`));
  t.regex(no.out, /not confirmed; nothing was run/);
  const yes = await inTerminal(['resume', '--state-dir', state], ['resume the last unfinished run', 'y\r'], ['type the cluster name', 'fakeclu\r']);
  t.is(yes.code, 0, yes.out);
  t.regex(yes.out, new RegExp(`recap: run ${failed} done in `));
  const after = await cli(MAIN, ['runs', '--state-dir', state, '--json']);
  t.like(JSON.parse(after.stdout).runs[0], { runId: failed, status: 'done', attempts: 2, resumable: false });
});
