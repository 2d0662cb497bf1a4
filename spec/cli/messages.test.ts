/**
 * Messages that say what happened (issue 15): Ctrl-C during exec says interrupted (not a connect
 * timeout) and ends at once; JSON durations are whole milliseconds; the benchmark playbook is not
 * listed among the user's; a read-only run reads every host once, not once to plan and again to run.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAKE_MAIN, MAIN, cli } from './run-cli.js';

const tmp = () => tempDir(join(tmpdir(), 'km-msg-'));

test('Ctrl-C during exec while a host has not answered the SSH handshake: "interrupted", exit 130 at once, not a connect timeout', async (t) => {
  // a host that accepts TCP and never speaks SSH: the handshake would wait for the connect timeout
  // (120 s here, so that "at once" and "after the connect timeout" stay far apart even on a
  // machine so loaded that exiting takes seconds: 7.7 s was seen at load average 80)
  const sockets: import('node:net').Socket[] = [];
  let accepted!: () => void;
  const gotConnection = new Promise<void>((resolve) => (accepted = resolve));
  const server = createServer((s) => {
    sockets.push(s);
    if (sockets.length === 2) accepted(); // both hosts are in their handshake
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const port = (server.address() as { port: number }).port;
  const dir = tmp();
  writeFileSync(join(dir, 'known_hosts'), '');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
  const inv = join(dir, 'inv.yaml');
  writeFileSync(
    inv,
    `cluster: silent\ncontrolPlaneEndpoint: 127.0.0.1:6443\nssh:\n  knownHosts: ${join(dir, 'known_hosts')}\n  identityFile: ${join(dir, 'key')}\n  port: ${port}\n  connectTimeout: 120s\nhosts:\n  - {name: m1, address: 127.0.0.1, role: master, first: true}\n  - {name: w1, address: 127.0.0.2, role: worker}\n`,
  );
  let sentAt = 0;
  try {
    const r = await cli(MAIN, ['exec', '-i', inv, '--limit', 'all', '--', 'uptime'], {
      onSpawn: (child) =>
        void gotConnection.then(() =>
          setTimeout(() => {
            sentAt = Date.now();
            child.kill('SIGINT');
          }, 500),
        ),
    });
    const tookMs = Date.now() - sentAt;
    t.is(r.code, 130, r.stderr);
    t.regex(r.stderr, /^m1 \| interrupted$/m);
    t.regex(r.stderr, /^w1 \| interrupted$/m);
    t.regex(r.stderr, /^interrupted: 0 of 2 hosts finished; not finished: m1, w1$/m);
    t.notRegex(r.stderr, /handshake|error:/);
    t.true(tookMs < 30_000, `exited ${tookMs} ms after SIGINT (the connect timeout is 120 s)`);
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});

test('JSON events carry durations in whole milliseconds (journal and --log-format json)', async (t) => {
  const state = tmp();
  const r = await cli(FAKE_MAIN, ['run', 'hello', '-i', 'x', '--yes', '--state-dir', state, '--log-format', 'json'], { env: { FAKE_DELAY_MS: '3' } });
  t.is(r.code, 0, r.stderr);
  const events = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const durations = events.filter((e) => 'durationMs' in e).map((e) => e.durationMs);
  t.true(durations.length > 10);
  t.true(
    durations.every((d) => Number.isInteger(d)),
    JSON.stringify(durations),
  );
  const runId = events[0].runId;
  const journal = readFileSync(join(state, runId, 'journal.jsonl'), 'utf8');
  t.notRegex(journal, /"durationMs":\d+\.\d/);
});

test('the benchmark playbook bench-seq is not among the user playbooks (list, help, known names), yet runs by name', async (t) => {
  const list = await cli(MAIN, ['playbooks']);
  t.is(list.code, 0);
  t.notRegex(list.stdout, /bench/);
  t.notRegex((await cli(MAIN, ['run', '--help'])).stdout, /bench-seq|--count/);
  const unknown = await cli(MAIN, ['plan', 'nope', '-i', 'x']);
  t.notRegex(unknown.stderr, /bench-seq/);
  const r = await cli(FAKE_MAIN, ['plan', 'bench-seq', '-i', 'x', '--count', '2']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /echo bench 2/);
});

test('run bench-seq (the benchmark workload) sends each of its commands to each host once: no plan pass first, as the clients it is compared with', async (t) => {
  const calls = join(tmp(), 'calls.json');
  const r = await cli(FAKE_MAIN, ['run', 'bench-seq', '-i', 'x', '--count', '3', '--state-dir', tmp()], { env: { FAKE_CALLS: calls } });
  t.is(r.code, 0, r.stderr);
  const sent = JSON.parse(readFileSync(calls, 'utf8')) as Array<{ host: string; command: string }>;
  t.is(sent.length, 6 * 3, sent.map((c) => `${c.host} ${c.command}`).join('\n'));
  t.is(new Set(sent.map((c) => `${c.host} ${c.command}`)).size, 6 * 3);
  t.true(sent.every((c) => /^echo bench [123]$/.test(c.command)));
});

test('a read-only run (run facts) sends each read to each host once: no plan pass first', async (t) => {
  const calls = join(tmp(), 'calls.json');
  const r = await cli(FAKE_MAIN, ['run', 'facts', '-i', 'x', '--state-dir', tmp()], { env: { FAKE_CALLS: calls } });
  t.is(r.code, 0, r.stderr);
  const sent = JSON.parse(readFileSync(calls, 'utf8')) as Array<{ host: string; command: string }>;
  const perHost = new Map<string, number>();
  for (const c of sent) perHost.set(`${c.host} ${c.command}`, (perHost.get(`${c.host} ${c.command}`) ?? 0) + 1);
  t.is(new Set(sent.map((c) => c.host)).size, 6, 'every host was read');
  t.deepEqual(
    [...perHost].filter(([, n]) => n > 1),
    [],
    'no command sent twice',
  );
  t.notRegex(r.stdout, /^plan: /m, 'no plan pass');
  t.regex(r.stdout, /^recap: run \S+ done in /m);
  // a reviewed plan (--plan) still means a plan pass to compare with
  const planFile = join(tmp(), 'p.json');
  t.is((await cli(FAKE_MAIN, ['plan', 'facts', '-i', 'x', '--out', planFile])).code, 0);
  const withPlan = await cli(FAKE_MAIN, ['run', 'facts', '-i', 'x', '--plan', planFile, '--state-dir', tmp()]);
  t.is(withPlan.code, 0, withPlan.stderr);
  t.regex(withPlan.stdout, /^plan: facts on fakeclu \(0 changes\)/m);
});
