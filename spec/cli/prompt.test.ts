/**
 * The prompts driven for real in a pseudo-terminal (tmux): on a 1+3 lab (net 96) whose three
 * workers lost their kubelet credentials, `run rejoin-workers` without --limit shows a checkbox;
 * two workers are ticked, the cluster name typed; exactly those two are rejoined, the third
 * stays as it was. The same run shows the live progress and ends with the recap and run id.
 * Without a terminal, a subset command without --limit exits 2 at once.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readJournal } from '../../lib/core/journal.js';
import { type Lab, requireRoot, sharedLab } from '../helpers/lab.js';
import { pollUntil, sleep } from '../helpers/wait.js';
import { MAIN, ROOT, cli } from './run-cli.js';

const LAB = { masters: 1, workers: 3, net: 96, dir: '/tmp/h-ux/lab' };
const KUBELET_CERT = '/var/lib/kubelet/pki/kubelet-client-current.pem';
const exec = promisify(execFile);
/** A tmux server of this test file alone (its own socket), so nothing else's sessions are touched. */
const SOCK = `kubemend-prompt-${process.pid}`;
const tmux = async (...args: string[]) => (await exec('tmux', ['-L', SOCK, '-f', '/dev/null', ...args], { env: { ...process.env, LANG: 'C.UTF-8' } })).stdout;
/** The whole pane, scrollback included. */
const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'km');

function testNetInventory(): string {
  const dir = tempDir(join(tmpdir(), 'km-prompt-'));
  writeFileSync(join(dir, 'known_hosts'), '');
  const f = join(dir, 'inv.yaml');
  // TEST-NET-1 addresses: never contacted, the command must stop before
  writeFileSync(
    f,
    `cluster: good\ncontrolPlaneEndpoint: 192.0.2.1:6443\nssh:\n  knownHosts: ${join(dir, 'known_hosts')}\nhosts:\n  - name: m1\n    address: 192.0.2.1\n    role: master\n    first: true\n  - name: w1\n    address: 192.0.2.2\n    role: worker\n`,
  );
  return f;
}

let labUp: Lab | undefined;
test.after.always(async () => {
  await tmux('kill-server').catch(() => undefined);
  await labUp?.down();
});

test.serial('without a terminal and without --limit: rejoin-workers, backup and exec exit 2 at once, naming --limit; no host contacted', async (t) => {
  const inv = testNetInventory();
  for (const args of [
    ['run', 'rejoin-workers', '-i', inv],
    ['run', 'backup', '-i', inv],
    ['exec', '-i', inv, '--', 'uptime'],
  ]) {
    const r = await cli(MAIN, args);
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, /acts on the hosts you choose, and there is no terminal to choose them on .*pass --limit HOSTS/, args.join(' '));
    t.is(r.stdout, '', `${args.join(' ')}: no plan, so no host was contacted`);
  }
});

/** Which workers the checkbox shows ticked (`◉ w1 ...`), once all three are drawn. */
async function ticked(): Promise<Map<string, boolean>> {
  return pollUntil(
    'the checkbox with w1, w2, w3',
    async () => {
      const s = await screen();
      const m = new Map<string, boolean>();
      for (const x of s.matchAll(/([◉◯]) (w[123]) +Node (\S+) +kubelet cert (\S+)/g)) m.set(x[2], x[1] === '◉');
      return m.size === 3 ? m : undefined;
    },
    60_000,
    300,
  );
}

const fileSha = async (lab: Lab, host: string) => {
  const r = await lab.exec(host, ['sh', '-c', `[ -f ${KUBELET_CERT} ] && sha256sum < ${KUBELET_CERT} || echo absent`]);
  return r.stdout.trim();
};

test.serial(
  'in tmux: tick w1 and w3 in the checkbox, type the cluster name: exactly those two rejoined, w2 untouched; progress drawn, recap with the run id',
  async (t) => {
    if (!requireRoot(t)) return;
    const lab = (labUp = await sharedLab(LAB));
    const before = new Map(await Promise.all(['w1', 'w2', 'w3'].map(async (w) => [w, await fileSha(lab, w)] as const)));
    const broke = await lab.lab(['break', 'worker-pki', '--hosts', 'w1,w2,w3']);
    t.is(broke.code, 0, broke.stderr);
    for (const w of ['w1', 'w2', 'w3']) t.is(await fileSha(lab, w), 'absent', `${w} lost its kubelet credentials`);
    const cluster = /^cluster:\s*(\S+)/m.exec(readFileSync(lab.inventoryPath, 'utf8'))![1];
    const state = tempDir('/tmp/h-ux/state-');
    mkdirSync(state, { recursive: true });

    const cmd = `cd ${ROOT} && ${process.execPath} ${MAIN} run rejoin-workers -i ${lab.inventoryPath} --state-dir ${state} --batch-size 1; echo "EXIT=$?"; sleep 600`;
    await tmux('new-session', '-d', '-s', 'km', '-x', '200', '-y', '50', cmd);
    await tmux('set-option', '-t', 'km', 'history-limit', '20000');

    // the checkbox: move with the arrow keys, toggle with space until exactly w1 and w3 are ticked
    const want = new Map([
      ['w1', true],
      ['w2', false],
      ['w3', true],
    ]);
    const shown = await ticked();
    t.log(
      `preselected: ${
        [...shown]
          .filter(([, v]) => v)
          .map(([k]) => k)
          .join(', ') || 'none'
      }`,
    );
    t.regex(await screen(), /-- workers \(3\) --/, 'hosts grouped by role');
    for (const [i, w] of ['w1', 'w2', 'w3'].entries()) {
      if (shown.get(w) !== want.get(w)) await tmux('send-keys', '-t', 'km', 'Space');
      if (i < 2) await tmux('send-keys', '-t', 'km', 'Down');
      await sleep(150);
    }
    await pollUntil(
      'w1 and w3 ticked, w2 not',
      async () => {
        const now = await ticked();
        return [...want].every(([w, v]) => now.get(w) === v);
      },
      10_000,
      200,
    );
    await tmux('send-keys', '-t', 'km', 'Enter');

    // the confirmation: type the cluster name
    await pollUntil('the confirmation prompt', async () => (await screen()).includes(`type the cluster name (${cluster}) to go on`), 120_000, 300);
    t.regex(await screen(), /^hosts: w1,w3$/m);
    await tmux('send-keys', '-t', 'km', '-l', cluster);
    await tmux('send-keys', '-t', 'km', 'Enter');

    // live progress while it runs, then the end
    let progress = '';
    const end = await pollUntil(
      'the run to end',
      async () => {
        const s = await screen();
        if (!progress && /· phase 1\/1 workers\/rejoin ·/.test(s) && /^ {2}w[13] +running +\S+$/m.test(s)) progress = s;
        return /^EXIT=\d+$/m.test(s) ? s : undefined;
      },
      240_000,
      250,
    );
    t.log(
      progress
        .split('\n')
        .filter((l) => /· phase|^ {2}(w\d|batch|\d+ done)/.test(l))
        .join('\n'),
    );
    t.regex(end, /^EXIT=0$/m, end.slice(-3000));
    t.truthy(progress, 'the live progress area was drawn during the run');
    t.regex(progress, /^ {2}\d+ done · \d+ running · \d+ pending · 0 failed$/m);
    t.regex(progress, /^ {2}batch [12]\/2: w[13]$/m);

    // the recap: a row per host and the run id with the resume command
    const runId = /^recap: run (\S+) done in \S+$/m.exec(end)?.[1];
    t.truthy(runId, end.slice(-2000));
    t.regex(end, /^HOST +DONE +FAILED +SKIPPED +DURATION +NOTE$/m);
    t.regex(end, /^w1 +1 +0 +0 +\S+$/m);
    t.regex(end, /^w3 +1 +0 +0 +\S+$/m);
    t.notRegex(end, /^w2 +\d/m, 'w2 is not in the run');
    t.regex(end, new RegExp(`^re-check with: kubemend resume ${runId} --state-dir ${state}$`, 'm'));

    // the lab: w1 and w3 have a new kubelet client cert and Ready Nodes; w2 still has none
    for (const w of ['w1', 'w3']) {
      const sha = await fileSha(lab, w);
      t.not(sha, 'absent', `${w} rejoined: kubelet client cert written by the TLS bootstrap`);
      t.not(sha, before.get(w), `${w}: a new certificate`);
    }
    t.is(await fileSha(lab, 'w2'), 'absent', 'w2 untouched: still without kubelet credentials');
    const events = readJournal(join(state, runId!, 'journal.jsonl'));
    const start = events.find((e) => e.kind === 'run-start');
    t.is(start?.kind === 'run-start' ? start.selection.limit : undefined, 'w1,w3', 'the choice is journaled as --limit (resume acts on the same hosts)');
    t.deepEqual(
      events
        .filter((e) => e.kind === 'host-end' && e.status === 'ok')
        .map((e) => (e as { host: string }).host)
        .sort(),
      ['w1', 'w3'],
    );
  },
);
