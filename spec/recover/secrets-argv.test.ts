/**
 * Issue 18 item 2, at the unit level: a real (not dry) run of recover's steps 1 and 7-8 against
 * the fake transport, whose hosts print a certificate key and a join token. Neither may reach any
 * host's command line (what `ps`, /proc/PID/cmdline and sudo's log show); both must reach kubeadm
 * through its config file (the command's stdin); step 8's control-plane-join carries no discovery
 * flag and no endpoint. The lab test spec/security/secrets-scan.test.ts checks the same on real hosts.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { runPlaybook } from '../../lib/core/runner.js';
import { definePlaybook, type ClusterPhase } from '../../lib/core/types.js';
import { configPhase } from '../../playbooks/recover/00-config.js';
import { cleanPhase } from '../../playbooks/recover/01-clean.js';
import { joinOthersPhase } from '../../playbooks/recover/08-join-others.js';
import { PATH_DECISION, type PathDecision, type RecoverOptions, recoverOptions } from '../../playbooks/recover/common.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

const KEY = '3f'.repeat(32);
const TOKEN = 'q1w2e3.r4t5y6u7i8o9p0a1';
const CONFIG = fileURLToPath(new URL('../../inventory/kubeadm-config.yaml', import.meta.url));

/** Every master lost: the full-rebuild path, as facts/path would decide it. */
const fullRebuild: ClusterPhase<RecoverOptions> = {
  id: 'facts/path',
  title: 'path',
  scope: 'cluster',
  async run(ctx) {
    const d: PathDecision = { path: 'full-rebuild', lost: ['m1', 'm2', 'm3'], staleWorkers: [], reason: 'test' };
    ctx.shared.set(PATH_DECISION, d);
  },
};

test('steps 1 and 7-8: the certificate key and the join token reach kubeadm only through its config file, never a command line', async (t) => {
  const fake = new FakeTransport()
    .on('kubeadm certs certificate-key', { stdout: `${KEY}\n` })
    .on(/^kubeadm token create /, { stdout: `${TOKEN}\n` })
    .on(/openssl dgst -sha256/, { stdout: 'f00d\n' })
    .on(/etcdctl member list|endpoint health/, {
      stdout: ['10.0.1.1', '10.0.1.2', '10.0.1.3'].map((a) => `https://${a}:2379 is healthy: successfully committed proposal: took = 1ms`).join('\n') + '\n',
    })
    .on(/^kubeadm version -o short$/, { stdout: 'v1.32.4\n' })
    // the join gate (join-gate.ts): one leader every member names, as etcdctl endpoint status -w json prints it
    .on(/endpoint status --cluster -w json/, {
      stdout: `[${[1, 2, 3].map((i) => `{"Endpoint":"https://10.0.1.${i}:2379","Status":{"header":{"member_id":${i}00,"raft_term":2},"leader":100,"raftTerm":2}}`).join(',')}]\n`,
    });
  const pb = definePlaybook<RecoverOptions>({
    name: 'recover-7-8',
    description: '',
    destructive: true,
    options: recoverOptions,
    phases: [configPhase, fullRebuild, cleanPhase, joinOthersPhase],
  });
  const inv = { ...fakeInventory(3, 0), kubeadmConfig: CONFIG };
  const r = await runPlaybook({ playbook: pb, inventory: inv, transport: fake, dryRun: false, options: { waitSeconds: 10 } });
  t.is(r.exitCode, 0, JSON.stringify(r.failures));

  const runs = fake.calls.filter((c) => c.op === 'run');
  for (const c of runs) {
    t.false(c.wire.includes(KEY), `certificate key on ${c.host}'s command line: ${c.command.slice(0, 200)}`);
    t.false(c.wire.includes(TOKEN) || c.wire.includes(TOKEN.split('.')[1]!), `join token on ${c.host}'s command line: ${c.command.slice(0, 200)}`);
  }
  for (const [path, content] of fake.files)
    t.false(content.toString().includes(KEY) || content.toString().includes(TOKEN), `a secret in the uploaded file ${path}`);

  const upload = runs.find((c) => c.host === 'm1' && c.wire.includes('kubeadm init phase upload-certs'));
  t.truthy(upload, 'upload-certs ran on m1');
  t.regex(upload!.wire, /kubeadm init phase upload-certs --upload-certs --skip-certificate-key-print --config "\$f"/);
  t.notRegex(upload!.wire, /--certificate-key/);
  t.regex(upload!.stdin ?? '', new RegExp(`^certificateKey: ${KEY}$`, 'm'), 'the key is in the InitConfiguration');
  t.regex(upload!.stdin ?? '', /kind: ClusterConfiguration/, "with the cluster's ClusterConfiguration");

  for (const m of ['m2', 'm3']) {
    const prepare = runs.find((c) => c.host === m && c.wire.includes('control-plane-prepare'));
    t.regex(prepare?.wire ?? '', /kubeadm join phase control-plane-prepare all --config "\$f"/, `${m}: control-plane-prepare with its config only`);
    const stdin = prepare?.stdin ?? '';
    t.regex(stdin, new RegExp(`token: ${TOKEN}`));
    t.regex(stdin, new RegExp(`certificateKey: ${KEY}`));
    t.regex(stdin, /caCertHashes:\n\s+- sha256:f00d/);
    const join = runs.find((c) => c.host === m && c.wire.includes('control-plane-join'));
    const addr = inv.hosts.find((h) => h.name === m)!.address;
    t.is(join?.command, `kubeadm join phase control-plane-join all --control-plane --node-name ${m} --apiserver-advertise-address ${addr}`);
  }
  t.is(runs.filter((c) => c.command.startsWith('kubeadm token create')).length, 1, 'one control-plane join token');
  t.regex(runs.find((c) => c.command.startsWith('kubeadm token create'))!.command, /--description 'kubemend run \S+: control-plane join \(steps 7-8\)'/);
});
