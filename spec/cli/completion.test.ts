/**
 * Shell completion (issue 15): the candidates `kubemend __complete` gives (commands, options,
 * playbooks but not the hidden benchmark, phase ids, the inventory's host names in comma lists,
 * run ids, option values), and the bash, zsh and fish scripts driven for real in tmux: a Tab
 * completes a playbook, a phase id and a host name on the command line.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { complete } from '../../lib/cli/completion.js';
import { buildProgram } from '../../lib/cli/main.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';
import { pollUntil, sleep } from '../helpers/wait.js';
import { FAKE_MAIN, MAIN, ROOT, cli } from './run-cli.js';

const exec = promisify(execFile);
const tmp = () => tempDir(join(tmpdir(), 'km-compl-'));
const inv = fakeInventory(2, 3, { cluster: 'c' });
const deps = { loadInventory: async () => inv, selectHosts: () => inv.hosts, createTransport: () => new FakeTransport() };
const program = buildProgram(
  async () => deps,
  () => undefined,
);
const c = (...words: string[]) => complete(program, words, deps);

test('commands, options and playbooks (the benchmark hidden)', async (t) => {
  t.deepEqual(await c(''), ['playbooks', 'plan', 'run', 'resume', 'runs', 'exec', 'restore', 'doctor', 'inventory', 'prune', 'completion', 'help']);
  t.deepEqual(await c('re'), ['resume', 'restore']);
  t.deepEqual(await c('run', ''), ['facts', 'hello', 'recover', 'backup', 'rejoin-workers', 'check-certs', 'renew-certs', 'prune']);
  t.deepEqual(await c('run', 're'), ['recover', 'rejoin-workers', 'renew-certs']);
  t.true((await c('run', '--')).includes('--limit'));
  t.false((await c('run', '--')).includes('--count'), "the benchmark's option is hidden");
  t.deepEqual(await c('run', 'recover', '--log-format', ''), ['text', 'json']);
  t.deepEqual(await c('completion', ''), ['bash', 'zsh', 'fish']);
  t.deepEqual(await c('run', '-i', ''), ['__files__'], 'file names come from the shell');
  t.deepEqual(await c('runs', '--state-dir', ''), ['__dirs__']);
  t.deepEqual(await c('exec', '-i', 'x', 'uptime', '-'), [], "after exec's first operand: the remote command");
});

test('phase ids of the playbook on the line, parents included, in comma lists', async (t) => {
  t.deepEqual(await c('run', 'recover', '--only', 'workers'), ['workers', 'workers/rejoin']);
  t.deepEqual(await c('plan', 'renew-certs', '--from', 'renew/'), ['renew/facts', 'renew/masters', 'renew/health', 'renew/verify']);
  t.deepEqual(await c('run', 'recover', '--skip', 'etcd,etcd'), [], 'etcd given: its phases are not offered again');
  t.deepEqual(await c('run', 'recover', '--skip=api/r'), ['--skip=api/restart-pods']);
  t.deepEqual(await c('run', '--only', ''), [], 'no playbook yet: no phase ids');
});

test("host names and groups from the inventory named on the line, in comma lists and after '!'", async (t) => {
  t.deepEqual(await c('run', 'hello', '-i', 'inv.yaml', '--limit', 'w'), ['workers', 'w1', 'w2', 'w3']);
  t.deepEqual(await c('exec', '-i', 'inv.yaml', '-l', 'w1,w'), ['w1,workers', 'w1,w2', 'w1,w3']);
  t.deepEqual(await c('run', 'hello', '-i', 'inv.yaml', '--limit', 'workers,!w'), ['workers,!w1', 'workers,!w2', 'workers,!w3']);
  t.deepEqual(await c('run', 'hello', '--limit', 'm'), ['masters'], 'no inventory on the line: the groups');
});

test('run ids from the state folder on the line: resume offers the unfinished ones, newest first', async (t) => {
  const state = tmp();
  const ok = await cli(FAKE_MAIN, ['run', 'hello', '-i', 'x', '--yes', '--state-dir', state]);
  const bad = await cli(FAKE_MAIN, ['run', 'hello', '-i', 'x', '--yes', '--state-dir', state], { env: { FAKE_FAIL: 'w1' } });
  const id = (r: { stdout: string }) => /^recap: run (\S+) /m.exec(r.stdout)![1]!;
  t.deepEqual(await c('resume', '--state-dir', state, ''), [id(bad)]);
  t.deepEqual(await c('restore', '--state-dir', state, '--run', ''), [id(bad), id(ok)]);
  t.deepEqual(await c('run', '--state-dir', state, '--resume', ''), [id(bad)]);
});

// ---- the scripts in real shells, in tmux ----

const SOCK = `kubemend-compl-${process.pid}`;
const tmux = async (...args: string[]) => (await exec('tmux', ['-L', SOCK, '-f', '/dev/null', ...args], { env: { ...process.env, LANG: 'C.UTF-8' } })).stdout;
test.after.always(async () => {
  await tmux('kill-server').catch(() => undefined);
});

/** A `kubemend` on PATH (the CLI from source) and an inventory with distinct host names. */
function setup(): { bin: string; inventory: string } {
  const dir = tmp();
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'kubemend'), `#!/bin/sh\nexec '${process.execPath}' '${MAIN}' "$@"\n`);
  chmodSync(join(bin, 'kubemend'), 0o755);
  writeFileSync(join(dir, 'known_hosts'), '');
  const inventory = join(dir, 'inv.yaml');
  writeFileSync(
    inventory,
    `cluster: c\ncontrolPlaneEndpoint: 192.0.2.1:6443\nssh:\n  knownHosts: ${join(dir, 'known_hosts')}\nhosts:\n  - {name: alpha1, address: 192.0.2.1, role: master, first: true}\n  - {name: beta7, address: 192.0.2.2, role: worker}\n`,
  );
  return { bin, inventory };
}

/** Type `typed` in the shell, press Tab, and wait until the line shows `want`; then clear the line. */
async function tabTo(pane: string, typed: string, want: string): Promise<void> {
  await tmux('send-keys', '-t', pane, '-l', typed);
  await sleep(300);
  await tmux('send-keys', '-t', pane, 'Tab');
  try {
    await pollUntil(`"${typed}" + Tab -> "${want}"`, async () => (await tmux('capture-pane', '-p', '-t', pane)).includes(want), 60_000, 300);
  } finally {
    await tmux('send-keys', '-t', pane, 'C-u');
    await sleep(200);
  }
}

const SHELLS: Record<string, { start: string; load: string }> = {
  bash: { start: 'bash --norc --noprofile', load: 'source <(kubemend completion bash)' },
  zsh: { start: 'zsh -f', load: 'autoload -Uz compinit && compinit -u && source <(kubemend completion zsh)' },
  fish: { start: 'fish --no-config', load: 'kubemend completion fish | source' },
};

for (const [shell, s] of Object.entries(SHELLS)) {
  test.serial(`${shell} in tmux: Tab completes a playbook, a phase id and a host name from the inventory`, async (t) => {
    const { bin, inventory } = setup();
    const pane = `c-${shell}`;
    await tmux('new-session', '-d', '-s', pane, '-x', '200', '-y', '40', '-c', ROOT, `env PATH=${bin}:${process.env.PATH} ${s.start}`);
    await sleep(500);
    // the quotes keep the typed line from matching: only the echo's output does
    await tmux('send-keys', '-t', pane, '-l', `${s.load}; echo LOAD''ED`);
    await tmux('send-keys', '-t', pane, 'Enter');
    await pollUntil('the completion script loaded', async () => /^LOADED$/m.test(await tmux('capture-pane', '-p', '-t', pane)), 60_000, 300);
    await tabTo(pane, 'kubemend run rejoin-w', 'kubemend run rejoin-workers');
    await tabTo(pane, 'kubemend plan recover --only workers/rej', 'kubemend plan recover --only workers/rejoin');
    await tabTo(pane, `kubemend exec -i ${inventory} --limit be`, `--limit beta7`);
    t.pass();
  });
}
