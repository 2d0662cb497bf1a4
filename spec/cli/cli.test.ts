/** The CLI without a lab: listing, help, exit codes for bad input, no-terminal refusal, run/resume/JSON output, SIGINT. */
import test from 'ava';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJournal } from '../../lib/core/journal.js';
import { spawn } from 'node:child_process';
import { FAKE_MAIN, MAIN, ROOT, cli } from './run-cli.js';

const tmp = () => tempDir(join(tmpdir(), 'km-cli-'));

function inventories() {
  const dir = tmp();
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'cluster: Bad_Name\ncontrolPlaneEndpoint: 10.0.0.1:6443\nhosts:\n  - name: m1\n    address: 10.0.0.1\n    role: boss\n');
  const good = join(dir, 'good.yaml');
  writeFileSync(join(dir, 'known_hosts'), '');
  // addresses in TEST-NET-1: never contacted, the commands under test must stop before
  writeFileSync(
    good,
    `cluster: good\ncontrolPlaneEndpoint: 192.0.2.1:6443\nssh:\n  knownHosts: ${join(dir, 'known_hosts')}\nhosts:\n  - name: m1\n    address: 192.0.2.1\n    role: master\n    first: true\n  - name: w1\n    address: 192.0.2.2\n    role: worker\n`,
  );
  return { dir, bad, good };
}

test('kubemend playbooks lists every playbook on one line each', async (t) => {
  const r = await cli(MAIN, ['playbooks']);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.regex(lines.find((l) => l.startsWith('facts'))!, /^facts +read-only +Read-only: hostname/);
  t.regex(lines.find((l) => l.startsWith('hello'))!, /^hello +changes +Demo: writes \/tmp\/kubemend-hello/);
});

test('every command has help with an example; unknown commands and options exit 2', async (t) => {
  for (const c of ['playbooks', 'plan', 'run', 'resume', 'exec']) {
    const r = await cli(MAIN, [c, '--help']);
    t.is(r.code, 0, c);
    t.regex(r.stdout, /Examples?:\n {2}\$ kubemend /, c);
  }
  t.is((await cli(MAIN, ['frobnicate'])).code, 2);
  t.is((await cli(MAIN, ['run', 'hello', '--no-such-flag'])).code, 2);
});

test('plan on a bad inventory exits 2 with file:line:column for every problem and contacts no host', async (t) => {
  const { bad } = inventories();
  const r = await cli(MAIN, ['plan', 'hello', '-i', bad]);
  t.is(r.code, 2);
  t.regex(r.stderr, new RegExp(`${bad}:1:10: cluster: must be a DNS-1123 label`));
  t.regex(r.stderr, new RegExp(`${bad}:6:11: hosts\\[0\\]\\.role: must be master or worker`));
  t.is(r.stdout, '');
});

test('usage errors exit 2: unknown playbook, unknown phase id, unmatched --limit, bad playbook option', async (t) => {
  const { good } = inventories();
  const cases: Array<[string[], RegExp]> = [
    [['plan', 'nope', '-i', good], /unknown playbook "nope"; known: facts, hello/],
    [['run', 'hello', '-i', good, '--yes', '--only', 'etcd'], /--only etcd: no phase has this id; phases: hello\/token/],
    [['run', 'hello', '-i', good, '--yes', '--limit', 'zz9'], /--limit: no host matches "zz9"/],
    [['run', 'hello', '-i', good, '--yes', '--concurrency', '0'], /--concurrency/],
    [['resume', 'no-such-run', '--state-dir', tmp()], /resume no-such-run: read journal/],
  ];
  for (const [args, re] of cases) {
    const r = await cli(MAIN, args);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.stderr, re, args.join(' '));
  }
});

test('run without a terminal and without --yes exits 2 before contacting any host', async (t) => {
  const { good } = inventories();
  const r = await cli(MAIN, ['run', 'hello', '-i', good]);
  t.is(r.code, 2);
  t.regex(r.stderr, /needs confirmation, but there is no terminal to ask on .*pass --yes/);
  t.is(r.stdout, '', 'not even a plan: no host was contacted');
});

test('run --yes journals the run; a failed host exits 1 k0sctl style; resume finishes it', async (t) => {
  const state = tmp();
  const r = await cli(FAKE_MAIN, ['run', 'hello', '-i', 'x', '--yes', '--state-dir', state], { env: { FAKE_FAIL: 'w2' } });
  t.is(r.code, 1, r.stderr);
  t.regex(r.stdout, /failed on 1 host:\n - w2: hello\/workers: write \/tmp\/kubemend-hello: exit 1: read-only file system/);
  // each failure once at the end, in the recap (the live line said it when it happened)
  const after = r.stdout.slice(r.stdout.indexOf('\nrecap: '));
  t.is(after.split('read-only file system').length - 1, 1, after);
  t.regex(after, /^w2 +0 +1 +0 +\S+ +failed in hello\/workers$/m);
  t.false(r.stderr.includes('read-only file system'), r.stderr);
  t.is((r.stdout + r.stderr).split('read-only file system').length - 1, 2, 'the live line and the recap');
  const runId = /resume with: kubemend resume (\S+)/.exec(r.stderr)![1];
  t.deepEqual(readdirSync(join(state, runId)).sort(), ['journal.jsonl', 'plan.json', 'run.log']);
  t.like(JSON.parse(readFileSync(join(state, runId, 'plan.json'), 'utf8')), { kind: 'kubemend-plan', version: 1 });
  const r2 = await cli(FAKE_MAIN, ['resume', runId, '--yes', '--state-dir', state, '--log-format', 'json']);
  t.is(r2.code, 0, r2.stderr);
  const events = r2.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const ran = events.filter((e) => e.kind === 'host-end' && e.status === 'ok').map((e) => `${e.phase} ${e.host}`);
  t.deepEqual(ran.sort(), ['hello/token m1', 'hello/workers w2'].sort(), 'only what had not completed (and the token) ran again');
  t.false(readFileSync(join(state, runId, 'journal.jsonl'), 'utf8').includes('c0ffee0123456789c0ffee0123456789'), 'the secret token is not journaled');
});

test('SIGINT mid-run: exit 130, running hosts finish, no new host starts, the journal is consistent, resume completes', async (t) => {
  const state = tmp();
  let sent = false;
  const r = await cli(FAKE_MAIN, ['run', 'hello', '-i', 'x', '--yes', '--state-dir', state, '--concurrency', '2'], {
    env: { FAKE_WORKERS: '8', FAKE_DELAY_MS: '400' },
    onStdout: (text, child) => {
      if (!sent && /w1 \| hello\/workers: ok/.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  t.is(r.code, 130, r.stderr);
  t.regex(r.stderr, /SIGINT: starting no new work/);
  const runId = /kubemend resume (\S+)/.exec(r.stderr)![1];
  const events = readJournal(join(state, runId, 'journal.jsonl'));
  t.deepEqual(
    events.map((e) => e.seq),
    events.map((_e, i) => i),
  );
  t.like(events.at(-1), { kind: 'run-end', status: 'interrupted', exitCode: 130 });
  const started = events.filter((e) => e.kind === 'host-start').map((e) => `${(e as any).phase} ${(e as any).host}`);
  const ended = events.filter((e) => e.kind === 'host-end').map((e) => `${(e as any).phase} ${(e as any).host}`);
  t.deepEqual(ended.sort(), started.sort(), 'every started host has an end');
  const workersStarted = started.filter((s) => s.startsWith('hello/workers'));
  t.true(workersStarted.length < 8, `no new host after the interrupt (${workersStarted.length} started)`);
  const r2 = await cli(FAKE_MAIN, ['resume', runId, '--yes', '--state-dir', state], { env: { FAKE_WORKERS: '8' } });
  t.is(r2.code, 0, r2.stderr);
  const all = readJournal(join(state, runId, 'journal.jsonl'));
  const done = new Set(all.filter((e) => e.kind === 'host-end' && e.status === 'ok' && e.phase === 'hello/workers').map((e) => (e as any).host));
  t.is(done.size, 8);
});

/** Run the fake CLI inside a pseudo-terminal (util-linux `script`), typing `answer` once the prompt shows. */
function inTerminal(args: string[], answer: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const cmd = ['node', '--import', 'tsx', FAKE_MAIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let typed = false;
    child.stdout.on('data', (d) => {
      out += d;
      if (!typed && out.includes('type the cluster name')) {
        typed = true;
        child.stdin.write(answer + '\r');
      }
    });
    child.on('error', reject);
    // colours (a terminal) are not what these checks are about
    child.on('close', (code) => resolve({ code, out: out.replace(/\x1b\[\d+m/g, '') }));
  });
}

test('in a terminal, run asks for the cluster name: a wrong name exits 2 and runs nothing; the right one runs', async (t) => {
  const state = tmp();
  const no = await inTerminal(['run', 'hello', '-i', 'x', '--state-dir', state], 'prod');
  t.is(no.code, 2, no.out);
  t.regex(no.out, /not confirmed: typed "prod", cluster is fakeclu; nothing was changed/);
  t.deepEqual(readdirSync(state), [], 'no run was started');
  const yes = await inTerminal(['run', 'hello', '-i', 'x', '--state-dir', state], 'fakeclu');
  t.is(yes.code, 0, yes.out);
  t.regex(yes.out, /done in .* \(run \S+\)/);
  t.is(readdirSync(state).length, 1);
});

test('run --plan runs a reviewed plan, and refuses (exit 1, nothing run) when the cluster drifted from it', async (t) => {
  const dir = tmp();
  const planFile = join(dir, 'plan.json');
  const p = await cli(FAKE_MAIN, ['plan', 'hello', '-i', 'x', '--out', planFile]);
  t.is(p.code, 0, p.stderr);
  t.like(JSON.parse(readFileSync(planFile, 'utf8')), { kind: 'kubemend-plan', version: 1, playbook: 'hello' });
  const drifted = await cli(FAKE_MAIN, ['run', 'hello', '-i', 'x', '--yes', '--plan', planFile, '--state-dir', join(dir, 's1')], {
    env: { FAKE_WORKERS: '5' },
  });
  t.is(drifted.code, 1);
  t.regex(drifted.stderr, /drifted since .*plan\.json.*\n - hello\/workers w5: new/);
  t.false(existsSync(join(dir, 's1')), 'nothing was run');
  const ok = await cli(FAKE_MAIN, ['run', 'hello', '-i', 'x', '--yes', '--plan', planFile, '--state-dir', join(dir, 's2')]);
  t.is(ok.code, 0, ok.stderr);
});

test('playbook options arrive as flags: hello --hello-file is validated and used', async (t) => {
  const r = await cli(FAKE_MAIN, ['plan', 'hello', '-i', 'x', '--hello-file', '/tmp/km-other']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /sh \{host\} \/tmp\/km-other\n/);
  const bad = await cli(FAKE_MAIN, ['plan', 'hello', '-i', 'x', '--hello-file', '/etc/passwd']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--hello-file: must be a file directly under \/tmp/);
  const wrong = await cli(FAKE_MAIN, ['plan', 'facts', '-i', 'x', '--hello-file', '/tmp/x']);
  t.is(wrong.code, 2);
  t.regex(wrong.stderr, /playbook facts has no option --hello-file/);
});
