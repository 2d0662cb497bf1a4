/**
 * Unit tests of recover step 16's plan and the proof's credential row: which pods hold in-cluster
 * credentials (projected token, token Secret, the service-account mount path), which controller
 * restarts them (as `kubectl rollout restart`) and which go through the Eviction API, in which
 * order; pods made after the restart mark and pods without credentials are never in the plan;
 * `kubectl rollout status`'s judgement of Deployments, DaemonSets and StatefulSets.
 */
import test from 'ava';
import type { V1DaemonSet, V1Deployment, V1Pod, V1ReplicaSet, V1StatefulSet } from '@kubernetes/client-node';
import { planRestarts, restartGroup } from '../../playbooks/recover/restart-plan.js';
import { restartableOwner, usesInClusterCredentials } from '../../playbooks/recover/pods.js';
import { credentialRow } from '../../playbooks/recover/17-verify.js';
import { daemonSetRollout, deploymentRollout, rollsByItself, statefulSetRollout } from '../../lib/kube/rollout.js';

const MARK = Date.parse('2026-12-04T10:00:00Z');
const BEFORE = '2026-12-01T00:00:00Z';
const AFTER = '2026-12-04T10:05:00Z';
const projected = {
  name: 'kube-api-access-x2bcd',
  projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }, { configMap: { name: 'kube-root-ca.crt' } }] },
};
const SA_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

function pod(
  ns: string,
  name: string,
  o: { owner?: [string, string, string]; creds?: 'projected' | 'secret' | 'none' | 'unmounted'; created?: string; ready?: boolean; mirror?: boolean } = {},
): V1Pod {
  const creds = o.creds ?? 'projected';
  const volumes =
    creds === 'projected' || creds === 'unmounted' ? [projected] : creds === 'secret' ? [{ name: 'tok', secret: { secretName: 'legacy-token' } }] : [];
  const mounts =
    creds === 'projected' ? [{ name: projected.name, mountPath: SA_PATH }] : creds === 'secret' ? [{ name: 'tok', mountPath: '/var/run/secrets/lab' }] : [];
  return {
    metadata: {
      namespace: ns,
      name,
      uid: `${ns}-${name}`,
      creationTimestamp: (o.created ?? BEFORE) as unknown as Date,
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: o.owner[0], name: o.owner[1], uid: o.owner[2], controller: true }] } : {}),
      ...(o.mirror ? { annotations: { 'kubernetes.io/config.mirror': 'abc' } } : {}),
    },
    spec: { containers: [{ name: 'c', volumeMounts: mounts }], volumes },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}
const rs = (ns: string, name: string, uid: string, deployment?: string): V1ReplicaSet => ({
  metadata: {
    namespace: ns,
    name,
    uid,
    ...(deployment ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment, uid: `d-${deployment}`, controller: true }] } : {}),
  },
});
const SECRETS = new Set(['apps/legacy-token']);

test('in-cluster credentials: a mounted projected token, a mounted token Secret, anything at the service-account path; not an unmounted volume, not other Secrets', (t) => {
  t.true(usesInClusterCredentials(pod('apps', 'a'), SECRETS));
  t.true(usesInClusterCredentials(pod('apps', 'b', { creds: 'secret' }), SECRETS));
  t.false(usesInClusterCredentials(pod('apps', 'b', { creds: 'secret' }), new Set()), 'a Secret of another type');
  t.false(usesInClusterCredentials(pod('apps', 'c', { creds: 'none' }), SECRETS));
  t.false(usesInClusterCredentials(pod('apps', 'd', { creds: 'unmounted' }), SECRETS), 'the kubelet mounts only the volumes a container uses');
  const own = pod('apps', 'e', { creds: 'none' });
  own.spec!.containers[0].volumeMounts = [{ name: 'x', mountPath: SA_PATH }];
  t.true(usesInClusterCredentials(own, SECRETS));
});

test('the controller that restarts a pod: its Deployment through its ReplicaSet, its DaemonSet or StatefulSet; none for a ReplicaSet of its own, a Job, a bare pod', (t) => {
  const rss = new Map([
    ['r1', rs('apps', 'web-abc', 'r1', 'web')],
    ['r2', rs('apps', 'batch', 'r2')],
  ]);
  t.deepEqual(restartableOwner(pod('apps', 'w', { owner: ['ReplicaSet', 'web-abc', 'r1'] }), rss), { kind: 'Deployment', namespace: 'apps', name: 'web' });
  t.deepEqual(restartableOwner(pod('kube-system', 'kp', { owner: ['DaemonSet', 'kube-proxy', 'ds1'] }), rss), {
    kind: 'DaemonSet',
    namespace: 'kube-system',
    name: 'kube-proxy',
  });
  t.deepEqual(restartableOwner(pod('db', 'pg-0', { owner: ['StatefulSet', 'pg', 'ss1'] }), rss), { kind: 'StatefulSet', namespace: 'db', name: 'pg' });
  t.is(restartableOwner(pod('apps', 'b', { owner: ['ReplicaSet', 'batch', 'r2'] }), rss), undefined);
  t.is(restartableOwner(pod('apps', 'j', { owner: ['Job', 'nightly', 'j1'] }), rss), undefined);
  t.is(restartableOwner(pod('apps', 'bare'), rss), undefined);
});

test('the plan: kube-proxy and CoreDNS first and one at a time (proxy before DNS), then kube-system, then the rest; other pods evicted; new pods, mirror pods and pods without credentials left alone', (t) => {
  const pods = [
    pod('apps', 'web-abc-1', { owner: ['ReplicaSet', 'web-abc', 'r1'] }),
    pod('apps', 'web-abc-2', { owner: ['ReplicaSet', 'web-abc', 'r1'] }),
    pod('apps', 'web-abc-3', { owner: ['ReplicaSet', 'web-abc', 'r1'], created: AFTER }),
    pod('apps', 'batch-1', { owner: ['ReplicaSet', 'batch', 'r2'] }),
    pod('apps', 'probe-x', { owner: ['DaemonSet', 'sa-probe', 'ds2'], creds: 'secret' }),
    pod('apps', 'plain-x', { owner: ['DaemonSet', 'plain', 'ds3'], creds: 'none' }),
    pod('apps', 'bare'),
    pod('kube-system', 'coredns-abc-1', { owner: ['ReplicaSet', 'coredns-abc', 'r3'] }),
    pod('kube-system', 'kube-proxy-1', { owner: ['DaemonSet', 'kube-proxy', 'ds1'] }),
    pod('kube-system', 'metrics-server-abc-1', { owner: ['ReplicaSet', 'metrics-server-abc', 'r4'] }),
    pod('kube-system', 'etcd-m1', { mirror: true }),
  ];
  const rss = [
    rs('apps', 'web-abc', 'r1', 'web'),
    rs('apps', 'batch', 'r2'),
    rs('kube-system', 'coredns-abc', 'r3', 'coredns'),
    rs('kube-system', 'metrics-server-abc', 'r4', 'metrics-server'),
  ];
  const plan = planRestarts(pods, rss, SECRETS, MARK);
  t.deepEqual(
    plan.map((g) => [g.group, g.sequential]),
    [
      [0, true],
      [1, false],
      [2, false],
    ],
  );
  t.deepEqual(
    plan[0].controllers.map((c) => `${c.kind}/${c.name}`),
    ['DaemonSet/kube-proxy', 'Deployment/coredns'],
  );
  t.deepEqual(
    plan[1].controllers.map((c) => `${c.kind}/${c.name}`),
    ['Deployment/metrics-server'],
  );
  t.deepEqual(
    plan[2].controllers.map((c) => `${c.kind}/${c.name}:${c.pods.length}`),
    ['DaemonSet/sa-probe:1', 'Deployment/web:2'],
    'web-abc-3 was made after the mark',
  );
  t.deepEqual(
    plan[2].evictions.map((e) => `${e.name} (${e.why})`),
    ['bare (no controller: it will not come back)', 'batch-1 (ReplicaSet batch has no rollout restart)'],
  );
  const all = JSON.stringify(plan);
  for (const untouched of ['plain-x', 'etcd-m1', 'web-abc-3']) t.false(all.includes(untouched), `${untouched} is not in the plan`);
  t.deepEqual(
    planRestarts(pods, rss, SECRETS, MARK, (c) => (c.name === 'web' ? 'its Deployment is paused' : undefined))[2].evictions.map((e) => e.name),
    ['bare', 'batch-1', 'web-abc-1', 'web-abc-2'],
    'a paused Deployment: its pods are evicted',
  );
  t.is(restartGroup('kube-flannel', 'kube-flannel-ds'), 0, "a CNI's own namespace");
  t.is(restartGroup('kube-system', 'cilium-operator'), 0);
});

test('kubectl rollout status: generation observed, updated, old replicas gone, available; OnDelete and a passed progress deadline are errors', (t) => {
  const d = (gen: number, st: V1Deployment['status'], replicas = 2): V1Deployment => ({
    metadata: { name: 'web', generation: gen },
    spec: { replicas, selector: {}, template: {} },
    status: st,
  });
  t.deepEqual(deploymentRollout(d(2, { observedGeneration: 1 })), { done: false, waiting: 'Waiting for deployment spec update to be observed...' });
  t.deepEqual(deploymentRollout(d(2, { observedGeneration: 2, updatedReplicas: 1, replicas: 3, availableReplicas: 2 })), {
    done: false,
    waiting: 'Waiting for deployment "web" rollout to finish: 1 out of 2 new replicas have been updated...',
  });
  t.deepEqual(deploymentRollout(d(2, { observedGeneration: 2, updatedReplicas: 2, replicas: 3, availableReplicas: 2 })), {
    done: false,
    waiting: 'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...',
  });
  t.deepEqual(deploymentRollout(d(2, { observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 1 })), {
    done: false,
    waiting: 'Waiting for deployment "web" rollout to finish: 1 of 2 updated replicas are available...',
  });
  t.deepEqual(deploymentRollout(d(2, { observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 2 })), { done: true });
  t.deepEqual(deploymentRollout(d(2, { observedGeneration: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] })), {
    done: false,
    error: 'deployment "web" exceeded its progress deadline',
  });
  const ds = (type: string, st: Partial<NonNullable<V1DaemonSet['status']>>): V1DaemonSet => ({
    metadata: { name: 'kube-proxy', generation: 3 },
    spec: { selector: {}, template: {}, updateStrategy: { type } },
    status: { currentNumberScheduled: 5, numberMisscheduled: 0, numberReady: 5, desiredNumberScheduled: 5, observedGeneration: 3, ...st },
  });
  t.deepEqual(daemonSetRollout(ds('RollingUpdate', { updatedNumberScheduled: 4, numberAvailable: 5 })), {
    done: false,
    waiting: 'Waiting for daemon set "kube-proxy" rollout to finish: 4 out of 5 new pods have been updated...',
  });
  t.deepEqual(daemonSetRollout(ds('RollingUpdate', { updatedNumberScheduled: 5, numberAvailable: 4 })), {
    done: false,
    waiting: 'Waiting for daemon set "kube-proxy" rollout to finish: 4 of 5 updated pods are available...',
  });
  t.deepEqual(daemonSetRollout(ds('RollingUpdate', { updatedNumberScheduled: 5, numberAvailable: 5 })), { done: true });
  t.true('error' in daemonSetRollout(ds('OnDelete', {})));
  t.false(rollsByItself('DaemonSet', ds('OnDelete', {})));
  t.false(rollsByItself('Deployment', { spec: { paused: true, selector: {}, template: {} } }));
  const ss: V1StatefulSet = {
    metadata: { name: 'pg', generation: 1 },
    spec: { replicas: 2, selector: {}, serviceName: 'pg', template: {}, updateStrategy: { type: 'RollingUpdate' } },
    status: { replicas: 2, observedGeneration: 1, readyReplicas: 2, updatedReplicas: 1, currentRevision: 'a', updateRevision: 'b' },
  };
  t.deepEqual(statefulSetRollout(ss), { done: false, waiting: 'waiting for statefulset rolling update to complete 1 pods at revision b...' });
  t.deepEqual(statefulSetRollout({ ...ss, status: { ...ss.status!, currentRevision: 'b', updatedReplicas: 2 } }), { done: true });
});

test('the proof row: every pod with credentials Ready and made after the restart mark; FAIL naming the ones that are not, or when step 16 never ran', (t) => {
  const ok = credentialRow([pod('apps', 'a', { created: AFTER }), pod('apps', 'plain', { creds: 'none' })], SECRETS, MARK);
  t.true(ok.ok, ok.detail);
  t.regex(ok.detail, /^1 pods, all Ready/);
  const stale = credentialRow(
    [pod('apps', 'a', { created: AFTER }), pod('kube-system', 'coredns-1'), pod('apps', 'b', { created: AFTER, ready: false })],
    SECRETS,
    MARK,
  );
  t.false(stale.ok);
  t.is(stale.detail, 'kube-system/coredns-1 (not restarted), apps/b (not Ready)');
  t.false(credentialRow([], SECRETS, undefined).ok);
});

test('the restart mark is a whole second the step waits past: a pod stamped in it was made by the step, one a second earlier was not', (t) => {
  const atMark = '2026-12-04T10:00:00Z';
  const justBefore = '2026-12-04T09:59:59Z';
  const row = credentialRow(
    [pod('kube-system', 'kube-proxy-new', { created: atMark }), pod('kube-system', 'kube-proxy-old', { created: justBefore })],
    SECRETS,
    MARK,
  );
  t.is(row.detail, 'kube-system/kube-proxy-old (not restarted)');
  const planned = planRestarts(
    [pod('kube-system', 'kube-proxy-new', { created: atMark }), pod('kube-system', 'kube-proxy-old', { created: justBefore })],
    [],
    SECRETS,
    MARK,
  );
  t.deepEqual(
    planned.flatMap((g) => [...g.controllers.flatMap((c) => c.pods), ...g.evictions.map((e) => e.name)]),
    ['kube-proxy-old'],
    'a resumed run does not restart again the pods its first pass made in the mark second',
  );
});
