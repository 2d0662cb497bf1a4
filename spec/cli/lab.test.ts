/** The CLI over REAL ssh on a 20-host lab (net 76): exec prints each host's own name; hello and facts run end to end; SIGINT stops exec and a run cleanly (the run resumable). */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJournal } from '../../lib/core/journal.js';
import { labDir, requireRoot, sharedLab } from '../helpers/lab.js';
import { MAIN, cli } from './run-cli.js';

const LAB = { hosts: 20, net: 76, dir: '/tmp/h-runner/lab' };

test.serial('exec over real ssh on 20 hosts prints each host its own name, prefixed with the host', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await sharedLab(LAB);
  const r = await cli(MAIN, ['exec', '-i', lab.inventoryPath, '--limit', 'all', '--', 'hostname']);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').sort();
  t.deepEqual(lines, lab.hosts.map((h) => `${h.name} | ${h.name}`).sort());
});

test.serial('exec: a failing host makes exit 1 and is named; --limit selects hosts; quoting survives', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await sharedLab(LAB);
  const r = await cli(MAIN, [
    'exec',
    '-i',
    lab.inventoryPath,
    '--limit',
    'h001,h002,h003',
    '--',
    'sh',
    '-c',
    'echo "it\'s $(hostname)"; [ "$(hostname)" != h002 ]',
  ]);
  t.is(r.code, 1);
  t.deepEqual(r.stdout.trim().split('\n').sort(), ["h001 | it's h001", "h002 | it's h002", "h003 | it's h003"]);
  t.regex(r.stderr, /h002 \| exit 1/);
  t.regex(r.stderr, /failed on 1 of 3 hosts: h002/);
});

test.serial('run hello over real ssh writes each host its name; facts reads it back; journal complete', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await sharedLab(LAB);
  const state = tempDir(join(tmpdir(), 'km-lab-'));
  const r = await cli(MAIN, ['run', 'hello', '-i', lab.inventoryPath, '--yes', '--state-dir', state]);
  t.is(r.code, 0, r.stderr + r.stdout);
  const check = await cli(MAIN, ['exec', '-i', lab.inventoryPath, '--limit', 'all', '--', 'cat', '/tmp/kubemend-hello']);
  t.deepEqual(check.stdout.trim().split('\n').sort(), lab.hosts.map((h) => `${h.name} | ${h.name}`).sort());
  const runId = /\(run (\S+)\)/.exec(r.stdout)![1];
  const events = readJournal(join(state, runId, 'journal.jsonl'));
  t.is(events.filter((e) => e.kind === 'host-end' && e.status === 'ok').length, 1 + 20);
  const f = await cli(MAIN, ['run', 'facts', '-i', lab.inventoryPath, '--state-dir', state]);
  t.is(f.code, 0, f.stderr);
  t.regex(f.stdout, /h007 \| facts\/host: hostname=h007 kubelet=(active|inactive) ca=(absent|[0-9A-F:]+)/);
});

test.serial('run facts (read-only, no plan pass any more) opens exactly one SSH connection per host', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await sharedLab(LAB);
  // sshd logs one "Accepted publickey" per authenticated connection
  const accepted = async () =>
    new Map(
      await Promise.all(
        lab.hosts.map(
          async (h) =>
            [h.name, Number((await lab.exec(h.name, ['sh', '-c', 'grep -c "Accepted publickey" /var/log/sshd.log || true'])).stdout.trim())] as const,
        ),
      ),
    );
  const before = await accepted();
  const r = await cli(MAIN, ['run', 'facts', '-i', lab.inventoryPath, '--state-dir', tempDir(join(tmpdir(), 'km-lab-'))]);
  t.is(r.code, 0, r.stderr);
  const after = await accepted();
  const made = lab.hosts.map((h) => `${h.name}:${after.get(h.name)! - before.get(h.name)!}`);
  t.deepEqual(
    made,
    lab.hosts.map((h) => `${h.name}:1`),
    'one connection per host',
  );
  t.is(r.stdout.match(/ \| facts\/host: hostname=/g)?.length, 20, 'each host read once');
});

test.serial('exec: SIGINT aborts running remote commands and exits 130', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await sharedLab(LAB);
  // a sleep of a duration unique to this process; the bracket keeps pgrep from matching itself
  const secs = String(1000 + (process.pid % 8999));
  const pattern = `sleep ${secs.slice(0, -1)}[${secs.slice(-1)}]`;
  const pids = async (h: string) => (await lab.exec(h, ['sh', '-c', `pgrep -f '${pattern}' || true`])).stdout.trim().split('\n').filter(Boolean);
  const r = await cli(MAIN, ['exec', '-i', lab.inventoryPath, '--limit', 'h001,h002', '--', 'sh', '-c', `sleep ${secs}; echo done`], {
    onSpawn: (child) => {
      void (async () => {
        for (let i = 0; i < 600 && (await pids('h001')).length === 0; i++) await new Promise((res) => setTimeout(res, 100));
        child.kill('SIGINT');
      })();
    },
  });
  // clean up what this test started (by pid), whatever the transport did with it
  for (const h of ['h001', 'h002']) {
    const left = await pids(h);
    if (left.length) {
      t.log(`${h}: remote processes still running after the abort: ${left.join(' ')} (transport: channel.signal did not reach them)`);
      await lab.exec(h, ['kill', ...left]);
    }
  }
  t.is(r.code, 130, r.stderr);
  t.regex(r.stderr, /SIGINT: starting no new work/);
  t.false(r.stdout.includes('done'), 'the remote commands did not run to their end');
});

test.serial('run: SIGINT mid-run over real ssh: exit 130, a whole journal, no host started after it, resume completes the rest', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await sharedLab(LAB);
  const state = tempDir(join(tmpdir(), 'km-lab-'));
  const file = `/tmp/kubemend-sigint-${process.pid}`;
  let sent = false;
  // workers 2 at a time, so most are still waiting when the first ends and the signal goes
  const r = await cli(MAIN, ['run', 'hello', '-i', lab.inventoryPath, '--yes', '--state-dir', state, '--concurrency', '2', '--hello-file', file], {
    onStdout: (text, child) => {
      if (!sent && /\| hello\/workers: ok/.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  t.is(r.code, 130, r.stderr + r.stdout);
  t.regex(r.stderr, /SIGINT: starting no new work/);
  const runId = /kubemend resume (\S+)/.exec(r.stderr)?.[1] ?? '';
  t.truthy(runId, 'the resume command is printed');
  const raw = readFileSync(join(state, runId, 'journal.jsonl'), 'utf8');
  t.true(raw.endsWith('\n'), 'no half-written last line');
  t.notThrows(() => {
    for (const l of raw.trim().split('\n')) JSON.parse(l);
  }, 'every journal line is whole JSON');
  const events = readJournal(join(state, runId, 'journal.jsonl'));
  t.deepEqual(
    events.map((e) => e.seq),
    events.map((_e, i) => i),
    'no event lost or repeated',
  );
  t.like(events.at(-1), { kind: 'run-end', status: 'interrupted', exitCode: 130 });
  const key = (e: any) => `${e.phase} ${e.host}`;
  const started = events.filter((e) => e.kind === 'host-start').map(key);
  t.deepEqual(
    events
      .filter((e) => e.kind === 'host-end')
      .map(key)
      .sort(),
    started.sort(),
    'every started host ended (finished or stopped)',
  );
  const workers = lab.hosts.length - 1;
  const before = started.filter((s) => s.startsWith('hello/workers')).length;
  t.true(before < workers, `no new host after the interrupt (${before} of ${workers} started)`);
  const r2 = await cli(MAIN, ['resume', runId, '--yes', '--state-dir', state]);
  t.is(r2.code, 0, r2.stderr + r2.stdout);
  const all = readJournal(join(state, runId, 'journal.jsonl'));
  const ok = all.filter((e) => e.kind === 'host-end' && e.status === 'ok' && e.phase === 'hello/workers').map((e: any) => e.host);
  t.is(new Set(ok).size, workers, 'every worker done after the resume');
  t.is(ok.length, new Set(ok).size, 'no worker done twice');
  const check = await cli(MAIN, ['exec', '-i', lab.inventoryPath, '--limit', 'all', '--', 'cat', file]);
  t.deepEqual(check.stdout.trim().split('\n').sort(), lab.hosts.map((h) => `${h.name} | ${h.name}`).sort());
  await cli(MAIN, ['exec', '-i', lab.inventoryPath, '--limit', 'all', '--', 'rm', '-f', file, `${file}.token`]);
});

test.serial(
  'exec: a host cut off the network mid-command is found dead by SSH keepalive (no hang until the 10 min command timeout), named, exit 1; the other host finishes',
  async (t) => {
    if (!requireRoot(t)) return;
    const lab = await sharedLab(LAB);
    const secs = String(20 + (process.pid % 9));
    // the bracket keeps pgrep (and the shell around it) from matching itself
    const pattern = `sleep ${secs.slice(0, -1)}[${secs.slice(-1)}]`;
    const running = async () => (await lab.exec('h005', ['sh', '-c', `pgrep -f '${pattern}' || true`])).stdout.trim() !== '';
    let cut: Promise<unknown> | undefined;
    try {
      const r = await cli(MAIN, ['exec', '-i', lab.inventoryPath, '--limit', 'h005,h006', '--', 'sh', '-c', `sleep ${secs}; echo done`], {
        onSpawn: () => {
          cut = (async () => {
            for (let i = 0; i < 300 && !(await running()); i++) await new Promise((res) => setTimeout(res, 100));
            return lab.lab(['fault', 'cut', 'h005']);
          })();
        },
      });
      t.is(((await cut) as { code: number }).code, 0, 'h005 was cut while its command ran');
      t.is(r.code, 1, r.stdout + r.stderr);
      t.regex(r.stdout, /^h006 \| done$/m, 'the other host ran to its end');
      t.notRegex(r.stdout, /^h005 \| done$/m);
      t.regex(r.stderr, /h005/, 'the cut host is named');
      t.notRegex(r.stderr, /timed out after 600000 ms/, 'found by keepalive, not by the command timeout');
      t.notRegex(r.stderr, /h005 \| error: connect to/, 'the connection was up when the cut came (a lost one, not a refused one)');
      t.log(r.stderr.trim().split('\n').slice(-3).join(' / '));
    } finally {
      await lab.lab(['fault', 'uncut', 'h005']);
      await lab.exec('h005', ['sh', '-c', `pkill -f '${pattern}' || true`]);
    }
  },
);

test.serial('run facts with a host cut off the network: the others report, the cut host is named, exit 1', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await sharedLab(LAB);
  const state = tempDir(join(tmpdir(), 'km-lab-'));
  const cut = await lab.lab(['fault', 'cut', 'h005']);
  t.is(cut.code, 0, cut.stderr);
  try {
    const r = await cli(MAIN, ['run', 'facts', '-i', lab.inventoryPath, '--state-dir', state]);
    t.is(r.code, 1, r.stderr);
    t.regex(r.stdout, /failed on 1 host:\n - h005: facts\/host: /, 'the failure in the recap');
    const ok = r.stdout.split('\n').filter((l) => / \| facts\/host: ok/.test(l));
    t.is(ok.length, 19);
  } finally {
    await lab.lab(['fault', 'uncut', 'h005']);
  }
});

test.after.always(async () => {
  // the file's own lab (net 76, no other file uses it) is taken down; not brought up just for that
  if (process.getuid?.() !== 0 || !existsSync(join(labDir(LAB.dir), 'hosts.json'))) return;
  await (await sharedLab(LAB).catch(() => undefined))?.down();
});
