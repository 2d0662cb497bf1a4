/**
 * `prune` without a lab: the plan lists what goes and why the rest stays and removes nothing;
 * the run removes exactly the selected runs on the hosts (one rm per host, only run-id folders
 * under /var/backups/kubemend) and on this machine (only this cluster's finished runs); the CLI
 * command plans, refuses without a rule, and with --yes removes.
 */
import test from 'ava';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPlan } from '../../lib/core/plan.js';
import { runPlaybook } from '../../lib/core/runner.js';
import prune from '../../playbooks/prune.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';
import { FAKE_MAIN, cli } from '../cli/run-cli.js';

const OLD = '20261101-080000-aaaa';
const MID = '20261120-080000-bbbb';
const NEW = '20261208-080000-cccc';
const FAILED = '20261001-080000-ffff';

/** A run folder on this machine with a journal (cluster, final status) and a pulled backup. */
function localRun(state: string, id: string, cluster: string, status?: 'done' | 'failed'): string {
  const dir = join(state, id);
  mkdirSync(join(dir, 'backups'), { recursive: true });
  writeFileSync(join(dir, 'backups', 'm1.tar.gz'), 'keys');
  const events = [
    { kind: 'run-start', seq: 0, ts: '2026-12-01T00:00:00Z', runId: id, playbook: 'recover', inventory: '/i.yaml', cluster },
    ...(status ? [{ kind: 'run-end', seq: 1, runId: id, status }] : []),
  ];
  writeFileSync(join(dir, 'journal.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return dir;
}

function stateDir(cluster: string): string {
  const state = tempDir(join(tmpdir(), 'km-prune-'));
  for (const id of [OLD, MID, NEW]) localRun(state, id, cluster, 'done');
  localRun(state, FAILED, cluster, 'failed');
  localRun(state, '20261002-080000-0000', 'another-cluster', 'done');
  mkdirSync(join(state, 'not-a-run'));
  return state;
}

/** The host listing: three runs, a failed one, and a folder that is no run. */
const LISTING = `${OLD}\t5120\tm1.tar.gz m1.tar.gz.sha256 etc-kubernetes \n${MID}\t4096\tm1.tar.gz \n${NEW}\t4096\tm1.tar.gz \n${FAILED}\t10\tm1.tar.gz \nlost+found\t4\t\n`;
const fakeHosts = () => new FakeTransport().on(/^sh -c 'cd \/var\/backups\/kubemend/, { stdout: LISTING });

test('the plan says what goes and why the rest stays, and changes nothing', async (t) => {
  const state = stateDir('fake');
  const fake = fakeHosts();
  const { plan, result } = await buildPlan({ playbook: prune, inventory: fakeInventory(1, 1), transport: fake, options: { keep: 1 }, stateDir: state });
  t.is(result.exitCode, 0, JSON.stringify(result.failures));
  const notes = plan.phases.find((p) => p.id === 'prune/decide')?.notes?.join('\n') ?? '';
  t.regex(
    notes,
    new RegExp(
      `m1: remove ${OLD} \\(5\\.0 MiB: m1\\.tar\\.gz, m1\\.tar\\.gz\\.sha256, etc-kubernetes\\); ${MID} \\(4\\.0 MiB: m1\\.tar\\.gz\\); keep ${NEW} \\(one of the 1 newest\\)`,
    ),
  );
  t.regex(notes, new RegExp(`${FAILED} \\(unfinished \\(failed\\): its backups may still be needed; --include-unfinished removes it\\)`));
  t.regex(notes, /lost\+found \(not a kubemend run id: left alone\)/);
  t.regex(notes, /this machine: 2 run folders of other clusters \(or without a journal\) left alone/);
  const rm = plan.phases
    .find((p) => p.id === 'prune/hosts')
    ?.hosts.find((h) => h.host === 'w1')
    ?.steps.map((s) => s.command);
  t.deepEqual(rm, [`rm -rf -- /var/backups/kubemend/${OLD} /var/backups/kubemend/${MID}`]);
  t.deepEqual(
    plan.phases.find((p) => p.id === 'prune/laptop')?.hosts[0]?.steps.map((s) => s.command),
    [`remove ${join(state, OLD)} (0 KiB)`, `remove ${join(state, MID)} (0 KiB)`],
  );
  t.false(
    fake.calls.some((c) => c.command.startsWith('rm')),
    'nothing removed on a host by the plan',
  );
  t.is(readdirSync(state).length, 6, 'nothing removed on this machine by the plan');
});

test("the run removes exactly the selected runs: one rm per host, this cluster's finished run folders here", async (t) => {
  const state = stateDir('fake');
  const fake = fakeHosts();
  const r = await runPlaybook({
    playbook: prune,
    inventory: fakeInventory(1, 2),
    transport: fake,
    options: { keep: 1 },
    dryRun: false,
    runId: '20261210-120000-1234',
    stateDir: state,
  });
  t.is(r.exitCode, 0, JSON.stringify(r.failures));
  for (const h of ['m1', 'w1', 'w2'])
    t.deepEqual(
      fake.commandsOn(h).filter((c) => c.startsWith('rm')),
      [`rm -rf -- /var/backups/kubemend/${OLD} /var/backups/kubemend/${MID}`],
      h,
    );
  t.deepEqual(readdirSync(state).sort(), [FAILED, '20261002-080000-0000', NEW, 'not-a-run'].sort());
  t.true(existsSync(join(state, NEW, 'backups', 'm1.tar.gz')));
});

test('--where hosts leaves this machine alone; --where laptop contacts no host; --runs names runs', async (t) => {
  const state = stateDir('fake');
  const fake = fakeHosts();
  await runPlaybook({
    playbook: prune,
    inventory: fakeInventory(1, 0),
    transport: fake,
    options: { runs: MID, where: 'hosts' },
    dryRun: false,
    stateDir: state,
  });
  t.deepEqual(
    fake.commandsOn('m1').filter((c) => c.startsWith('rm')),
    [`rm -rf -- /var/backups/kubemend/${MID}`],
  );
  t.true(existsSync(join(state, MID)));
  const quiet = fakeHosts();
  await runPlaybook({
    playbook: prune,
    inventory: fakeInventory(1, 0),
    transport: quiet,
    options: { runs: `${MID},${OLD}`, where: 'laptop' },
    dryRun: false,
    stateDir: state,
  });
  t.is(quiet.calls.length, 0, 'no host contacted');
  t.false(existsSync(join(state, MID)));
  t.false(existsSync(join(state, OLD)));
});

test('kubemend prune: refused without a rule (exit 2); --dry-run shows the plan; --yes removes and journals', async (t) => {
  const state = stateDir('fakeclu');
  const none = await cli(FAKE_MAIN, ['prune', '-i', 'x', '--state-dir', state, '--yes']);
  t.is(none.code, 2);
  t.regex(none.stderr, /say what to remove: --keep N, --older-than AGE or --runs/);
  const dry = await cli(FAKE_MAIN, ['prune', '-i', 'x', '--state-dir', state, '--older-than', '1d', '--keep', '2', '--dry-run']);
  t.is(dry.code, 0, dry.stderr);
  t.regex(dry.stdout, new RegExp(`this machine \\(${state}\\): remove ${OLD}`));
  t.is(readdirSync(state).length, 6);
  const run = await cli(FAKE_MAIN, ['prune', '-i', 'x', '--state-dir', state, '--older-than', '1d', '--keep', '2', '--yes']);
  t.is(run.code, 0, run.stderr);
  t.false(existsSync(join(state, OLD)));
  t.true(existsSync(join(state, MID)) && existsSync(join(state, NEW)) && existsSync(join(state, FAILED)));
  t.is(readdirSync(state).length, 6, "OLD removed, the prune run's own folder added");
});
