/**
 * `kubemend prune` over real ssh on two lab hosts (net 67): run folders made under
 * /var/backups/kubemend on both hosts and in a state dir here; --dry-run changes nothing on either
 * side; --keep 1 --yes removes the older runs on both hosts and here, keeps the newest, the
 * unfinished run and any folder that is not a run, and journals the prune run.
 */
import test from 'ava';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { readJournal } from '../../lib/core/journal.js';
import { type Lab, requireRoot, sharedLab } from '../helpers/lab.js';
import { MAIN, cli } from '../cli/run-cli.js';

const LAB = { hosts: 2, net: 67, dir: '/tmp/h-prune/lab' };
const RUNS = ['20261101-080000-aaaa', '20261120-080000-bbbb', '20261208-080000-cccc'];
const FAILED = '20261001-080000-ffff';

test.after.always(async () => {
  if (process.getuid?.() !== 0) return;
  await (await sharedLab(LAB).catch(() => undefined))?.down();
});

const listing = async (lab: Lab, host: string) => (await lab.exec(host, ['sh', '-c', 'ls /var/backups/kubemend | sort'])).stdout.split('\n').filter(Boolean);

test.serial('prune --keep 1: the plan changes nothing; the run removes the older runs on every host and here, the rest stays', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await sharedLab(LAB);
  const names = lab.hosts.map((h) => h.name);
  for (const h of names) {
    const made = await lab.exec(h, [
      'sh',
      '-c',
      'rm -rf /var/backups/kubemend; for d in "$@"; do mkdir -p -m 0700 "/var/backups/kubemend/$d/etc-kubernetes/pki" && echo key > "/var/backups/kubemend/$d/etc-kubernetes/pki/ca.key"; done',
      'sh',
      ...RUNS,
      FAILED,
      'operator-notes',
    ]);
    t.is(made.code, 0, made.stderr);
  }
  mkdirSync('/tmp/h-prune', { recursive: true });
  const state = tempDir('/tmp/h-prune/state-');
  t.teardown(() => rmSync(state, { recursive: true, force: true }));
  for (const [id, status] of [...RUNS.map((r) => [r, 'done']), [FAILED, 'failed']] as const) {
    mkdirSync(join(state, id, 'backups'), { recursive: true });
    writeFileSync(
      join(state, id, 'journal.jsonl'),
      [
        { kind: 'run-start', seq: 0, ts: '2026-12-01T00:00:00Z', runId: id, playbook: 'recover', inventory: '/i.yaml', cluster: 'lab' },
        { kind: 'run-end', seq: 1, runId: id, status },
      ]
        .map((e) => JSON.stringify(e))
        .join('\n') + '\n',
    );
  }
  const all = [...RUNS, FAILED, 'operator-notes'].sort();

  const dry = await cli(MAIN, ['prune', '-i', lab.inventoryPath, '--keep', '1', '--state-dir', state, '--dry-run']);
  t.is(dry.code, 0, dry.stdout + dry.stderr);
  for (const h of names) {
    t.regex(dry.stdout, new RegExp(`${h}: remove ${RUNS[0]} \\(\\d+ KiB: etc-kubernetes\\); ${RUNS[1]}`));
    t.deepEqual(await listing(lab, h), all, `${h} unchanged by the plan`);
  }
  t.is(readdirSync(state).length, 4, 'nothing removed here by the plan');

  const r = await cli(MAIN, ['prune', '-i', lab.inventoryPath, '--keep', '1', '--state-dir', state, '--yes']);
  t.is(r.code, 0, r.stdout + r.stderr);
  for (const h of names) t.deepEqual(await listing(lab, h), [FAILED, RUNS[2], 'operator-notes'].sort(), h);
  const left = readdirSync(state).sort();
  t.deepEqual(
    left.filter((d) => d !== left.find((x) => !RUNS.includes(x) && x !== FAILED)),
    [FAILED, RUNS[2]].sort(),
  );
  const own = left.find((x) => ![...RUNS, FAILED].includes(x))!;
  const events = readJournal(join(state, own, 'journal.jsonl'));
  t.like(events[0], { kind: 'run-start', playbook: 'prune', options: { keep: 1 } });
  t.like(events.at(-1), { kind: 'run-end', status: 'done' });
});
