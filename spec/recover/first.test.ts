/**
 * Issue 19: the master rebuilt first is the one the control-plane endpoint leads to, whatever the
 * inventory's order. The choice (playbooks/recover/first.ts) on every kind of endpoint: a master's
 * address, a name resolving to one master or several, a load balancer or VIP, masters that
 * disagree, a name that does not resolve, and a `first: true` that contradicts the endpoint
 * (refused, saying which master the endpoint leads to). Then recover planned and run against the
 * fake transport with the masters listed in reverse: step 0 says who goes first and why, every
 * first-master phase runs there, the waits go to that master's own apiserver, and a contradicting
 * `first: true` stops the run before anything changes with exit 2.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPlan } from '../../lib/core/plan.js';
import { parseOptions } from '../../lib/core/options.js';
import { runPlaybook } from '../../lib/core/runner.js';
import type { Inventory } from '../../lib/inventory/types.js';
import { parseGetentAhosts } from '../../lib/facts/endpoint.js';
import recover from '../../playbooks/recover.js';
import { type EndpointSeen, type MasterAddresses, chooseFirst } from '../../playbooks/recover/first.js';
import { kubectlOn } from '../../playbooks/shared/commands.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

/** Masters listed in reverse, as the issue's inventory: m3 (10.0.1.3), m2, m1 (10.0.1.1). */
const REVERSED: MasterAddresses[] = [3, 2, 1].map((i) => ({ name: `m${i}`, addresses: [`10.0.1.${i}`] }));

/** An endpoint every master resolves alike (or a literal address). */
function seen(endpoint: string, addresses: string[] | undefined, here?: string[] | 'unresolved'): EndpointSeen {
  const literal = /^[\d.]+:\d+$/.test(endpoint);
  return {
    endpoint,
    source: "the ClusterConfiguration's and the inventory's",
    literal,
    views: REVERSED.map((m) => ({
      master: m.name,
      resolution: addresses ? { addresses } : { addresses: [], error: "not found by the host's resolver (getent ahosts: exit 2)" },
    })),
    ...(here === undefined ? {} : { here: here === 'unresolved' ? { addresses: [], error: "not found by this machine's resolver" } : { addresses: here } }),
  };
}

test("a master's address: that master goes first whatever the order, and the reason says so", (t) => {
  const c = chooseFirst({ masters: REVERSED, endpoints: [seen('10.0.1.1:6443', ['10.0.1.1'])] });
  t.is(c.first, 'm1');
  t.is(c.refusal, undefined);
  t.is(c.leads[0]!.kind, 'master');
  t.regex(c.reason, /10\.0\.1\.1 is m1's address/);
  t.regex(c.reason, /the inventory lists m3 first/);
});

test('`first: true` on another master is refused, naming the master the endpoint leads to; on that master it is taken', (t) => {
  const bad = chooseFirst({ masters: REVERSED, endpoints: [seen('10.0.1.1:6443', ['10.0.1.1'])], firstGiven: 'm3' });
  t.is(bad.first, undefined);
  t.regex(bad.refusal!, /the inventory marks m3 `first: true`, but the control-plane endpoint 10\.0\.1\.1:6443 .*10\.0\.1\.1 is m1's address/);
  t.regex(bad.refusal!, /must be m1\. Remove `first: true` from m3 \(or put it on m1\); nothing was changed$/);
  const good = chooseFirst({ masters: REVERSED, endpoints: [seen('10.0.1.1:6443', ['10.0.1.1'])], firstGiven: 'm1' });
  t.is(good.first, 'm1');
  t.regex(good.reason, /m1 is marked `first: true` in the inventory/);
});

test("a name that resolves to one master on every master: that master; this machine's view is only reported", (t) => {
  const c = chooseFirst({ masters: REVERSED, endpoints: [seen('api.lab.test:6443', ['10.0.1.1'], 'unresolved')] });
  t.is(c.first, 'm1');
  t.regex(c.reason, /api\.lab\.test resolves to m1's address 10\.0\.1\.1 on every master/);
  t.true(
    c.notes.some((n) => /this machine does not resolve api\.lab\.test .*changes nothing/.test(n)),
    c.notes.join('\n'),
  );
  const elsewhere = chooseFirst({ masters: REVERSED, endpoints: [seen('api.lab.test:6443', ['10.0.1.1'], ['192.0.2.7'])] });
  t.is(elsewhere.first, 'm1', "the masters' view decides");
  t.true(elsewhere.notes.some((n) => /this machine resolves api\.lab\.test to 192\.0\.2\.7, not as the masters do/.test(n)));
});

test("a load balancer or VIP: any master, the inventory's first (or its `first: true`); a VIP held by a master is named", (t) => {
  const lb = chooseFirst({ masters: REVERSED, endpoints: [seen('10.0.0.2:6443', ['10.0.0.2'])] });
  t.is(lb.first, 'm3', 'the first master listed');
  t.is(lb.leads[0]!.kind, 'other');
  t.regex(lb.reason, /10\.0\.0\.2 is no master's address: a load balancer or a VIP, any master behind it can go first; m3 is the inventory's first master/);
  t.is(chooseFirst({ masters: REVERSED, endpoints: [seen('10.0.0.2:6443', ['10.0.0.2'])], firstGiven: 'm2' }).first, 'm2');
  const vip = chooseFirst({
    masters: REVERSED.map((m) => (m.name === 'm2' ? { ...m, interfaces: ['10.0.1.2', '10.0.0.100'] } : m)),
    endpoints: [seen('api.lab.test:6443', ['10.0.0.100'])],
  });
  t.is(vip.first, 'm3');
  t.true(
    vip.notes.some((n) => /10\.0\.0\.100 is held by m2 now \(a VIP\)/.test(n)),
    vip.notes.join('\n'),
  );
});

test('a name for several masters: one of them (inventory order); `first:` must be one of them', (t) => {
  const c = chooseFirst({ masters: REVERSED, endpoints: [seen('api.lab.test:6443', ['10.0.1.1', '10.0.1.2'])] });
  t.is(c.first, 'm2', 'm2 is listed before m1');
  t.is(c.leads[0]!.kind, 'masters');
  t.deepEqual(c.leads[0]!.masters, ['m2', 'm1']);
  const bad = chooseFirst({ masters: REVERSED, endpoints: [seen('api.lab.test:6443', ['10.0.1.1', '10.0.1.2'])], firstGiven: 'm3' });
  t.regex(bad.refusal!, /must be one of m2 and m1/);
  // a name for a master and a balancer: only the master is sure to be reached
  t.is(chooseFirst({ masters: REVERSED, endpoints: [seen('api.lab.test:6443', ['10.0.0.2', '10.0.1.2'])] }).first, 'm2');
});

test('masters that resolve the name to different masters, or not at all: refused, each view named', (t) => {
  const split: EndpointSeen = {
    ...seen('api.lab.test:6443', ['10.0.1.1']),
    views: REVERSED.map((m) => ({ master: m.name, resolution: { addresses: [m.addresses[0]!] } })),
  };
  const c = chooseFirst({ masters: REVERSED, endpoints: [split] });
  t.is(c.first, undefined);
  t.regex(
    c.refusal!,
    /resolve the control-plane endpoint api\.lab\.test:6443 .* to different masters \(on m3: m3's address 10\.0\.1\.3; on m2: m2's address 10\.0\.1\.2; on m1: m1's address 10\.0\.1\.1\)/,
  );
  const some: EndpointSeen = {
    ...seen('api.lab.test:6443', ['10.0.1.1']),
    views: REVERSED.map((m) => ({ master: m.name, resolution: m.name === 'm2' ? { addresses: [], error: 'not found' } : { addresses: ['10.0.1.1'] } })),
  };
  t.regex(chooseFirst({ masters: REVERSED, endpoints: [some] }).refusal!, /does not resolve on m2 \(not found\)/);
  t.regex(
    chooseFirst({ masters: REVERSED, endpoints: [seen('api.lab.test:6443', undefined)] }).refusal!,
    /does not resolve on m3 .*, m2 .*, m1 .*nothing was changed$/,
  );
});

test("the ClusterConfiguration's and the inventory's endpoints: both followed", (t) => {
  const cfg = { ...seen('10.0.0.2:6443', ['10.0.0.2']), source: "the ClusterConfiguration's" };
  const inv = { ...seen('10.0.1.1:6443', ['10.0.1.1']), source: "the inventory's" };
  t.is(chooseFirst({ masters: REVERSED, endpoints: [cfg, inv] }).first, 'm1', 'a balancer and m1: m1');
  const other = { ...seen('10.0.1.2:6443', ['10.0.1.2']), source: "the ClusterConfiguration's" };
  t.regex(
    chooseFirst({ masters: REVERSED, endpoints: [other, inv] }).refusal!,
    /10\.0\.1\.2:6443 \(the ClusterConfiguration's\) leads to m2, but 10\.0\.1\.1:6443 \(the inventory's\) leads to m1: no master is reached through both/,
  );
});

test("kubectl on a master asks its own apiserver with admin.conf's credentials and CA, checked as `kubernetes`", (t) => {
  t.deepEqual(kubectlOn({ address: '10.0.1.3' }, 'get', '--raw', '/readyz'), [
    'kubectl',
    '--kubeconfig',
    '/etc/kubernetes/admin.conf',
    '--server',
    'https://10.0.1.3:6443',
    '--tls-server-name',
    'kubernetes',
    '--request-timeout=10s',
    'get',
    '--raw',
    '/readyz',
  ]);
  t.is(kubectlOn({ address: 'fd00::3' })[4], 'https://[fd00::3]:6443');
});

test('getent ahosts output: every address once, canonical', (t) => {
  t.deepEqual(
    parseGetentAhosts(
      '10.0.1.1        STREAM api.lab.test\n10.0.1.1        DGRAM  \n10.0.1.1        RAW    \n10.0.1.2        STREAM \nFE80::0:1       STREAM \n',
    ),
    ['10.0.1.1', '10.0.1.2', 'fe80::1'],
  );
  t.deepEqual(parseGetentAhosts(''), []);
});

// ---- recover planned and run against the fake transport

const CONFIG = fileURLToPath(new URL('../../inventory/kubeadm-config.yaml', import.meta.url));

/** fakeInventory(3, 1) with the masters listed m3, m2, m1 and a ClusterConfiguration whose endpoint is `endpoint`. */
function reversedInventory(endpoint: string, firstGiven?: string): Inventory {
  const inv = fakeInventory(3, 1, { controlPlaneEndpoint: endpoint });
  const dir = tempDir('/tmp/kubemend-first-');
  const cfg = join(dir, 'kubeadm-config.yaml');
  writeFileSync(cfg, readFileSync(CONFIG, 'utf8').replace(/controlPlaneEndpoint: .*/, `controlPlaneEndpoint: ${endpoint}`));
  const masters = inv.hosts
    .filter((h) => h.role === 'master')
    .reverse()
    .map((h) => ({ ...h, first: h.name === (firstGiven ?? 'm3') }));
  return { ...inv, hosts: [...masters, ...inv.hosts.filter((h) => h.role === 'worker')], kubeadmConfig: cfg, ...(firstGiven ? { firstGiven } : {}) };
}

/** The fake hosts: nothing of the PKI left (a full rebuild), the name api.lab.test -> m1. */
function fakeHosts(): FakeTransport {
  return new FakeTransport().on(/^getent ahosts api\.lab\.test$/, { stdout: '10.0.1.1        STREAM api.lab.test\n' });
}

/** The hosts a phase is planned on (its clean-up, planned as '(cluster)', left out). */
const hostsOf = (plan: { phases: Array<{ id: string; hosts: Array<{ host: string }> }> }, id: string) =>
  plan.phases
    .find((p) => p.id === id)
    ?.hosts.map((h) => h.host)
    .filter((h) => h !== '(cluster)') ?? [];

for (const [kind, endpoint, first] of [
  ["m1's address", '10.0.1.1:6443', 'm1'],
  ['a name for m1', 'api.lab.test:6443', 'm1'],
  ['a load balancer', '10.0.0.2:6443', 'm3'],
] as const) {
  test(`plan, masters listed in reverse, endpoint ${kind}: ${first} goes first, said in step 0's note; waits go to ${first}'s own apiserver`, async (t) => {
    const fake = fakeHosts();
    const { plan, result } = await buildPlan({
      playbook: recover,
      inventory: reversedInventory(endpoint),
      transport: fake,
      options: parseOptions(recover.options, {}, 'recover'),
      stateDir: tempDir('/tmp/kubemend-first-state-'),
    });
    t.is(result.exitCode, 0, JSON.stringify(result.failures));
    const notes = (plan.phases.find((p) => p.id === 'facts/endpoint')?.notes ?? []).join('\n');
    t.regex(notes, new RegExp(`^first master: ${first}: `, 'm'), notes);
    for (const id of ['etcd/ca', 'etcd/healthy', 'first/control-plane', 'first/bootstrap-token']) t.deepEqual(hostsOf(plan, id), [first], id);
    // the joins run on the other masters (the join gate's etcd reads are planned on the first one)
    const joined = plan.phases
      .find((p) => p.id === 'others/join')!
      .hosts.filter((h) => h.steps.some((x) => /kubeadm join phase/.test(x.command)))
      .map((h) => h.host);
    t.deepEqual(
      joined,
      ['m3', 'm2', 'm1'].filter((m) => m !== first),
    );
    const firstIp = `10.0.1.${first.slice(1)}`;
    // the apiserver wait on the first master asks its own apiserver; only then the endpoint, before
    // bootstrap-token. Both are step 6's: step 5 only writes, so that eviction/pause-first pauses
    // the new controller-manager right after kubeadm wrote its manifest, before it can lead
    const steps = (id: string) => plan.phases.find((p) => p.id === id)!.hosts.flatMap((h) => h.steps.map((s) => s.command));
    t.false(
      steps('first/control-plane').some((c) => c.startsWith('wait: ')),
      steps('first/control-plane').join('\n'),
    );
    t.deepEqual(hostsOf(plan, 'eviction/pause-first'), [first], 'eviction paused on the first master, between steps 5 and 6');
    const six = steps('first/bootstrap-token');
    const own = six.findIndex((c) => c.startsWith(`wait: ${first}'s apiserver (https://${firstIp}:6443)`));
    const ep = six.findIndex((c) => c.startsWith(`wait: the control-plane endpoint ${endpoint} answers /readyz`));
    const bt = six.findIndex((c) => /kubeadm init phase bootstrap-token/.test(c));
    t.true(own >= 0 && own < ep && ep < bt, six.join('\n'));
    t.is(/3 times in a row/.test(six[ep]!), kind === 'a load balancer', six[ep]);
  });
}

test('a `first: true` that contradicts the endpoint: the run stops at step 0 with exit 2, nothing but reads sent', async (t) => {
  const fake = fakeHosts();
  const r = await runPlaybook({
    playbook: recover,
    inventory: reversedInventory('10.0.1.1:6443', 'm3'),
    transport: fake,
    options: {},
    dryRun: false,
    stateDir: tempDir('/tmp/kubemend-first-state-'),
    runDir: tempDir('/tmp/kubemend-first-run-'),
  });
  t.is(r.exitCode, 2);
  t.is(r.stoppedAt, 'facts/endpoint');
  t.true(r.failures[0]!.refused);
  t.regex(r.failures[0]!.error, /the inventory marks m3 `first: true`, but .*10\.0\.1\.1 is m1's address.*must be m1/);
  t.false(
    fake.calls.some((c) => c.op === 'upload'),
    'nothing uploaded',
  );
  const sent = fake.calls.filter((c) => c.op === 'run').map((c) => c.command);
  // kubeadm as a command (step 0's shape probe names /etc/kubernetes/kubeadm-config.yaml, a path it only tests for)
  t.false(
    sent.some((c) => /(^|[\s;&|(])kubeadm\s|crictl (stop|rm)|\bmv\b|rm -|tar /.test(c)),
    sent.join('\n'),
  );
});

test('on a path that rebuilds no master from a first one, a contradicting `first: true` is only a warning', async (t) => {
  const fake = fakeHosts();
  // every host holds the whole PKI of one CA, and the masters their kubeconfigs and manifests: nothing-to-do
  const files = ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'sa.key', 'sa.pub', 'etcd/ca.crt', 'etcd/ca.key']
    .map((f) => `file ${f}`)
    .join('\n');
  fake.on(/for f in ca\.crt etcd\/ca\.crt/, { stdout: `${files}\nfp ca.crt sha256 Fingerprint=AA:BB\nfp etcd/ca.crt sha256 Fingerprint=CC:DD\n` });
  const { plan, result } = await buildPlan({
    playbook: recover,
    inventory: reversedInventory('10.0.1.1:6443', 'm3'),
    transport: fake,
    options: parseOptions(recover.options, {}, 'recover'),
    stateDir: tempDir('/tmp/kubemend-first-state-'),
  });
  t.regex((plan.phases.find((p) => p.id === 'facts/path')?.notes ?? []).join('\n'), /path: nothing-to-do/);
  t.regex(
    (plan.phases.find((p) => p.id === 'facts/endpoint')?.notes ?? []).join('\n'),
    /the inventory marks m3 `first: true`, but .*This run \(path nothing-to-do\) rebuilds no master from a first one, so it goes on with m3/,
  );
  t.not(result.stoppedAt, 'facts/endpoint', JSON.stringify(result.failures));
});
