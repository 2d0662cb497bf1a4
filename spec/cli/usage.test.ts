/**
 * The command line an operator expects (issues 13 and 15): one-line usage errors with a hint and
 * exit 2, exec's remote command after its first operand, an empty --limit refused, everything the
 * command line names checked before any host is contacted, a closed pipe ending quietly, and
 * doctor saying `unknown` for a cluster it cannot reach. No lab: hosts in TEST-NET-1 (never
 * contacted: a command that tried would print a plan or hang on the connect) or the fake CLI.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAKE_MAIN, MAIN, ROOT, cli } from './run-cli.js';

const tmp = () => tempDir(join(tmpdir(), 'km-usage-'));

/** An inventory whose hosts are in TEST-NET-1: a command that contacted them would hang on the connect. */
function testNetInventory(): string {
  const dir = tmp();
  writeFileSync(join(dir, 'known_hosts'), '');
  const f = join(dir, 'inv.yaml');
  writeFileSync(
    f,
    `cluster: good\ncontrolPlaneEndpoint: 192.0.2.1:6443\nssh:\n  knownHosts: ${join(dir, 'known_hosts')}\nhosts:\n  - name: m1\n    address: 192.0.2.1\n    role: master\n    first: true\n  - name: w1\n    address: 192.0.2.2\n    role: worker\n`,
  );
  return f;
}

/** An inventory whose hosts refuse connections at once (127.0.0.x port 1). */
function refusingInventory(): string {
  const dir = tmp();
  writeFileSync(join(dir, 'known_hosts'), '');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
  const f = join(dir, 'inv.yaml');
  writeFileSync(
    f,
    `cluster: down\ncontrolPlaneEndpoint: 127.0.0.1:6443\nssh:\n  knownHosts: ${join(dir, 'known_hosts')}\n  identityFile: ${join(dir, 'key')}\n  port: 1\nhosts:\n  - {name: m1, address: 127.0.0.1, role: master, first: true}\n  - {name: w1, address: 127.0.0.2, role: worker}\n`,
  );
  return f;
}

test('a typo in a flag or a command: one line naming it, a hint to the right help, exit 2 (not the whole help)', async (t) => {
  const flag = await cli(MAIN, ['run', 'hello', '--no-such-flag']);
  t.is(flag.code, 2);
  t.is(flag.stderr, "kubemend: unknown option '--no-such-flag'\nSee 'kubemend run --help' for usage.\n");
  t.is(flag.stdout, '');
  const near = await cli(MAIN, ['plan', 'hello', '-i', 'inv.yaml', '--limt', 'w1']);
  t.is(near.code, 2);
  t.regex(near.stderr, /^kubemend: unknown option '--limt'\n\(Did you mean --limit\?\)\nSee 'kubemend plan --help' for usage\.\n$/);
  const cmd = await cli(MAIN, ['frobnicate']);
  t.is(cmd.code, 2);
  t.is(cmd.stderr, "kubemend: unknown command 'frobnicate'\nSee 'kubemend --help' for usage.\n");
  const bad = await cli(MAIN, ['run', 'hello', '--concurrency', '0']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /^kubemend: option '--concurrency <n>' argument '0' is invalid\. must be a whole number >= 1\nSee 'kubemend run --help' for usage\.\n$/);
});

test('bare kubemend and kubemend help NOSUCH are usage errors (exit 2); kubemend help run and --help exit 0', async (t) => {
  const bare = await cli(MAIN, []);
  t.is(bare.code, 2);
  t.regex(bare.stderr, /^Usage: kubemend \[options\] \[command\]/);
  const nosuch = await cli(MAIN, ['help', 'nosuch']);
  t.is(nosuch.code, 2);
  t.is(nosuch.stderr, "kubemend: unknown command 'nosuch'\nSee 'kubemend --help' for usage.\n");
  const help = await cli(MAIN, ['help', 'run']);
  t.is(help.code, 0);
  t.regex(help.stdout, /^Usage: kubemend run \[options\] \[playbook\]/);
  t.is((await cli(MAIN, ['--help'])).code, 0);
});

test('exec: everything after the first operand is the remote command, options included (-- optional)', async (t) => {
  const r = await cli(FAKE_MAIN, ['exec', '-i', 'x', '--limit', 'w1', 'echo', '-a', '--limit', 'x']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'w1 | echo -a --limit x\n');
  const dashed = await cli(FAKE_MAIN, ['exec', '-i', 'x', '--limit', 'w1', '--', 'echo', '-n', 'hi']);
  t.is(dashed.code, 0, dashed.stderr);
  t.is(dashed.stdout, 'w1 | echo -n hi\n');
});

test('an empty --limit ("" or " , ") is an error, exit 2, nothing contacted: run, exec, plan, restore (issue 13)', async (t) => {
  const inv = testNetInventory();
  for (const limit of ['', ' , ']) {
    for (const args of [
      ['run', 'hello', '-i', inv, '--yes', '--limit', limit],
      ['run', 'rejoin-workers', '-i', inv, '--yes', '--limit', limit],
      ['plan', 'hello', '-i', inv, '--limit', limit],
      ['exec', '-i', inv, '--limit', limit, '--', 'uptime'],
      ['restore', '-i', inv, '--run', '20261129-052000-a1b2', '--limit', limit, '--state-dir', tmp()],
    ]) {
      const r = await cli(MAIN, args);
      t.is(r.code, 2, `${JSON.stringify(args)}: ${r.stderr}`);
      t.regex(r.stderr, /--limit .* names no host; give names, globs or groups \(--limit all for every host\)/, JSON.stringify(args));
      t.is(r.stdout, '', `${JSON.stringify(args)}: no plan printed, so no host was contacted`);
    }
  }
});

test('an exclusion that excludes nothing is fine: --limit "m1,w*,!w9" runs on m1 and every worker', async (t) => {
  const r = await cli(FAKE_MAIN, ['run', 'hello', '-i', 'x', '--yes', '--state-dir', tmp(), '--limit', 'm1,w*,!w9', '--log-format', 'json']);
  t.is(r.code, 0, r.stderr);
  const ran = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((e) => e.kind === 'host-end' && e.status === 'ok')
    .map((e) => e.host);
  t.deepEqual([...new Set(ran)].sort(), ['m1', 'w1', 'w2', 'w3', 'w4']);
});

test('out-of-range values, files and folders named on the command line, and empty phase selections are refused before any host is contacted', async (t) => {
  const inv = testNetInventory();
  const dir = tmp();
  const cases: Array<[string[], RegExp]> = [
    [['run', 'rejoin-workers', '-i', inv, '--yes', '--batch-size', '0'], /--batch-size: must be at least 1/],
    [['run', 'rejoin-workers', '-i', inv, '--yes', '--batch-size', '0%'], /--batch-size: must be above 0%/],
    [['run', 'rejoin-workers', '-i', inv, '--yes', '--max-failures', '200%'], /--max-failures: a percentage cannot exceed 100%/],
    [['run', 'recover', '-i', inv, '--yes', '--max-unavailable', '0'], /--max-unavailable: must be at least 1/],
    [['run', 'hello', '-i', inv, '--yes', '--plan', '/nonexistent.json'], /^kubemend: --plan \/nonexistent\.json: no such file or directory$/m],
    [['run', 'hello', '-i', inv, '--yes', '--plan', inv], /--plan .*inv\.yaml: not JSON/],
    [
      ['plan', 'hello', '-i', inv, '--out', '/nonexistent-dir/p.json'],
      /^kubemend: --out \/nonexistent-dir\/p\.json: cannot write in \/nonexistent-dir: no such file or directory$/m,
    ],
    [['plan', 'hello', '-i', inv, '--out', dir], /--out .*: is a folder/],
    [['run', 'hello', '-i', inv, '--yes', '--state-dir', `${inv}/runs`], /--state-dir .*inv\.yaml\/runs: .*inv\.yaml is not a folder/],
    [
      ['run', 'recover', '-i', inv, '--yes', '--only', 'etcd', '--from', 'workers'],
      /--from workers --only etcd: selects no phase; phases in order: facts\/shape, facts\/config, facts\/path, .* verify, cleanup\/old-pki$/m,
    ],
    [
      ['plan', 'hello', '-i', inv, '--only', 'hello/token', '--skip', 'hello'],
      /selects no phase; phases in order: hello\/token, hello\/masters, hello\/workers/,
    ],
    [['exec', '-i', inv, '--limit', 'all', '--timeout', '90', '--', 'uptime'], /--timeout 90: not a duration like 30s, 1m30s/],
  ];
  for (const [args, re] of cases) {
    const r = await cli(MAIN, args);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, re, args.join(' '));
    t.is(r.stdout, '', `${args.join(' ')}: nothing planned, no host contacted`);
  }
});

test('durations take the Go forms kubectl users type: exec --timeout 1m30s', async (t) => {
  const r = await cli(FAKE_MAIN, ['exec', '-i', 'x', '--limit', 'm1', '--timeout', '1m30s', '--', 'echo', 'ok']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'm1 | echo ok\n');
});

test('kubemend playbooks into a closed pipe ends quietly: no stack trace, exit 0 (issue 13)', async (t) => {
  for (let i = 0; i < 3; i++) {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [MAIN, 'playbooks'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy(); // the reader is gone before the first line (as `| head -0`)
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    t.is(r.stderr, '');
    t.is(r.code, 0);
  }
  const head = execFileSync('bash', ['-c', `set -o pipefail; '${process.execPath}' '${MAIN}' playbooks | head -1; echo "rc=$?"`], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.regex(head, /^facts +read-only .*\nrc=0\n$/);
});

test('doctor with every host unreachable: names them, state unknown (text and JSON), exit 1 (issue 13)', async (t) => {
  const inv = refusingInventory();
  const r = await cli(MAIN, ['doctor', '-i', inv]);
  t.is(r.code, 1, r.stderr);
  t.regex(r.stdout, /^could not reach: m1, w1$/m);
  t.regex(r.stdout, /^problems found \(unknown\):$/m);
  t.notRegex(r.stdout, /\(healthy\)/);
  const j = await cli(MAIN, ['doctor', '-i', inv, '--json']);
  t.is(j.code, 1, j.stderr);
  const d = JSON.parse(j.stdout).diagnosis;
  t.like(d, { healthy: false, state: 'unknown', unreachable: ['m1', 'w1'] });
});

test("docs/cli.md and plan --help agree on --state-dir: read for earlier runs' saved files, nothing written", async (t) => {
  const help = (await cli(MAIN, ['plan', '--help'])).stdout;
  const docs = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
  t.regex(help.replace(/\s+/g, ' '), /--state-dir <dir> where earlier runs are kept \(read for their backups and saved configs; a plan writes nothing there\)/);
  t.notRegex(docs, /--state-dir DIR \(ignored\)/);
  t.regex(docs, /`--state-dir DIR` is read, never written: recover looks there for the backups and saved configs of earlier runs/);
});
