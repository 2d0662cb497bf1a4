/** Unit tests of the controller-manager's and scheduler's pure rules (no processes). */
import test from 'ava';
import { createHmac } from 'node:crypto';
import { parseDuration, parseFlags } from '../component-base/flags.js';
import { isEnabled } from './names.js';
import { evictionTime, desiredTaints, zoneState, unknownStatus } from './controllers/node-health.js';
import { approvalFor } from './controllers/csr-approving.js';
import { lifetimeSeconds } from './controllers/csr-signing.js';
import { signedData } from './controllers/bootstrap-signer.js';
import { shouldRun } from './controllers/daemonset.js';
import { detachedJws } from './jws.js';
import { RoundRobin } from '../scheduler/pick.js';
import { createCSR, newKey } from '../pki.js';
import type { KObject } from '../client/api.js';
import {
  type NodePods,
  budgetStatus,
  daemonPodsToReplace,
  deletionOrder,
  fenceposts,
  newRSReplicas,
  oldRSSizes,
  podAvailable,
  safeHash,
  sameTemplate,
  scaled,
  templateHash,
} from './rollout.js';
import { expectedScale } from './controllers/disruption.js';

const node = (name: string, ready: string, taints: any[] = [], labels: Record<string, string> = {}): KObject => ({
  metadata: { name, labels },
  spec: { taints },
  status: { conditions: [{ type: 'Ready', status: ready }] },
});

test('flags: kubeadm style --name=value, bare booleans, Go durations', (t) => {
  const f = parseFlags(
    ['--leader-elect', '--controllers=*,bootstrapsigner', '--kubeconfig', '/k.conf', '--node-monitor-grace-period=40s'],
    new Set(['leader-elect']),
  );
  t.is(f.get('leader-elect'), 'true');
  t.is(f.get('controllers'), '*,bootstrapsigner');
  t.is(f.get('kubeconfig'), '/k.conf');
  t.is(parseDuration('1m30s'), 90_000);
  t.is(parseDuration('500ms'), 500);
  t.is(parseDuration('8760h'), 8760 * 3_600_000);
  t.throws(() => parseDuration('10'), { message: /invalid duration/ });
  t.throws(() => parseDuration('10x'));
});

test('--controllers: *, aliases, -name, and controllers off by default', (t) => {
  t.true(isEnabled('node-lifecycle-controller', ['*']));
  t.false(isEnabled('node-lifecycle-controller', ['*', '-node-lifecycle-controller']));
  t.false(isEnabled('node-lifecycle-controller', ['*', '-nodelifecycle']), 'old alias');
  t.false(isEnabled('bootstrap-signer-controller', ['*']), 'off by default');
  t.true(isEnabled('bootstrap-signer-controller', ['*', 'bootstrapsigner', 'tokencleaner']));
  t.false(isEnabled('daemonset-controller', ['csrsigning']), 'no star: only the named ones');
  t.true(isEnabled('certificatesigningrequest-signing-controller', ['csrsigning']));
});

test('zone state: full disruption when no node is Ready, partial from 3 NotReady and 55%', (t) => {
  t.is(zoneState([node('a', 'True'), node('b', 'Unknown')]), 'Normal');
  t.is(zoneState([node('a', 'Unknown'), node('b', 'False')]), 'FullDisruption');
  t.is(zoneState([node('a', 'True'), node('b', 'Unknown'), node('c', 'Unknown')]), 'Normal', 'only 2 NotReady');
  t.is(zoneState([node('a', 'True'), node('b', 'Unknown'), node('c', 'Unknown'), node('d', 'Unknown')]), 'PartialDisruption');
  t.is(
    zoneState([node('a', 'True'), node('b', 'True'), node('c', 'Unknown'), node('d', 'Unknown'), node('e', 'Unknown'), node('f', 'True')]),
    'Normal',
    '50% < 55%',
  );
});

test('taints follow the Ready condition; NoExecute keeps its timeAdded; none in full disruption', (t) => {
  const n = node('w1', 'Unknown', [
    { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2026-01-01T00:00:00Z' },
    { key: 'custom', effect: 'NoSchedule' },
  ]);
  const want = desiredTaints(n, true);
  t.deepEqual(want.map((x) => `${x.key}:${x.effect}`).sort(), [
    'custom:NoSchedule',
    'node.kubernetes.io/unreachable:NoExecute',
    'node.kubernetes.io/unreachable:NoSchedule',
  ]);
  t.is(want.find((x) => x.effect === 'NoExecute')!.timeAdded, '2026-01-01T00:00:00Z');
  t.deepEqual(
    desiredTaints(n, false)
      .map((x) => x.effect)
      .sort(),
    ['NoSchedule', 'NoSchedule'],
  );
  t.deepEqual(
    desiredTaints(node('w1', 'False'), true).map((x) => x.key),
    ['node.kubernetes.io/not-ready', 'node.kubernetes.io/not-ready'],
  );
  t.deepEqual(desiredTaints(node('w1', 'True', [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }]), true), []);
});

test('conditions go Unknown with the real reasons', (t) => {
  const st = unknownStatus({
    metadata: { name: 'w1', creationTimestamp: '2026-01-01T00:00:00Z' },
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] },
  });
  const ready = st.conditions.find((c: any) => c.type === 'Ready');
  t.like(ready, { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
  t.like(
    st.conditions.find((c: any) => c.type === 'DiskPressure'),
    { status: 'Unknown', reason: 'NodeStatusNeverUpdated' },
  );
});

test('taint-based eviction time: default timeout, tolerationSeconds, forever, DaemonSet and mirror pods exempt', (t) => {
  const taints = [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' as const, timeAdded: '2026-01-01T00:00:00Z' }];
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const pod = (spec: any = {}, md: any = {}): KObject => ({ metadata: { name: 'p', ...md }, spec });
  t.is(evictionTime(pod(), taints, 30_000), t0 + 30_000);
  t.is(
    evictionTime(
      pod({ tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }] }),
      taints,
      30_000,
    ),
    t0 + 5000,
  );
  t.is(evictionTime(pod({ tolerations: [{ operator: 'Exists' }] }), taints, 30_000), undefined);
  t.is(
    evictionTime(pod({}, { ownerReferences: [{ kind: 'DaemonSet', controller: true, apiVersion: 'apps/v1', name: 'd', uid: 'u' }] }), taints, 30_000),
    undefined,
  );
  t.is(evictionTime(pod({}, { annotations: { 'kubernetes.io/config.mirror': 'x' } }), taints, 30_000), undefined);
});

test('CSR approver: bootstrap and self node client CSRs only; never serving, never a wrong subject', async (t) => {
  const key = await newKey();
  const csr = async (cn: string, orgs: string[], signer: string, usages: string[], username: string, groups: string[], dns?: string[]): Promise<KObject> => ({
    metadata: { name: 'c' },
    spec: { request: Buffer.from(await createCSR({ key, cn, orgs, dnsNames: dns })).toString('base64'), signerName: signer, usages, username, groups },
  });
  const client = 'kubernetes.io/kube-apiserver-client-kubelet';
  const cu = ['digital signature', 'key encipherment', 'client auth'];
  t.truthy(approvalFor(await csr('system:node:w1', ['system:nodes'], client, cu, 'system:bootstrap:abcdef', ['system:bootstrappers', 'system:authenticated'])));
  t.truthy(approvalFor(await csr('system:node:w1', ['system:nodes'], client, ['digital signature', 'client auth'], 'system:node:w1', ['system:nodes'])));
  t.falsy(approvalFor(await csr('system:node:w2', ['system:nodes'], client, cu, 'system:node:w1', ['system:nodes'])), 'a node renewing for another node');
  t.falsy(approvalFor(await csr('system:node:w1', ['system:masters'], client, cu, 'system:bootstrap:abcdef', ['system:bootstrappers'])));
  t.falsy(approvalFor(await csr('system:node:w1', ['system:nodes'], client, [...cu, 'server auth'], 'system:bootstrap:abcdef', ['system:bootstrappers'])));
  t.falsy(
    approvalFor(
      await csr(
        'system:node:w1',
        ['system:nodes'],
        'kubernetes.io/kubelet-serving',
        ['digital signature', 'key encipherment', 'server auth'],
        'system:node:w1',
        ['system:nodes'],
        ['w1'],
      ),
    ),
  );
  t.falsy(approvalFor(await csr('system:node:w1', ['system:nodes'], client, cu, 'kubernetes-admin', ['kubeadm:cluster-admins'])));
});

test('signed lifetime: expirationSeconds with a 10 minute floor, capped by --cluster-signing-duration', (t) => {
  const year = 8760 * 3_600_000;
  t.is(lifetimeSeconds({ metadata: { name: 'c' }, spec: {} }, year), 8760 * 3600);
  t.is(lifetimeSeconds({ metadata: { name: 'c' }, spec: { expirationSeconds: 60 } }, year), 600);
  t.is(lifetimeSeconds({ metadata: { name: 'c' }, spec: { expirationSeconds: 10 * 8760 * 3600 } }, year), 8760 * 3600);
});

test('bootstrap signer: one detached HS256 JWS per valid signing token; others and stale ones removed', (t) => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const tok = (id: string, secret: string, extra: Record<string, string> = {}): KObject => ({
    metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    data: Object.fromEntries(
      Object.entries({ 'token-id': id, 'token-secret': secret, 'usage-bootstrap-signing': 'true', ...extra }).map(([k, v]) => [k, b64(v)]),
    ),
  });
  const data = { kubeconfig: 'apiVersion: v1\n', 'jws-kubeconfig-gone00': 'x..y' };
  const out = signedData(data, [
    tok('abcdef', '0123456789abcdef'),
    tok('expire', '0123456789abcdef', { expiration: '2000-01-01T00:00:00Z' }),
    tok('nosign', '0123456789abcdef', { 'usage-bootstrap-signing': 'false' }),
    tok('BADID!', 'x'),
  ]);
  t.deepEqual(Object.keys(out).sort(), ['jws-kubeconfig-abcdef', 'kubeconfig']);
  const [h, , s] = out['jws-kubeconfig-abcdef'].split('.');
  t.is(
    s,
    createHmac('sha256', '0123456789abcdef')
      .update(`${h}.${Buffer.from('apiVersion: v1\n').toString('base64url')}`)
      .digest('base64url'),
  );
  t.is(detachedJws('x', 'abcdef', 's').split('.')[1], '');
});

test('daemonset placement: NoSchedule stops new pods only, NoExecute removes them, the daemon tolerations apply', (t) => {
  const ds: KObject = { metadata: { name: 'd' }, spec: { template: { spec: { containers: [] } } } };
  t.deepEqual(shouldRun(ds, node('w1', 'True')), { run: true, keep: true });
  t.deepEqual(
    shouldRun(
      ds,
      node('w1', 'Unknown', [
        { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
      ]),
    ),
    { run: false, keep: true },
  );
  t.deepEqual(shouldRun(ds, node('m1', 'True', [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }])), { run: false, keep: true });
  t.deepEqual(shouldRun(ds, node('w1', 'True', [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }])), { run: false, keep: false });
  t.deepEqual(
    shouldRun(ds, node('w1', 'True', [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }])),
    { run: true, keep: true },
    'cordoned nodes keep daemons',
  );
});

test('scheduler: round robin over Ready, untainted, matching nodes; the real unschedulable message', (t) => {
  const rr = new RoundRobin();
  const nodes = [
    node('w1', 'True'),
    node('w2', 'True'),
    node('w3', 'Unknown'),
    node('m1', 'True', [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]),
  ];
  const pod: KObject = { metadata: { name: 'p' }, spec: {} };
  const picks = [rr.choose(pod, nodes).node, rr.choose(pod, nodes).node, rr.choose(pod, nodes).node];
  t.deepEqual(picks, ['w1', 'w2', 'w1']);
  const picky: KObject = { metadata: { name: 'q' }, spec: { nodeSelector: { disk: 'ssd' } } };
  t.is(
    rr.choose(picky, nodes).message,
    "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 1 node(s) were not ready, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.",
  );
  const pinned: KObject = {
    metadata: { name: 'd' },
    spec: {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['w2'] }] }] },
        },
      },
    },
  };
  t.is(rr.choose(pinned, nodes).node, 'w2');
});

// --- workload controllers: the rules of pkg/controller/{deployment,daemon,disruption,replicaset} ---

const pod = (name: string, o: { ready?: boolean; node?: string; phase?: string; created?: string; hash?: string; since?: string } = {}): KObject => ({
  metadata: { name, creationTimestamp: o.created ?? '2026-01-01T00:00:00Z', labels: o.hash ? { 'controller-revision-hash': o.hash } : {} },
  spec: o.node ? { nodeName: o.node } : {},
  status: {
    phase: o.phase ?? 'Running',
    conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: o.since ?? '2026-01-01T00:00:00Z' }],
  },
});

test('intstr scaling: percentages round up or down, ints as they are; the fenceposts never both 0', (t) => {
  t.is(scaled('25%', 2, true), 1);
  t.is(scaled('25%', 2, false), 0);
  t.is(scaled('25%', 10, false), 2);
  t.is(scaled(3, 10, true), 3);
  t.is(scaled('3', 10, true), 3);
  t.throws(() => scaled('x%', 10, true), { message: /must be an int or a percentage/ });
  t.deepEqual(fenceposts('25%', '25%', 2), { surge: 1, unavailable: 0 }, 'the default on 2 replicas: one extra pod first, none down');
  t.deepEqual(fenceposts(0, 0, 4), { surge: 0, unavailable: 1 }, 'resolveFenceposts: both 0 becomes 1 unavailable');
  t.deepEqual(fenceposts('25%', 1, 2), { surge: 1, unavailable: 1 }, "CoreDNS' maxUnavailable 1");
});

test('deployment rolling update: the new ReplicaSet grows within maxSurge, old ones shrink while enough stay available', (t) => {
  // 2 desired, surge 1: the new one may reach 1 while the old has 2
  t.is(newRSReplicas(2, 1, 2, 0), 1);
  t.is(newRSReplicas(2, 1, 3, 1), 1, 'at the ceiling of 3 pods: no growth');
  t.is(newRSReplicas(2, 1, 2, 1), 2);
  t.is(newRSReplicas(2, 0, 3, 3), 2, 'never above desired');
  // maxUnavailable 0: the old loses one only once the new one's pod is available
  const old = [{ name: 'old', replicas: 2, available: 2 }];
  t.is(oldRSSizes({ desired: 2, unavailable: 0, old, newRS: { name: 'new', replicas: 1, available: 0 } }).get('old'), 2, 'new pod not available yet');
  t.is(oldRSSizes({ desired: 2, unavailable: 0, old, newRS: { name: 'new', replicas: 1, available: 1 } }).get('old'), 1);
  // unavailable old pods go first, whatever the budget of healthy ones
  t.is(
    oldRSSizes({ desired: 2, unavailable: 0, old: [{ name: 'old', replicas: 2, available: 1 }], newRS: { name: 'new', replicas: 1, available: 1 } }).get('old'),
    1,
  );
  // maxUnavailable 1 of 2 (CoreDNS): one old pod may go at once, before any new one is available
  t.is(oldRSSizes({ desired: 2, unavailable: 1, old, newRS: { name: 'new', replicas: 1, available: 0 } }).get('old'), 1);
});

test('replicaset scale-down order: unscheduled, pending, not ready, then the newest', (t) => {
  const ranked = [
    pod('ready-old', { node: 'n', created: '2026-01-01T00:00:00Z' }),
    pod('ready-new', { node: 'n', created: '2026-01-02T00:00:00Z' }),
    pod('unready', { node: 'n', ready: false }),
    pod('pending', { node: 'n', phase: 'Pending', ready: false }),
    pod('unscheduled', { phase: 'Pending', ready: false }),
  ]
    .sort(deletionOrder)
    .map((p) => p.metadata.name);
  t.deepEqual(ranked, ['unscheduled', 'pending', 'unready', 'ready-new', 'ready-old']);
});

test('daemonset rolling update: unavailable old pods go at once, available ones within maxUnavailable', (t) => {
  const nodes: NodePods[] = [
    { node: 'a', oldPod: pod('a-old', { hash: 'h1' }) },
    { node: 'b', oldPod: pod('b-old', { hash: 'h1' }) },
    { node: 'c', oldPod: pod('c-old', { hash: 'h1', ready: false }) },
    { node: 'd', newPod: pod('d-new', { hash: 'h2' }) },
  ];
  t.deepEqual(daemonPodsToReplace(nodes, 1), ['c-old'], 'the unavailable one uses up maxUnavailable 1');
  t.deepEqual(daemonPodsToReplace(nodes, 2), ['c-old', 'a-old']);
  t.deepEqual(
    daemonPodsToReplace([...nodes, { node: 'e', newPod: pod('e-new', { hash: 'h2', ready: false }) }], 2),
    ['c-old'],
    'a new pod not yet available counts as unavailable',
  );
  t.deepEqual(daemonPodsToReplace([{ node: 'a', newPod: pod('a', { hash: 'h2' }) }], 1), [], 'all updated');
  t.deepEqual(
    daemonPodsToReplace([{ node: 'a' }, { node: 'b', oldPod: pod('b-old', { hash: 'h1' }) }], 1),
    [],
    'a node whose pod was just deleted is unavailable: no second one goes',
  );
});

test("disruption budget: minAvailable of the pods, maxUnavailable of the controllers' scale; recent evictions do not count as healthy", (t) => {
  const now = Date.parse('2026-01-01T01:00:00Z');
  const pdb = (spec: any, status: any = {}): KObject => ({ metadata: { name: 'b', generation: 2 }, spec, status });
  const pods = [pod('p1'), pod('p2'), pod('p3', { ready: false })];
  let s = budgetStatus(pdb({ minAvailable: 1 }), pods, undefined, now).status;
  t.like(s, { observedGeneration: 2, expectedPods: 3, desiredHealthy: 1, currentHealthy: 2, disruptionsAllowed: 1 });
  t.like(s.conditions[0], { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' });
  s = budgetStatus(pdb({ maxUnavailable: 1 }), pods, 3, now).status;
  t.like(s, { expectedPods: 3, desiredHealthy: 2, currentHealthy: 2, disruptionsAllowed: 0 });
  t.like(s.conditions[0], { status: 'False', reason: 'InsufficientPods' });
  const failed = budgetStatus(pdb({ maxUnavailable: 1 }), pods, undefined, now);
  t.regex(failed.error!, /no controllers/);
  t.like(failed.status, { disruptionsAllowed: 0 });
  t.like(failed.status.conditions[0], { reason: 'SyncFailed' });
  // p1 was just evicted (the Eviction API recorded it): not healthy until it is gone or 2 min passed
  s = budgetStatus(pdb({ minAvailable: 1 }, { disruptedPods: { p1: '2026-01-01T00:59:30Z', gone: '2026-01-01T00:59:30Z' } }), pods, undefined, now).status;
  t.like(s, { currentHealthy: 1, disruptionsAllowed: 0 });
  t.deepEqual(s.disruptedPods, { p1: '2026-01-01T00:59:30Z' }, 'a pod that is gone leaves the map');
  s = budgetStatus(pdb({ minAvailable: 1 }, { disruptedPods: { p1: '2026-01-01T00:57:00Z' } }), pods, undefined, now).status;
  t.like(s, { currentHealthy: 2 }, 'an eviction not seen within 2 min no longer counts');
});

test('workload templates: the hash ignores pod-template-hash, changes with the restartedAt annotation', (t) => {
  const tpl = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
  const withHash = { metadata: { labels: { app: 'web', 'pod-template-hash': templateHash(tpl) } }, spec: tpl.spec };
  t.true(sameTemplate(tpl, withHash));
  const restarted = { ...tpl, metadata: { ...tpl.metadata, annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z' } } };
  t.false(sameTemplate(tpl, restarted));
  t.regex(templateHash(tpl), /^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
  t.is(safeHash({ b: 1, a: 2 }), safeHash({ a: 2, b: 1 }), 'key order does not matter');
  t.true(podAvailable(pod('x', { since: '2026-01-01T00:00:00Z' }), 30, Date.parse('2026-01-01T00:00:31Z')));
  t.false(podAvailable(pod('x', { since: '2026-01-01T00:00:00Z' }), 30, Date.parse('2026-01-01T00:00:10Z')));
});

test("a disruption budget over a Deployment counts the Deployment's replicas; a pod without a controller has no scale", (t) => {
  const d: KObject = { metadata: { name: 'web', uid: 'd1' }, spec: { replicas: 4 } };
  const rs: KObject = {
    metadata: { name: 'web-x', uid: 'r1', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd1', controller: true }] },
    spec: { replicas: 2 },
  };
  const owned = (name: string): KObject => ({
    ...pod(name),
    metadata: { ...pod(name).metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-x', uid: 'r1', controller: true }] },
  });
  t.is(expectedScale([owned('a'), owned('b')], [rs], [d], []), 4);
  t.is(expectedScale([owned('a')], [{ ...rs, metadata: { ...rs.metadata, ownerReferences: [] } }], [], []), 2, 'a ReplicaSet of its own');
  t.is(expectedScale([pod('bare')], [rs], [d], []), undefined);
});
