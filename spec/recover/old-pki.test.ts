/**
 * recover's step 18 on the replace-ca path (fake transport): with --purge-old-pki the run's host
 * folders (archives, the old /etc/kubernetes moved aside) and the pulled archives are removed, the
 * saved ClusterConfiguration kept; without it the run says where the old keys are and how to
 * remove them; --purge-old-pki without --replace-ca is refused before any host is contacted.
 */
import test from 'ava';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOptions } from '../../lib/core/options.js';
import { runPlaybook } from '../../lib/core/runner.js';
import { definePlaybook } from '../../lib/core/types.js';
import recover from '../../playbooks/recover.js';
import { PATH_DECISION, type PathDecision, type RecoverOptions, recoverOptions } from '../../playbooks/recover/common.js';
import { oldPkiPhase } from '../../playbooks/recover/18-old-pki.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

const RUN = '20261210-120000-abcd';

/** Step 18 after a path decision (what facts/path would have journaled), as a playbook of its own. */
function step18(path: PathDecision['path']) {
  return definePlaybook<RecoverOptions>({
    name: 'recover-step-18',
    description: 'test',
    destructive: true,
    options: recoverOptions,
    phases: [
      {
        id: 'facts/path',
        title: 'path',
        scope: 'cluster',
        async run(ctx) {
          ctx.shared.set(PATH_DECISION, { path, lost: [], staleWorkers: [], reason: 'test' } satisfies PathDecision);
        },
      },
      oldPkiPhase,
    ],
  });
}

function runFolder(): string {
  const dir = tempDir(join(tmpdir(), 'km-oldpki-'));
  mkdirSync(join(dir, 'backups'));
  for (const f of ['m1.tar.gz', 'm1.tar.gz.sha256', 'w1.tar.gz.enc', 'w1.tar.gz.sha256', 'ENCRYPTED.txt', 'kubeadm-config.yaml'])
    writeFileSync(join(dir, 'backups', f), 'x');
  return dir;
}

test("--purge-old-pki after a CA replacement: each host's run folder and the pulled archives removed, the saved config kept", async (t) => {
  const fake = new FakeTransport();
  const dir = runFolder();
  const logs: string[] = [];
  const r = await runPlaybook({
    playbook: step18('replace-ca'),
    inventory: fakeInventory(1, 1),
    transport: fake,
    options: { replaceCa: true, purgeOldPki: true },
    dryRun: false,
    runId: RUN,
    runDir: dir,
    sinks: [
      (e) => {
        if (e.kind === 'log') logs.push(e.message);
      },
    ],
  });
  t.is(r.exitCode, 0, JSON.stringify(r.failures));
  for (const h of ['m1', 'w1']) t.deepEqual(fake.commandsOn(h), [`rm -rf -- /var/backups/kubemend/${RUN}`], h);
  t.deepEqual(readdirSync(join(dir, 'backups')).sort(), ['ENCRYPTED.txt', 'kubeadm-config.yaml']);
  t.regex(logs.join('\n'), /removed the old PKI: \/var\/backups\/kubemend\/20261210-120000-abcd\/ on m1, w1 .*etc-kubernetes/);
});

test('without --purge-old-pki: nothing removed, the run says where the old keys are and how to remove them', async (t) => {
  const fake = new FakeTransport();
  const dir = runFolder();
  const logs: Array<{ level: string; message: string }> = [];
  const r = await runPlaybook({
    playbook: step18('replace-ca'),
    inventory: fakeInventory(1, 1),
    transport: fake,
    options: { replaceCa: true },
    dryRun: false,
    runId: RUN,
    runDir: dir,
    sinks: [
      (e) => {
        if (e.kind === 'log') logs.push({ level: e.level, message: e.message });
      },
    ],
  });
  t.is(r.exitCode, 0);
  t.is(fake.calls.length, 0);
  t.is(readdirSync(join(dir, 'backups')).length, 6);
  const warn = logs.find((l) => l.level === 'warn')?.message ?? '';
  t.regex(warn, /old CA's private keys \(compromised\) are still kept: \/var\/backups\/kubemend\/20261210-120000-abcd\/ on m1, w1/);
  t.regex(warn, new RegExp(`kubemend prune -i /tmp/fake-inventory.yaml --runs ${RUN}$`));
});

test('other paths skip step 18 (the PKI kept there is the current one); --purge-old-pki without --replace-ca is refused', async (t) => {
  const fake = new FakeTransport();
  const r = await runPlaybook({
    playbook: step18('full-rebuild'),
    inventory: fakeInventory(1, 1),
    transport: fake,
    options: {},
    dryRun: false,
    runId: RUN,
    runDir: runFolder(),
  });
  t.is(r.exitCode, 0);
  t.is(fake.calls.length, 0);
  t.throws(() => parseOptions(recover.options, { purgeOldPki: true }, 'recover'), { message: /--purge-old-pki: only with --replace-ca/ });
  t.notThrows(() => parseOptions(recover.options, { purgeOldPki: true, replaceCa: true }, 'recover'));
});
