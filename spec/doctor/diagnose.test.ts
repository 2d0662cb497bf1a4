/** diagnose on tables of cluster facts: each lab scenario's facts give its findings and playbook. */
import test from 'ava';
import { diagnose } from '../../lib/doctor/diagnose.js';
import type { ClusterFacts, HostFacts } from '../../lib/doctor/types.js';
import { KUBELET_CLIENT, MASTER_CA_FILES } from '../../lib/facts/index.js';

const NOW = '2026-11-29T07:00:00Z';
const YEAR = '2027-11-29T07:00:00Z';
const CA = 'AA:AA';
const OLD = 'BB:BB';
const pki = (ca: string | null) =>
  ca ? { present: [...MASTER_CA_FILES], ca, etcdCa: 'EE', complete: true } : { present: [], ca: null, etcdCa: null, complete: false };
const wpki = (ca: string | null) => ({ present: ca ? ['ca.crt'] : [], ca, etcdCa: null, complete: false });
function master(name: string, ca: string | null, expires = YEAR): HostFacts {
  const files = ca
    ? [
        { path: '/etc/kubernetes/pki/apiserver.crt', expires, ca, chain: 'ok' as const },
        { path: '/etc/kubernetes/kubelet.conf', expires: YEAR, ca, chain: 'ok' as const },
      ]
    : [];
  return { name, role: 'master', pki: pki(ca), kubelet: true, files, node: { ready: true } };
}
function worker(name: string, ca: string | null, creds: boolean): HostFacts {
  const files = creds
    ? [
        { path: KUBELET_CLIENT, expires: YEAR, ca, chain: 'ok' as const },
        { path: '/etc/kubernetes/kubelet.conf', expires: YEAR, ca, chain: 'ok' as const },
      ]
    : [];
  return { name, role: 'worker', pki: wpki(ca), kubelet: true, files, node: { ready: true } };
}
const cluster = (hosts: HostFacts[], over: Partial<ClusterFacts> = {}): ClusterFacts => ({
  hosts,
  etcd: { healthy: ['a', 'b', 'c'], unhealthy: [] },
  api: 'ok',
  now: NOW,
  ...over,
});
const healthyHosts = () => [master('m1', CA), master('m2', CA), master('m3', CA), worker('w1', CA, true), worker('w2', CA, true), worker('w3', CA, true)];

const text = (f: ClusterFacts) =>
  diagnose(f)
    .findings.map((x) => x.message)
    .join('\n');

test('healthy: no problem, no playbook, and a note that ca-compromised looks the same', (t) => {
  const d = diagnose(cluster(healthyHosts()));
  t.true(d.healthy);
  t.is(d.state, 'healthy');
  t.deepEqual(d.recommendations, []);
  t.regex(text(cluster(healthyHosts())), /ca-compromised/);
});

test('pki-wipe: every master without PKI, workers on the old CA: recover', (t) => {
  const f = cluster([master('m1', null), master('m2', null), master('m3', null), worker('w1', OLD, true), worker('w2', OLD, true), worker('w3', OLD, true)], {
    etcd: null,
    api: 'unreachable',
  });
  const d = diagnose(f);
  t.false(d.healthy);
  t.is(d.state, 'pki-wipe');
  t.regex(text(f), /masters m1-m3 have no PKI/);
  t.regex(text(f), /workers w1-w3 trust a CA that no master has/);
  t.deepEqual(
    d.recommendations.map((r) => r.playbook),
    ['recover'],
  );
});

test('pki-wipe-one: one master without PKI: recover', (t) => {
  const hosts = healthyHosts();
  hosts[1] = master('m2', null);
  const d = diagnose(cluster(hosts));
  t.is(d.state, 'pki-wipe-one');
  t.regex(text(cluster(hosts)), /master m2 has no PKI/);
  t.deepEqual(
    d.recommendations.map((r) => r.playbook),
    ['recover'],
  );
});

test('worker-pki: workers without kubelet credentials: rejoin-workers limited to them', (t) => {
  const hosts = healthyHosts();
  hosts[3] = worker('w1', CA, false);
  hosts[5] = worker('w3', OLD, true);
  const d = diagnose(cluster(hosts));
  t.is(d.state, 'worker-pki');
  t.regex(text(cluster(hosts)), /worker w1 has no kubelet credentials/);
  t.regex(text(cluster(hosts)), /worker w3 trusts a CA that no master has/);
  t.deepEqual(d.recommendations, [{ playbook: 'rejoin-workers', limit: ['w1', 'w3'], command: 'kubemend run rejoin-workers -i INVENTORY --limit w1,w3' }]);
});

test('expired: leaf certs past notAfter with a valid CA: renew-certs on those masters', (t) => {
  const hosts = healthyHosts();
  hosts[0] = master('m1', CA, '2026-11-01T00:00:00Z');
  const d = diagnose(cluster(hosts));
  t.is(d.state, 'expired');
  t.regex(text(cluster(hosts)), /1 certificate has expired on master m1: m1:\/etc\/kubernetes\/pki\/apiserver.crt/);
  t.deepEqual(
    d.recommendations.map((r) => [r.playbook, r.limit]),
    [['renew-certs', ['m1']]],
  );
});

test('lab expired: every master expired, API and etcd unreadable with them: renew-certs on every master, not recover', (t) => {
  const f = cluster(
    [master('m1', CA, '2026-10-30T00:00:00Z'), master('m2', CA, '2026-10-30T00:00:00Z'), master('m3', CA, '2026-10-30T00:00:00Z'), worker('w1', CA, true)],
    { etcd: null, api: 'unreachable' },
  );
  const d = diagnose(f);
  t.is(d.state, 'expired');
  t.regex(text(f), /3 certificates have expired on masters m1-m3: /);
  t.deepEqual(d.recommendations, [{ playbook: 'renew-certs', limit: ['m1', 'm2', 'm3'], command: 'kubemend run renew-certs -i INVENTORY --limit m1,m2,m3' }]);
});

test('an expired kubelet client cert on a worker: rejoin-workers for it, named with its role', (t) => {
  const hosts = healthyHosts();
  hosts[4] = { ...worker('w2', CA, true), files: [{ path: KUBELET_CLIENT, expires: '2026-11-01T00:00:00Z', ca: CA, chain: 'ok' }] };
  const f = cluster(hosts);
  t.regex(text(f), /1 certificate has expired on worker w2: w2:\/var\/lib\/kubelet/);
  t.deepEqual(
    diagnose(f).recommendations.map((r) => [r.playbook, r.limit]),
    [['rejoin-workers', ['w2']]],
  );
});

test('expiring soon is a warning with renew-certs; API down and unhealthy etcd are problems', (t) => {
  const hosts = healthyHosts();
  hosts[2] = master('m3', CA, '2026-12-10T00:00:00Z');
  const d = diagnose(cluster(hosts));
  t.false(d.healthy);
  t.is(d.findings[0]!.severity, 'warning');
  t.deepEqual(
    d.recommendations.map((r) => r.playbook),
    ['renew-certs'],
  );
  const f2 = cluster(healthyHosts(), { api: 'unreachable', etcd: { healthy: ['a'], unhealthy: ['https://10.94.0.3:2379'] } });
  t.regex(text(f2), /API unreachable/);
  t.regex(text(f2), /etcd members unhealthy: https:\/\/10.94.0.3:2379/);
});

test('hosts that could not be read: named, and the state is unknown unless what was read shows a fault (issue 13)', (t) => {
  const down = (name: string, role: 'master' | 'worker'): HostFacts => ({
    name,
    role,
    error: 'connect to root@10.0.0.1:22: connect ECONNREFUSED',
    pki: null,
    kubelet: null,
    files: [],
    node: null,
  });
  const all = cluster([down('m1', 'master'), down('w1', 'worker'), down('w2', 'worker')], { etcd: null, api: 'unreachable' });
  const d = diagnose(all);
  t.false(d.healthy);
  t.is(d.state, 'unknown');
  t.deepEqual(d.unreachable, ['m1', 'w1', 'w2']);
  t.regex(text(all), /could not reach any host: m1, w1, w2 \(connect to root@10\.0\.0\.1:22: connect ECONNREFUSED\)/);
  t.deepEqual(d.recommendations, [], 'nothing to recommend from nothing read');
  const some = healthyHosts();
  some[4] = down('w2', 'worker');
  const ds = diagnose(cluster(some));
  t.is(ds.state, 'unknown', 'the readable hosts are fine, but w2 could be anything');
  t.deepEqual(ds.unreachable, ['w2']);
  t.regex(text(cluster(some)), /could not reach w2 /);
  const wiped = healthyHosts().map((h) => (h.role === 'master' ? master(h.name, null) : h));
  wiped[5] = down('w3', 'worker');
  t.is(diagnose(cluster(wiped, { api: 'unreachable', etcd: null })).state, 'pki-wipe', 'a fault seen on the readable hosts keeps its name');
  t.is(diagnose(cluster(healthyHosts())).unreachable, undefined);
});

test("recover's config source, in step 0's order: inventory file, API, etcd data (throwaway or offline); none is a problem", (t) => {
  const wiped = () => [master('m1', null), master('m2', null), master('m3', null), worker('w1', OLD, true)];
  const down = { api: 'unreachable' as const, etcd: null };
  t.regex(
    text(cluster(wiped(), { ...down, kubeadmConfig: '/inv/kubeadm.yaml' })),
    /recover's ClusterConfiguration: the inventory's kubeadmConfig \/inv\/kubeadm.yaml/,
  );
  const etcdData = [{ host: 'm1', dbBytes: 3 * 1048576, reader: 'throwaway etcd from registry.k8s.io/etcd:3.5.16-0 on a copy' }, { host: 'm2' }];
  t.regex(text(cluster(wiped(), { ...down, etcdData })), /else etcd data on m1 \(3\.0 MiB\): throwaway etcd from registry\.k8s\.io\/etcd:3\.5\.16-0/);
  const none = diagnose(cluster(wiped(), { ...down, etcdData: [{ host: 'm1' }] }));
  t.true(none.findings.some((f) => f.severity === 'problem' && /recover has no ClusterConfiguration/.test(f.message)));
  t.notRegex(text(cluster(healthyHosts())), /recover's ClusterConfiguration/, 'said only when recover is recommended');
});

test("the layout: kubeadm's said as info; a kubespray shape recover does not repair named per host as a problem, and no playbook recommended (they refuse it)", async (t) => {
  const { parseShape } = await import('../../lib/facts/shape.js');
  const kubeadm = healthyHosts().map((h) => ({ ...h, shape: parseShape('') }));
  const ok = diagnose(cluster(kubeadm));
  t.true(ok.healthy);
  t.regex(text(cluster(kubeadm)), /^layout: kubeadm's \(etcd: static pods on the masters; none of kubespray's files on every host read\)$/m);
  t.like(ok.layout, { name: 'kubeadm' });
  // a kubespray cluster after a pki-wipe: its etcd service and certs survive on the masters, the workers keep their nginx-proxy
  const wiped = [master('m1', null), master('m2', null), master('m3', null), worker('w1', OLD, true), worker('w2', OLD, true), worker('w3', OLD, true)].map(
    (h) => ({
      ...h,
      shape: parseShape(h.role === 'master' ? '/etc/systemd/system/etcd.service\n/etc/ssl/etcd/ssl\n' : '/etc/kubernetes/manifests/nginx-proxy.yml\n'),
    }),
  );
  const f = cluster(wiped, { etcd: null, api: 'unreachable' });
  const d = diagnose(f);
  t.false(d.healthy);
  t.is(d.state, 'pki-wipe', 'the scenario keeps its name');
  t.regex(
    text(f),
    /layout: kubespray's \(etcd: a systemd service on the masters, certificates in \/etc\/ssl\/etcd\/ssl; from m1: \/etc\/systemd\/system\/etcd.service .*; w3: \/etc\/kubernetes\/manifests\/nginx-proxy.yml .*\): kubemend does not repair this kubespray shape yet \(m1 \(a master\) has no \/etc\/etcd.env: .*; m3 \(a master\) has no \/etc\/etcd.env: [^;]*\)/,
  );
  t.notRegex(text(f), /single master/, 'several masters are no reason any more');
  t.is(d.layout.name, 'kubespray');
  t.is(d.layout.evidence.length, 6, 'one line per host with kubespray files');
  t.deepEqual(d.recommendations, [], 'recover would refuse it: not recommended');
  const healthySpray = healthyHosts().map((h) => ({ ...h, shape: parseShape('/etc/kubernetes/ssl\n') }));
  t.is(diagnose(cluster(healthySpray)).state, 'kubespray');
});

test("kubespray's default shape recover repairs (etcd service on the masters, one or three, nginx-proxy): said as info, and recover recommended after a pki-wipe; rejoin-workers never", async (t) => {
  const { parseShape } = await import('../../lib/facts/shape.js');
  const etcdService = '/etc/systemd/system/etcd.service\n/etc/etcd.env\n/etc/ssl/etcd/ssl\n';
  const wiped = [master('m1', null), worker('w1', OLD, true)].map((h) => ({
    ...h,
    shape: parseShape(h.role === 'master' ? etcdService : '/etc/kubernetes/manifests/nginx-proxy.yml\n'),
  }));
  const f = cluster(wiped, { etcd: { healthy: ['https://127.0.0.1:2379'], unhealthy: [] }, api: 'unreachable' });
  const d = diagnose(f);
  t.is(d.state, 'pki-wipe');
  t.regex(
    text(f),
    /^layout: kubespray's \(etcd: a systemd service on the masters, .*\): recover repairs this layout, keeping kubespray's etcd service and its certificates as they are \(docs\/kubespray.md\)$/m,
  );
  t.notRegex(text(f), /does not repair/);
  t.deepEqual(
    d.recommendations.map((r) => r.playbook),
    ['recover'],
  );
  // kubespray's sample shape, 3 masters that are its etcd members, all wiped: recover (step 0's repairableLayout agrees)
  const three = [master('m1', null), master('m2', null), master('m3', null), worker('w1', OLD, true)].map((h) => ({
    ...h,
    shape: parseShape(h.role === 'master' ? etcdService : '/etc/kubernetes/manifests/nginx-proxy.yml\n'),
  }));
  const etcd3 = { healthy: [1, 2, 3].map((i) => `https://10.0.1.${i}:2379`), unhealthy: [] };
  const d3 = diagnose(cluster(three, { etcd: etcd3, api: 'unreachable' }));
  t.is(d3.state, 'pki-wipe');
  t.deepEqual(
    d3.recommendations.map((r) => r.playbook),
    ['recover'],
  );
  t.notRegex(d3.findings.map((x) => x.message).join('\n'), /does not repair/);
  // only m2 wiped (rebuild-one): recover too
  const one = [master('m1', OLD), master('m2', null), master('m3', OLD), worker('w1', OLD, true)].map((h) => ({
    ...h,
    shape: parseShape(h.role === 'master' ? etcdService : '/etc/kubernetes/manifests/nginx-proxy.yml\n'),
  }));
  const d1 = diagnose(cluster(one, { etcd: etcd3 }));
  t.is(d1.state, 'pki-wipe-one');
  t.deepEqual(
    d1.recommendations.map((r) => r.playbook),
    ['recover'],
  );
  t.notRegex(d1.findings.map((x) => x.message).join('\n'), /does not repair/);
  // two etcd members and one master: etcd also on a host the inventory does not list as a master
  const more = diagnose(cluster(wiped, { etcd: { healthy: ['https://10.0.1.1:2379', 'https://10.0.3.1:2379'], unhealthy: [] }, api: 'unreachable' }));
  t.deepEqual(more.recommendations, []);
  t.regex(
    more.findings.map((x) => x.message).join('\n'),
    /etcd has 2 members and the inventory names 1 \(m1\): list every etcd host in the inventory's etcd group/,
  );
  // the same with kubespray's inventory: its etcd group m1, e1 (e1 etcd only, no Kubernetes node): recover repairs it
  const e1: HostFacts = { name: 'e1', role: 'etcd', pki: wpki(null), kubelet: false, files: [], node: 'absent', shape: parseShape(etcdService) };
  const apart = diagnose(
    cluster([...wiped, e1], {
      etcd: { healthy: ['https://10.0.1.1:2379', 'https://10.0.3.1:2379'], unhealthy: [] },
      api: 'unreachable',
      inventoryEtcd: {
        placement: 'separate',
        members: ['m1', 'e1'],
        reason: 'separate from the masters: e1 runs etcd and is not a master',
        deploymentType: 'host',
      },
    }),
  );
  t.is(apart.state, 'pki-wipe');
  t.deepEqual(
    apart.recommendations.map((r) => r.playbook),
    ['recover'],
  );
  t.notRegex(apart.findings.map((x) => x.message).join('\n'), /does not repair/);
  // a worker without credentials on a repaired kubespray shape, PKI whole: no rejoin-workers (it refuses kubespray's layout), said why
  const whole = [master('m1', OLD), worker('w1', OLD, false)].map((h) => ({
    ...h,
    shape: parseShape(h.role === 'master' ? etcdService : '/etc/kubernetes/manifests/nginx-proxy.yml\n'),
  }));
  const w = diagnose(cluster(whole, { etcd: { healthy: ['https://127.0.0.1:2379'], unhealthy: [] } }));
  t.deepEqual(w.recommendations, []);
  t.regex(w.findings.map((x) => x.message).join('\n'), /rejoin-workers and renew-certs do not handle kubespray's layout/);
});

test('the layout from the inventory alone: etcd_deployment_type host, docker, or an etcd group apart from the masters; no host read leaves it unknown', (t) => {
  const { hosts } = { hosts: healthyHosts() };
  const spray = (etcd: NonNullable<ClusterFacts['inventoryEtcd']>) => diagnose(cluster(hosts, { inventoryEtcd: etcd })).layout;
  t.deepEqual(spray({ placement: 'stacked', members: ['m1', 'm2', 'm3'], reason: 'stacked', deploymentType: 'host' }), {
    name: 'kubespray',
    etcd: 'a systemd service on the masters (m1-m3), certificates in /etc/ssl/etcd/ssl',
    evidence: ['inventory: etcd_deployment_type host'],
  });
  t.is(spray({ placement: 'stacked', members: ['m1'], reason: 'stacked', deploymentType: 'docker' }).etcd, 'a container of a systemd unit on the masters (m1)');
  const sep = spray({ placement: 'separate', members: ['e1', 'e2'], reason: 'separate from the masters: e1, e2 are not masters', deploymentType: 'host' });
  t.is(sep.etcd, 'a systemd service on the etcd group (e1, e2), not the masters alone, certificates in /etc/ssl/etcd/ssl');
  t.deepEqual(sep.evidence, ['inventory: etcd_deployment_type host', 'inventory: etcd separate from the masters: e1, e2 are not masters']);
  t.is(
    spray({ placement: 'stacked', members: ['m1'], reason: 'stacked', deploymentType: 'kubeadm' }).name,
    'kubeadm',
    "etcd_deployment_type kubeadm is kubeadm's stacked etcd",
  );
  // a healthy cluster of 3 masters from an inventory with kubespray's default etcd: a shape recover repairs (several masters too), nothing to do
  const d = diagnose(cluster(hosts, { inventoryEtcd: { placement: 'stacked', members: ['m1', 'm2', 'm3'], reason: 'stacked', deploymentType: 'host' } }));
  t.is(d.state, 'healthy');
  t.deepEqual(d.recommendations, []);
  t.regex(
    d.findings.map((x) => x.message).join('\n'),
    /recover repairs kubespray's default shape \(its etcd service on the masters, nginx-proxy on the workers\)/,
  );
  // etcd_deployment_type docker is still refused: said, no playbook
  const docker = diagnose(
    cluster(hosts, { inventoryEtcd: { placement: 'stacked', members: ['m1', 'm2', 'm3'], reason: 'stacked', deploymentType: 'docker' } }),
  );
  t.is(docker.state, 'kubespray');
  t.deepEqual(docker.recommendations, []);
  const unread = diagnose(cluster(hosts.map((h) => ({ ...h, error: 'ssh: connection refused' })))).layout;
  t.deepEqual(unread, { name: 'unknown', etcd: 'unknown (no host read)', evidence: [] });
});
