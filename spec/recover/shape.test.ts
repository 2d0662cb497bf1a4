/**
 * recover's first step refuses a kubespray-built cluster (etcd as a host service with its certs in
 * /etc/ssl/etcd/ssl, certificatesDir /etc/kubernetes/ssl, nginx-proxy on the workers) before it
 * reads etcd's data or changes anything; a ClusterConfiguration with etcd.external or another
 * certificatesDir is refused at the config step. Planned against the fake transport.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPlan } from '../../lib/core/plan.js';
import { parseOptions } from '../../lib/core/options.js';
import { KUBESPRAY_MARKERS, clusterShape, parseShape } from '../../lib/facts/shape.js';
import { quoteArgv } from '../../lib/core/quote.js';
import type { Selection } from '../../lib/core/events.js';
import recover from '../../playbooks/recover.js';
import { unsupportedClusterConfig } from '../../playbooks/recover/config.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

const CONFIG = fileURLToPath(new URL('../../inventory/kubeadm-config.yaml', import.meta.url));
const SHAPE = quoteArgv(clusterShape.argv).display;

async function plan(answers: Record<string, string>, kubeadmConfig = CONFIG, selection?: Selection) {
  const fake = new FakeTransport();
  for (const [host, stdout] of Object.entries(answers)) fake.on(SHAPE, { stdout }, host);
  const inv = { ...fakeInventory(3, 2), kubeadmConfig };
  const { plan: p, result } = await buildPlan({ playbook: recover, inventory: inv, transport: fake, options: parseOptions(recover.options, {}, 'recover'), ...(selection ? { selection } : {}), stateDir: mkdtempSync('/tmp/kubemend-shape-') });
  return { plan: p, result, fake };
}

test('parseShape: only the known markers count; none is kubeadm', (t) => {
  t.deepEqual(parseShape(''), { layout: 'kubeadm', found: [] });
  const s = parseShape('/etc/ssl/etcd/ssl\n/etc/other\n/etc/kubernetes/manifests/nginx-proxy.yml\n');
  t.is(s.layout, 'kubespray');
  t.deepEqual(s.found.map((m) => m.path), ['/etc/ssl/etcd/ssl', '/etc/kubernetes/manifests/nginx-proxy.yml']);
  t.true(KUBESPRAY_MARKERS.every((m) => SHAPE.includes(m.path)), 'the probe asks for every marker');
});

test("a kubespray-built cluster (PKI wiped: its etcd service and certs survive) is refused at step 0, naming each host's files, before etcd's data is read or anything planned", async (t) => {
  const r = await plan({
    m1: '/etc/systemd/system/etcd.service\n/etc/etcd.env\n/etc/ssl/etcd/ssl\n', m2: '/etc/ssl/etcd/ssl\n',
    w1: '/etc/kubernetes/manifests/nginx-proxy.yml\n',
  });
  t.is(r.result.exitCode, 1);
  t.is(r.result.stoppedAt, 'facts/shape');
  const msg = JSON.stringify(r.result.failures);
  t.regex(msg, /recover repairs kubeadm's own layout/);
  t.regex(msg, /m1: \/etc\/systemd\/system\/etcd.service \(etcd as a systemd service \(kubespray etcd_deployment_type host or docker\)\), \/etc\/etcd.env/);
  t.regex(msg, /w1: \/etc\/kubernetes\/manifests\/nginx-proxy.yml \(kubespray's nginx-proxy/);
  t.regex(msg, /is not supported yet: nothing was changed/);
  t.notRegex(msg, /m3:|w2:/, 'hosts without a marker are not named');
  // every host was asked the one read-only probe, and nothing else was sent
  t.deepEqual(r.fake.calls.map((c) => `${c.host} ${c.command === SHAPE ? 'shape' : c.command}`).sort(), ['m1 shape', 'm2 shape', 'm3 shape', 'w1 shape', 'w2 shape']);
  t.true(r.plan.phases.every((p) => p.hosts.every((h) => h.steps.every((s) => !s.mutating))), 'no change planned');
});

test('--only and --from cannot leave out step 0: a partial run on a kubespray-shaped cluster is refused there too', async (t) => {
  const spray = { m1: '/etc/systemd/system/etcd.service\n/etc/ssl/etcd/ssl\n', w1: '/etc/kubernetes/manifests/nginx-proxy.yml\n' };
  for (const selection of [{ only: ['first/control-plane'] }, { from: 'workers' }, { only: ['workers/rejoin'], from: 'etcd' }] as Selection[]) {
    const r = await plan(spray, CONFIG, selection);
    t.is(r.result.stoppedAt, 'facts/shape', JSON.stringify(selection));
    t.regex(JSON.stringify(r.result.failures), /m1: \/etc\/systemd\/system\/etcd.service/);
    t.true(r.plan.phases.every((p) => p.hosts.every((h) => h.steps.every((s) => !s.mutating))), 'no change planned');
  }
  await t.throwsAsync(plan(spray, CONFIG, { skip: ['facts/shape'] }), { message: /--skip facts\/shape: facts\/shape is a safety check/ });
});

test("kubeadm's layout on every host: step 0 passes and says so", async (t) => {
  const r = await plan({});
  t.is(r.result.exitCode, 0, JSON.stringify(r.result.failures));
  t.regex(r.plan.phases.find((p) => p.id === 'facts/shape')?.notes?.join('\n') ?? '', /layout: kubeadm's on all 5 hosts/);
});

test('a ClusterConfiguration with etcd.external or certificatesDir /etc/kubernetes/ssl (kubespray writes both) stops the config step, nothing changed', async (t) => {
  const text = readFileSync(CONFIG, 'utf8');
  t.is(unsupportedClusterConfig(text), undefined);
  const ext = text.replace('certificatesDir: /etc/kubernetes/pki', 'certificatesDir: /etc/kubernetes/ssl')
    .replace(/^etcd:\n  local:\n    dataDir: \/var\/lib\/etcd\n/m, 'etcd:\n  external:\n    endpoints: [https://10.0.1.1:2379]\n    caFile: /etc/ssl/etcd/ssl/ca.pem\n');
  t.not(ext, text);
  t.regex(unsupportedClusterConfig(ext)!, /etcd.external \(endpoints https:\/\/10.0.1.1:2379\): etcd runs outside kubeadm; certificatesDir \/etc\/kubernetes\/ssl, not \/etc\/kubernetes\/pki/);
  const f = join(mkdtempSync('/tmp/kubemend-shape-'), 'kubeadm-config.yaml');
  writeFileSync(f, ext);
  const r = await plan({}, f);
  t.is(r.result.stoppedAt, 'backup/config');
  t.regex(JSON.stringify(r.result.failures), /has etcd.external .* recover rebuilds kubeadm's stacked etcd and \/etc\/kubernetes\/pki only .* nothing was changed/);
  t.true(r.plan.phases.every((p) => p.hosts.every((h) => h.steps.every((s) => !s.mutating))), 'no change planned');
});
