/** Dry run: mutating steps are recorded and not sent; facts and reads run; captured values become placeholders used later. */
import test from 'ava';
import { buildPlan } from '../../lib/core/plan.js';
import { runPlaybook } from '../../lib/core/runner.js';
import { Secret } from '../../lib/shell/secret.js';
import type { Fact, Playbook } from '../../lib/core/types.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

const caExists: Fact<boolean> = { id: 'ca', argv: ['test', '-e', '/etc/kubernetes/pki/ca.crt'], parse: (_o, c) => c === 0 };

let wetRuns = 0;
const pb: Playbook = {
  name: 'dry',
  description: '',
  destructive: true,
  phases: [
    {
      id: 'tokens/create',
      title: 'token',
      hosts: (c) => c.hosts.filter((h) => h.first),
      strategy: { kind: 'serial' },
      async run(h) {
        if (!(await h.fact(caExists))) throw new Error('no CA');
        await h.read(['kubeadm', 'token', 'list']);
        await h.capture('join-token', async () => (await h.run(['kubeadm', 'token', 'create'])).stdout, { secret: true });
        await h.capture('ca-hash', async () => (await h.read(['sh', '-c', 'openssl x509 -pubkey | sha256sum'])).stdout.split(' ')[0]);
      },
    },
    {
      id: 'workers/rejoin',
      title: 'rejoin',
      hosts: (c) => c.hosts.filter((h) => h.role === 'worker'),
      strategy: { kind: 'parallel' },
      async run(h) {
        await h.fact(caExists);
        await h.fact(caExists); // cached
        await h.upload('/etc/kubernetes/x.conf', 'data', { mode: 0o600 });
        await h.run([
          'kubeadm',
          'join',
          'phase',
          'kubelet-start',
          h.inventory.controlPlaneEndpoint,
          '--token',
          h.get('join-token'),
          '--discovery-token-ca-cert-hash',
          `sha256:${h.get('ca-hash')}`,
        ]);
        await h.wet('patch node', async () => void wetRuns++, undefined);
      },
    },
  ],
};

test.serial('a dry run sends only facts and reads; mutating commands are recorded with placeholders', async (t) => {
  const fake = new FakeTransport().on('kubeadm token create', { stdout: 'abcdef.0123456789abcdef\n' }).on(/sha256sum/, { stdout: 'f00d  -\n' });
  const { plan, result } = await buildPlan({ playbook: pb, inventory: fakeInventory(1, 2), transport: fake, options: {} });
  t.is(result.exitCode, 0, JSON.stringify(result.failures));
  t.is(wetRuns, 0, 'wet actions do not run in a dry run');
  t.deepEqual(
    fake.calls.map((c) => `${c.host} ${c.command}`),
    [
      'm1 test -e /etc/kubernetes/pki/ca.crt',
      'm1 kubeadm token list',
      "m1 sh -c 'openssl x509 -pubkey | sha256sum'",
      'w1 test -e /etc/kubernetes/pki/ca.crt',
      'w2 test -e /etc/kubernetes/pki/ca.crt',
    ],
  );
  const w1 = plan.phases[1].hosts.find((h) => h.host === 'w1')!;
  t.deepEqual(
    w1.steps.map((s) => `${s.mutating ? '*' : ' '}${s.step} ${s.command}`),
    [
      ' fact test -e /etc/kubernetes/pki/ca.crt',
      '*upload upload /etc/kubernetes/x.conf mode 600 (4 bytes)',
      "*run kubeadm join phase kubelet-start 10.0.1.1:6443 --token '<join-token>' --discovery-token-ca-cert-hash 'sha256:<ca-hash>'",
      '*wet patch node',
    ],
  );
  const m1 = plan.phases[0].hosts[0];
  t.deepEqual(
    m1.steps.map((s) => s.command),
    [
      'test -e /etc/kubernetes/pki/ca.crt',
      'kubeadm token list',
      'kubeadm token create',
      '<join-token> (secret)',
      "sh -c 'openssl x509 -pubkey | sha256sum'",
      '<ca-hash>',
    ],
  );
});

test.serial('the same playbook for real sends everything, with the captured values', async (t) => {
  const fake = new FakeTransport().on('kubeadm token create', { stdout: 'abcdef.0123456789abcdef\n' }).on(/sha256sum/, { stdout: 'f00d  -\n' });
  let captured: unknown;
  const real: Playbook = {
    ...pb,
    phases: [
      ...pb.phases,
      {
        id: 'check',
        title: '',
        scope: 'cluster',
        async run(c) {
          captured = c.get('join-token');
        },
      },
    ],
  };
  const r = await runPlaybook({ playbook: real, inventory: fakeInventory(1, 1), transport: fake, options: {}, dryRun: false });
  t.is(r.exitCode, 0);
  t.true(wetRuns > 0, 'wet actions run in a real run');
  t.true(captured instanceof Secret);
  t.is((captured as Secret).reveal(), 'abcdef.0123456789abcdef');
  const join = fake.calls.find((c) => c.command.startsWith('kubeadm join'))!;
  t.is(join.command, "kubeadm join phase kubelet-start 10.0.1.1:6443 --token '<join-token>' --discovery-token-ca-cert-hash sha256:f00d");
  t.regex(join.wire, /--token abcdef\.0123456789abcdef /);
  t.truthy(fake.calls.find((c) => c.op === 'upload'));
});

test('a fact is cached per host per run and parse errors name the fact', async (t) => {
  const fake = new FakeTransport().on('hostname', { stdout: '' });
  const bad: Fact<string> = {
    id: 'hostname',
    argv: ['hostname'],
    parse: (o) => {
      if (!o) throw new Error('empty output');
      return o;
    },
  };
  const r = await runPlaybook({
    playbook: {
      name: 'f',
      description: '',
      destructive: false,
      phases: [
        {
          id: 'f',
          title: '',
          hosts: (c) => c.hosts,
          strategy: { kind: 'serial' },
          async run(h) {
            await h.fact(bad);
          },
        },
      ],
    },
    inventory: fakeInventory(1, 0),
    transport: fake,
    options: {},
    dryRun: true,
  });
  t.is(r.failures[0].error, 'fact hostname: empty output');
});
