/**
 * recover's first step chooses the layout: kubeadm's, or kubespray's default (etcd a host service
 * on the one master with its certs in /etc/ssl/etcd/ssl, certificatesDir /etc/kubernetes/ssl,
 * nginx-proxy on the workers), which it repairs keeping etcd; the kubespray shapes it does not
 * repair yet are refused before it reads etcd's data or changes anything. The ClusterConfiguration
 * must match the layout (etcd.external and /etc/kubernetes/ssl on kubespray's, neither on kubeadm's).
 * Planned against the fake transport.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPlan } from '../../lib/core/plan.js';
import { parseOptions } from '../../lib/core/options.js';
import { KUBESPRAY_MARKERS, clusterShape, parseShape, repairableLayout } from '../../lib/facts/shape.js';
import { quoteArgv } from '../../lib/shell/quote.js';
import type { Selection } from '../../lib/core/events.js';
import recover from '../../playbooks/recover.js';
import { unsupportedClusterConfig } from '../../playbooks/recover/config.js';
import { kubesprayMemberMismatches } from '../../lib/etcd-data/members.js';
import { masterKubeletFiles, unusableKubeletFiles } from '../../playbooks/recover/kubespray-kubelet.js';
import { KUBESPRAY_CA } from '../../playbooks/shared/layout.js';
import { joinConfiguration } from '../../lib/kubeadm/config.js';
import { Secret } from '../../lib/shell/secret.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

const CONFIG = fileURLToPath(new URL('../../inventory/kubeadm-config.yaml', import.meta.url));
const SHAPE = quoteArgv(clusterShape.argv).display;

async function plan(
  answers: Record<string, string>,
  kubeadmConfig = CONFIG,
  selection?: Selection,
  size: [number, number] = [3, 2],
  more?: (f: FakeTransport) => void,
) {
  const fake = new FakeTransport();
  for (const [host, stdout] of Object.entries(answers)) fake.on(SHAPE, { stdout }, host);
  more?.(fake);
  const inv = { ...fakeInventory(...size), kubeadmConfig };
  const { plan: p, result } = await buildPlan({
    playbook: recover,
    inventory: inv,
    transport: fake,
    options: parseOptions(recover.options, {}, 'recover'),
    ...(selection ? { selection } : {}),
    stateDir: tempDir('/tmp/kubemend-shape-'),
  });
  return { plan: p, result, fake };
}

test('parseShape: only the known markers count; none is kubeadm', (t) => {
  t.deepEqual(parseShape(''), { layout: 'kubeadm', found: [] });
  const s = parseShape('/etc/ssl/etcd/ssl\n/etc/other\n/etc/kubernetes/manifests/nginx-proxy.yml\n');
  t.is(s.layout, 'kubespray');
  t.deepEqual(
    s.found.map((m) => m.path),
    ['/etc/ssl/etcd/ssl', '/etc/kubernetes/manifests/nginx-proxy.yml'],
  );
  t.true(
    KUBESPRAY_MARKERS.every((m) => SHAPE.includes(m.path)),
    'the probe asks for every marker',
  );
});

test("a kubespray-built cluster of a shape not repaired yet (one of 3 masters without kubespray's etcd service, haproxy on a worker) is refused at step 0, naming each reason and host's files, before etcd's data is read or anything planned", async (t) => {
  const r = await plan({
    m1: '/etc/systemd/system/etcd.service\n/etc/etcd.env\n/etc/ssl/etcd/ssl\n',
    m2: '/etc/systemd/system/etcd.service\n/etc/etcd.env\n/etc/ssl/etcd/ssl\n',
    m3: '/etc/ssl/etcd/ssl\n',
    w1: '/etc/kubernetes/manifests/nginx-proxy.yml\n',
    w2: '/etc/kubernetes/manifests/haproxy.yml\n',
  });
  t.is(r.result.exitCode, 1);
  t.is(r.result.stoppedAt, 'facts/shape');
  const msg = JSON.stringify(r.result.failures);
  t.regex(msg, /recover repairs kubeadm's own layout and kubespray's default one/);
  t.regex(msg, /m3 \(a master\) has no \/etc\/systemd\/system\/etcd.service, \/etc\/etcd.env: kubespray's etcd service is not there to be kept/);
  t.notRegex(msg, /3 masters|single master/, 'several masters are no reason to refuse');
  t.regex(msg, /w2 runs kubespray's haproxy local API proxy: only the nginx-proxy one is repaired yet/);
  t.regex(msg, /m1: \/etc\/systemd\/system\/etcd.service \(etcd as a systemd service \(kubespray etcd_deployment_type host or docker\)\), \/etc\/etcd.env/);
  t.regex(msg, /w1: \/etc\/kubernetes\/manifests\/nginx-proxy.yml \(kubespray's nginx-proxy/);
  t.regex(msg, /Nothing was changed/);
  t.notRegex(msg, /m2 \(a master\)/, 'a master with the whole etcd service is not named as missing it');
  // every host was asked the one read-only probe, and nothing else was sent
  t.deepEqual(r.fake.calls.map((c) => `${c.host} ${c.command === SHAPE ? 'shape' : c.command}`).sort(), [
    'm1 shape',
    'm2 shape',
    'm3 shape',
    'w1 shape',
    'w2 shape',
  ]);
  t.true(
    r.plan.phases.every((p) => p.hosts.every((h) => h.steps.every((s) => !s.mutating))),
    'no change planned',
  );
});

test('etcd on a worker, or a master without the service, is refused too (repairableLayout, pure)', (t) => {
  const spray = parseShape('/etc/systemd/system/etcd.service\n/etc/etcd.env\n/etc/ssl/etcd/ssl\n/etc/kubernetes/ssl\n');
  t.deepEqual(
    repairableLayout([
      { host: 'm1', role: 'master', shape: spray },
      { host: 'w1', role: 'worker', shape: parseShape('/etc/kubernetes/manifests/nginx-proxy.yml\n') },
    ]),
    { layout: 'kubespray' },
  );
  const w = repairableLayout([
    { host: 'm1', role: 'master', shape: spray },
    { host: 'w1', role: 'worker', shape: spray },
  ]);
  t.deepEqual(w, { refused: ["w1 (worker) runs kubespray's etcd service and is not a master: list kubespray's etcd group in the inventory"] });
  t.deepEqual(
    repairableLayout([
      { host: 'm1', role: 'master', shape: parseShape('') },
      { host: 'w1', role: 'worker', shape: parseShape('') },
    ]),
    { layout: 'kubeadm' },
  );
  // kubespray's sample inventory: 3 masters, each an etcd member, workers behind nginx-proxy
  const three = ['m1', 'm2', 'm3'].map((host) => ({ host, role: 'master' as const, shape: spray }));
  t.deepEqual(repairableLayout([...three, { host: 'w1', role: 'worker', shape: parseShape('/etc/kubernetes/manifests/nginx-proxy.yml\n') }]), {
    layout: 'kubespray',
  });
  t.deepEqual(
    repairableLayout([...three.slice(0, 2), { host: 'm3', role: 'master', shape: parseShape('/etc/kubernetes/ssl\n') }]),
    {
      refused: [
        "m3 (a master) has no /etc/systemd/system/etcd.service, /etc/etcd.env, /etc/ssl/etcd/ssl: kubespray's etcd service is not there to be kept (etcd_deployment_type kubeadm or docker is not repaired on kubespray's layout)",
      ],
    },
    'every master must run the service',
  );
  const m = repairableLayout([{ host: 'm1', role: 'master', shape: parseShape('/etc/kubernetes/ssl\n') }]);
  t.regex(JSON.stringify(m), /m1 \(a master\) has no \/etc\/systemd\/system\/etcd.service, \/etc\/etcd.env, \/etc\/ssl\/etcd\/ssl/);
});

test("kubespray's etcd group apart from the masters (repairableLayout with the inventory's etcd group, pure): etcd-only hosts and masters outside the group repaired; a worker member, a master without etcd's certificates, or a member without the service refused", (t) => {
  const spray = parseShape('/etc/systemd/system/etcd.service\n/etc/etcd.env\n/etc/ssl/etcd/ssl\n/etc/kubernetes/ssl\n');
  const etcdOnly = parseShape('/etc/systemd/system/etcd.service\n/etc/etcd.env\n/etc/ssl/etcd/ssl\n');
  // a master outside the etcd group: ca.pem and its node pair in /etc/ssl/etcd/ssl (gen_nodes_certs_script.yml), no service, no etcd.env
  const certsOnly = parseShape('/etc/ssl/etcd/ssl\n/etc/kubernetes/ssl\n');
  const w1 = { host: 'w1', role: 'worker' as const, shape: parseShape('/etc/kubernetes/manifests/nginx-proxy.yml\n') };
  const e = (host: string) => ({ host, role: 'etcd' as const, shape: etcdOnly });
  // --etcd-hosts 1: the etcd group m1, e1
  t.deepEqual(repairableLayout([{ host: 'm1', role: 'master', shape: spray }, w1, e('e1')], ['m1', 'e1']), { layout: 'kubespray' });
  // etcd on e1..e3 only, one master outside the group
  t.deepEqual(repairableLayout([{ host: 'm1', role: 'master', shape: certsOnly }, w1, e('e1'), e('e2'), e('e3')], ['e1', 'e2', 'e3']), {
    layout: 'kubespray',
  });
  // without the etcd group, the same hosts are refused: e1 runs etcd and is no master
  t.deepEqual(repairableLayout([{ host: 'm1', role: 'master', shape: spray }, w1, e('e1')]), {
    refused: ["e1 (etcd) runs kubespray's etcd service and is not a master: list kubespray's etcd group in the inventory"],
  });
  const several = repairableLayout([{ host: 'm1', role: 'master', shape: spray }, { host: 'm2', role: 'master', shape: certsOnly }, w1, e('e1')], ['m1', 'e1']);
  t.deepEqual(several, { layout: 'kubespray' }, 'a master outside the etcd group among several: step 8 joins it without download-certs (join-prepare.ts)');
  const noCerts = repairableLayout([{ host: 'm1', role: 'master', shape: parseShape('/etc/kubernetes/ssl\n') }, e('e1')], ['e1']);
  t.deepEqual(noCerts, {
    refused: ["m1 (a master outside the inventory's etcd group) has no /etc/ssl/etcd/ssl: the etcd client certificate its apiserver uses is not there"],
  });
  const half = repairableLayout(
    [
      { host: 'm1', role: 'master', shape: spray },
      { host: 'e1', role: 'etcd', shape: parseShape('/etc/ssl/etcd/ssl\n') },
    ],
    ['m1', 'e1'],
  );
  t.regex(JSON.stringify(half), /e1 \(etcd, in the inventory's etcd group\) has no \/etc\/systemd\/system\/etcd.service, \/etc\/etcd.env/);
  const workerMember = repairableLayout(
    [
      { host: 'm1', role: 'master', shape: spray },
      { host: 'w1', role: 'worker', shape: spray },
    ],
    ['m1', 'w1'],
  );
  t.regex(JSON.stringify(workerMember), /w1 is a worker and an etcd member: a Kubernetes node that is also kubespray's etcd member is not repaired yet/);
  const stray = repairableLayout([{ host: 'm1', role: 'master', shape: spray }, e('e1'), e('e2')], ['m1', 'e1']);
  t.deepEqual(stray, { refused: ["e2 (etcd) runs kubespray's etcd service and is not in the inventory's etcd group"] });
});

test('--only and --from cannot leave out step 0: a partial run on a kubespray shape not repaired is refused there too', async (t) => {
  const spray = { m1: '/etc/systemd/system/etcd.service\n/etc/ssl/etcd/ssl\n', w1: '/etc/kubernetes/manifests/nginx-proxy.yml\n' };
  for (const selection of [{ only: ['first/control-plane'] }, { from: 'workers' }, { only: ['workers/rejoin'], from: 'etcd' }] as Selection[]) {
    const r = await plan(spray, CONFIG, selection);
    t.is(r.result.stoppedAt, 'facts/shape', JSON.stringify(selection));
    t.regex(JSON.stringify(r.result.failures), /m1: \/etc\/systemd\/system\/etcd.service/);
    t.true(
      r.plan.phases.every((p) => p.hosts.every((h) => h.steps.every((s) => !s.mutating))),
      'no change planned',
    );
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
  const ext = text
    .replace('certificatesDir: /etc/kubernetes/pki', 'certificatesDir: /etc/kubernetes/ssl')
    .replace(
      /^etcd:\n  local:\n    dataDir: \/var\/lib\/etcd\n/m,
      'etcd:\n  external:\n    endpoints: [https://10.0.1.1:2379]\n    caFile: /etc/ssl/etcd/ssl/ca.pem\n',
    );
  t.not(ext, text);
  t.regex(
    unsupportedClusterConfig(ext)!,
    /etcd.external \(endpoints https:\/\/10.0.1.1:2379\): etcd runs outside kubeadm; certificatesDir \/etc\/kubernetes\/ssl, not \/etc\/kubernetes\/pki/,
  );
  const f = join(tempDir('/tmp/kubemend-shape-'), 'kubeadm-config.yaml');
  writeFileSync(f, ext);
  const r = await plan({}, f);
  t.is(r.result.stoppedAt, 'facts/config');
  t.regex(
    JSON.stringify(r.result.failures),
    /has etcd.external .* On kubeadm's layout recover rebuilds kubeadm's stacked etcd and \/etc\/kubernetes\/pki only .* nothing was changed/,
  );
  t.true(
    r.plan.phases.every((p) => p.hosts.every((h) => h.steps.every((s) => !s.mutating))),
    'no change planned',
  );
});

/** The kubeadm config kubespray writes (etcd.external with the master's node cert, certificatesDir /etc/kubernetes/ssl), from inventory/kubeadm-config.yaml. */
function kubesprayConfig(): string {
  const text = readFileSync(CONFIG, 'utf8');
  const ext = text
    .replace('certificatesDir: /etc/kubernetes/pki', 'certificatesDir: /etc/kubernetes/ssl')
    .replace(
      /^etcd:\n  local:\n    dataDir: \/var\/lib\/etcd\n/m,
      'etcd:\n  external:\n    endpoints: [https://10.0.1.1:2379]\n    caFile: /etc/ssl/etcd/ssl/ca.pem\n    certFile: /etc/ssl/etcd/ssl/node-m1.pem\n    keyFile: /etc/ssl/etcd/ssl/node-m1-key.pem\n',
    );
  const f = join(tempDir('/tmp/kubemend-shape-'), 'kubeadm-config.yaml');
  writeFileSync(f, ext);
  return f;
}

const SPRAY_M1 = '/etc/systemd/system/etcd.service\n/etc/etcd.env\n/etc/ssl/etcd/ssl\n';
const SPRAY_W1 = '/etc/kubernetes/ssl\n/etc/kubernetes/kubelet.env\n/etc/kubernetes/manifests/nginx-proxy.yml\n';
/** kubespray's etcd members as its etcdctl prints them (`member list -w json`): etcd1 on m1's address. */
const MEMBERS = JSON.stringify({
  header: { cluster_id: 1 },
  members: [{ ID: 1311, name: 'etcd1', peerURLs: ['https://10.0.1.1:2380'], clientURLs: ['https://10.0.1.1:2379'] }],
}).replace('"ID":1311', '"ID":12345678901234567890');

test("kubespray's default shape (etcd service on the one master, nginx-proxy on the worker): planned with etcd kept, no etcd CA, certificate or pod; kube_cert_dir and its link made, kubespray's kubelet files put back from the worker's, the worker's CA at kubespray's caCertPath removed before its join (the pki link kept)", async (t) => {
  const r = await plan({ m1: SPRAY_M1, w1: SPRAY_W1 }, kubesprayConfig(), undefined, [1, 1], (f) => {
    f.on(/kubespray_etcdctl member list -w json/, { stdout: MEMBERS });
    f.on(
      /kubespray's kubelet files present|for f; do \[ -f "\$f" \] \|\| echo "\$f"; done; exit 0 sh \/etc\/kubernetes\/kubelet\.env/,
      { stdout: '/etc/kubernetes/kubelet.env\n/etc/kubernetes/kubelet-config.yaml\n' },
      'm1',
    );
    kubesprayKubeletTextOfW1(f);
  });
  t.is(r.result.exitCode, 0, JSON.stringify(r.result.failures));
  const phase = (id: string) => r.plan.phases.find((p) => p.id === id)!;
  t.regex(phase('facts/shape').notes!.join('\n'), /layout: kubespray's \(etcd a systemd service on the masters/);
  t.regex(
    phase('facts/config').notes!.join('\n'),
    /etcd.external's files on every master: \/etc\/ssl\/etcd\/ssl\/ca.pem, \/etc\/ssl\/etcd\/ssl\/node-m1.pem, \/etc\/ssl\/etcd\/ssl\/node-m1-key.pem/,
  );
  const path = phase('facts/path').notes!.join('\n');
  t.regex(
    path,
    /path: full-rebuild \(no master holds the cluster CA any more; etcd is kubespray's service \(its CA and certificates in \/etc\/ssl\/etcd\/ssl\), kept as it is\)/,
  );
  t.regex(path, /kubespray's etcd before the repair: 1 member \(ab54a98ceb1f0ad2 etcd1 https:\/\/10.0.1.1:2380\)/);
  for (const id of ['etcd/ca', 'etcd/ca-copy', 'etcd/start']) t.truthy(phase(id).skipped, `${id} does not run`);
  t.falsy(phase('etcd/healthy').skipped, "etcd's health is still waited for, through kubespray's etcdctl");
  const all = r.plan.phases.flatMap((p) => p.hosts.flatMap((h) => h.steps.map((s) => `${h.host} ${s.command}`)));
  t.false(
    all.some((c) => /kubeadm .*(certs etcd-|phase etcd local)|etcd\/ca\.(crt|key)$/.test(c)),
    all.filter((c) => /kubeadm .*etcd/.test(c)).join('\n'),
  );
  const clean = phase('masters/clean')
    .hosts[0]!.steps.map((s) => s.command)
    .join('\n');
  t.regex(clean, /ln -s "\$1" \/etc\/kubernetes\/pki.* sh \/etc\/kubernetes\/ssl/s);
  t.regex(clean, /\/etc\/kubernetes\/kubelet\.env/);
  t.regex(clean, /\/etc\/kubernetes\/kubelet-config\.yaml/);
  t.regex(clean, /systemctl restart kubelet/);
  const rejoin = phase('workers/rejoin')
    .hosts.find((h) => h.host === 'w1')!
    .steps.map((s) => s.command)
    .join('\n');
  t.regex(rejoin, /rm -rf -- \/var\/lib\/kubelet\/pki \/etc\/kubernetes\/ssl\/ca\.crt \/etc\/kubernetes\/kubelet\.conf/);
  t.notRegex(rejoin, /rm -rf -- .*\/etc\/kubernetes\/pki /, "the pki compat link is kept on kubespray's workers");
});

test("a master's kubelet.env and kubelet-config.yaml from a worker's: kubespray's three host values set to the master's, the rest kept; a wildcard bind address kept", (t) => {
  const env =
    'KUBE_LOG_LEVEL="--v=2"\nKUBELET_ADDRESS="--node-ip=10.0.2.1"\nKUBELET_HOSTNAME="--hostname-override=w1"\n\nKUBELET_ARGS="--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf \\\n--config=/etc/kubernetes/kubelet-config.yaml \\\n--kubeconfig=/etc/kubernetes/kubelet.conf \\\n "\n';
  const config =
    'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\naddress: 10.0.2.1\nstaticPodPath: /etc/kubernetes/manifests\nclusterDNS:\n- 169.254.25.10\n';
  t.is(unusableKubeletFiles({ env, config }), undefined);
  const m = masterKubeletFiles({ name: 'w1', address: '10.0.2.1' }, { name: 'm1', address: '10.0.1.1' }, { env, config });
  t.is(m.env, env.replace('--node-ip=10.0.2.1', '--node-ip=10.0.1.1').replace('--hostname-override=w1', '--hostname-override=m1'));
  t.is(m.config, config.replace('address: 10.0.2.1', 'address: "10.0.1.1"'));
  const wild = config.replace('address: 10.0.2.1', 'address: "::"');
  t.is(masterKubeletFiles({ name: 'w1', address: '10.0.2.1' }, { name: 'm1', address: '10.0.1.1' }, { env, config: wild }).config, wild);
  // the worker's join writes the new CA where kubespray's kubelet-config.yaml reads it (clientCAFile)
  const join = joinConfiguration({
    api: 'kubeadm.k8s.io/v1beta4',
    registration: { name: 'w1', kubeletExtraArgs: [] },
    endpoint: '10.0.1.1:6443',
    token: new Secret('join-token', 'abcdef.0123456789abcdef'),
    caCertHash: 'sha256:00',
    caCertPath: KUBESPRAY_CA,
  });
  t.regex(join, /^caCertPath: \/etc\/kubernetes\/ssl\/ca\.crt$/m);
  t.regex(
    unusableKubeletFiles({ env: 'X=1\n', config: 'kind: Pod\n' })!,
    /kubelet.env without --config=.*; kubelet-config.yaml without kind: KubeletConfiguration/,
  );
});

test("kubespray's etcd members are matched with the masters by their peer address (kubespray names them etcd1...): a member elsewhere, or a master that is none, is named", (t) => {
  const masters = fakeInventory(1, 1).hosts.filter((h) => h.role === 'master');
  const m = (name: string, ip: string) => ({ id: '1', name, peerURLs: [`https://${ip}:2380`], isLearner: false });
  t.deepEqual(kubesprayMemberMismatches([m('etcd1', '10.0.1.1')], masters), []);
  t.deepEqual(kubesprayMemberMismatches([m('etcd1', '10.0.1.1'), m('etcd2', '10.0.3.1')], masters, false), [
    "etcd member \"etcd2\" (https://10.0.3.1:2380) is on the address of no host of the inventory's masters (it names no etcd group): list kubespray's etcd hosts in the inventory (its etcd group), as kubespray's own inventory does",
  ]);
  t.deepEqual(kubesprayMemberMismatches([m('etcd2', '10.0.3.1')], masters), [
    'etcd member "etcd2" (https://10.0.3.1:2380) is on the address of no host of the inventory\'s etcd group',
    "master m1 (10.0.1.1) of the inventory's etcd group is no etcd member (members: etcd2 https://10.0.3.1:2380)",
  ]);
  // the etcd group m1, e1 (an etcd-only host): both members match
  const e1 = { ...masters[0]!, name: 'e1', address: '10.0.3.1', role: 'etcd' as const, first: false };
  t.deepEqual(kubesprayMemberMismatches([m('etcd1', '10.0.1.1'), m('etcd2', '10.0.3.1')], [...masters, e1]), []);
  t.deepEqual(kubesprayMemberMismatches([m('etcd1', '10.0.1.1')], [...masters, e1]), [
    "etcd host e1 (10.0.3.1) of the inventory's etcd group is no etcd member (members: etcd1 https://10.0.1.1:2380)",
  ]);
});

/** kubespray's etcd members on 3 masters (etcd1..3 on 10.0.1.1-3), as its etcdctl prints them. */
const MEMBERS3 = JSON.stringify({
  header: { cluster_id: 1 },
  members: [1, 2, 3].map((i) => ({ ID: 1000 + i, name: `etcd${i}`, peerURLs: [`https://10.0.1.${i}:2380`], clientURLs: [`https://10.0.1.${i}:2379`] })),
});

/** w1's kubespray kubelet files as the masters' step 1 reads them (kubelet.env and kubelet-config.yaml there, their text). */
function kubesprayKubeletOnW1(f: FakeTransport): void {
  f.on(/for f; do \[ -f "\$f" \] \|\| echo "\$f"; done; exit 0' sh \/etc\/kubernetes\/kubelet\.env/, {
    stdout: '/etc/kubernetes/kubelet.env\n/etc/kubernetes/kubelet-config.yaml\n',
  });
  kubesprayKubeletTextOfW1(f);
}

/** The text of w1's kubelet.env and kubelet-config.yaml (kubespray's templates, rendered for w1). */
function kubesprayKubeletTextOfW1(f: FakeTransport): void {
  f.on(
    /cat "\$1"; else exit 3; fi' sh \/etc\/kubernetes\/kubelet\.env$/,
    {
      stdout:
        'KUBELET_ADDRESS="--node-ip=10.0.2.1"\nKUBELET_HOSTNAME="--hostname-override=w1"\nKUBELET_ARGS="--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf \\\n--config=/etc/kubernetes/kubelet-config.yaml \\\n--kubeconfig=/etc/kubernetes/kubelet.conf"\n',
    },
    'w1',
  );
  f.on(
    /cat "\$1"; else exit 3; fi' sh \/etc\/kubernetes\/kubelet-config\.yaml$/,
    { stdout: 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\naddress: "10.0.2.1"\nstaticPodPath: /etc/kubernetes/manifests\n' },
    'w1',
  );
}

test("kubespray's sample shape, 3 masters that are its etcd members: planned as a full rebuild that keeps etcd; m2 and m3 join with control-plane-prepare and control-plane-join (etcd.external: no member added), their kubelet.conf made right after prepare, no etcd step", async (t) => {
  const r = await plan({ m1: SPRAY_M1, m2: SPRAY_M1, m3: SPRAY_M1, w1: SPRAY_W1 }, kubesprayConfig(), undefined, [3, 1], (f) => {
    f.on(/kubespray_etcdctl member list -w json/, { stdout: MEMBERS3 });
    kubesprayKubeletOnW1(f);
  });
  t.is(r.result.exitCode, 0, JSON.stringify(r.result.failures));
  const phase = (id: string) => r.plan.phases.find((p) => p.id === id)!;
  t.regex(phase('facts/shape').notes!.join('\n'), /layout: kubespray's/);
  const path = phase('facts/path').notes!.join('\n');
  t.regex(path, /path: full-rebuild .*etcd is kubespray's service/);
  t.regex(path, /kubespray's etcd before the repair: 3 members/);
  for (const id of ['etcd/ca', 'etcd/ca-copy', 'etcd/start']) t.truthy(phase(id).skipped, `${id} does not run`);
  t.deepEqual(
    phase('masters/clean')
      .hosts.filter((h) => h.steps.some((s) => s.mutating))
      .map((h) => h.host),
    ['m1', 'm2', 'm3'],
    'every master cleaned; w1 only read (its kubelet files are the model)',
  );
  for (const m of ['m2', 'm3']) {
    const steps = phase('others/join')
      .hosts.find((h) => h.host === m)!
      .steps.map((s) => s.command);
    const prepare = steps.findIndex((c) => /kubeadm join phase control-plane-prepare all/.test(c));
    const kubelet = steps.findIndex((c) => /^kubeadm init phase kubeconfig kubelet --config /.test(c));
    const join = steps.findIndex((c) => /^kubeadm join phase control-plane-join all --control-plane --node-name /.test(c));
    t.true(prepare >= 0 && prepare < kubelet && kubelet < join, steps.join('\n'));
    const clean = phase('masters/clean')
      .hosts.find((h) => h.host === m)!
      .steps.map((s) => s.command)
      .join('\n');
    t.regex(clean, /systemctl restart kubelet/, `${m}: kubespray's kubelet restarted on its files at step 1`);
  }
  const all = r.plan.phases.flatMap((p) => p.hosts.flatMap((h) => h.steps.map((s) => `${h.host} ${s.command}`)));
  t.false(
    all.some((c) => /kubeadm .*(certs etcd-|phase etcd local|control-plane-join etcd)|etcd\/ca\.(crt|key)$|member (add|remove)/.test(c)),
    all.filter((c) => /etcd/.test(c)).join('\n'),
  );
  t.false(
    all.some((c) => /crictl exec/.test(c)),
    "nothing asks an etcd container: there is none on kubespray's layout",
  );
});

test("kubespray's etcd group m1, e1 (e1 etcd only) and m2 a master outside it: planned as a full rebuild that keeps etcd; e1 only read (archived, no PKI fact, no node row); etcd asked on m1 with 2 members expected; m2 joins without download-certs (the CA files copied from m1, then certs, kubeconfig, control-plane), m1's etcd pair never written on m2", async (t) => {
  const fake = new FakeTransport();
  for (const [host, stdout] of Object.entries({ m1: SPRAY_M1, m2: '/etc/ssl/etcd/ssl\n', w1: SPRAY_W1, e1: SPRAY_M1 })) fake.on(SHAPE, { stdout }, host);
  const two = JSON.stringify({
    header: { cluster_id: 1 },
    members: [
      { ID: 1001, name: 'etcd1', peerURLs: ['https://10.0.1.1:2380'], clientURLs: ['https://10.0.1.1:2379'] },
      { ID: 1002, name: 'etcd2', peerURLs: ['https://10.0.3.1:2380'], clientURLs: ['https://10.0.3.1:2379'] },
    ],
  });
  fake.on(/kubespray_etcdctl member list -w json/, { stdout: two }, 'm1');
  kubesprayKubeletOnW1(fake);
  const base = fakeInventory(2, 1);
  const e1 = { ...base.hosts.find((h) => h.name === 'w1')!, name: 'e1', role: 'etcd' as const, address: '10.0.3.1' };
  const inv = {
    ...base,
    kubeadmConfig: kubesprayConfig(),
    hosts: [...base.hosts, e1],
    etcd: {
      placement: 'separate' as const,
      members: ['m1', 'e1'],
      reason: 'separate from the masters: e1 runs etcd and is not a master; master m2 runs no etcd',
      deploymentType: 'host',
    },
    groups: { etcd: ['m1', 'e1'], kube_control_plane: ['m1', 'm2'], kube_node: ['w1'] },
  };
  const { plan: p, result } = await buildPlan({
    playbook: recover,
    inventory: inv,
    transport: fake,
    options: parseOptions(recover.options, {}, 'recover'),
    stateDir: tempDir('/tmp/kubemend-shape-'),
  });
  t.is(result.exitCode, 0, JSON.stringify(result.failures));
  const phase = (id: string) => p.phases.find((x) => x.id === id)!;
  t.regex(phase('facts/shape').notes!.join('\n'), /layout: kubespray's \(etcd a systemd service on its etcd group \(m1, e1\)/);
  const path = phase('facts/path').notes!.join('\n');
  t.regex(path, /e1: etcd only \(kubespray's etcd service, not a Kubernetes node\): nothing there changes/);
  t.regex(path, /path: full-rebuild .*masters rebuilt: m1, m2$/m);
  t.regex(path, /kubespray's etcd before the repair: 2 members .* files in \/etc\/ssl\/etcd\/ssl on m1, m2, e1/);
  const e1Changes = p.phases.flatMap((x) =>
    x.hosts.filter((h) => h.host === 'e1').flatMap((h) => h.steps.filter((s) => s.mutating).map((s) => `${x.id}: ${s.command}`)),
  );
  t.true(
    e1Changes.every((c) => c.startsWith('backup/archive: ')),
    `on e1 only the backup's archive is written: ${e1Changes.join('\n')}`,
  );
  t.regex(e1Changes.join('\n'), /etc\/ssl\/etcd etc\/etcd\.env etc\/systemd\/system\/etcd\.service/, "e1's etcd files archived");
  const m2 = phase('others/join')
    .hosts.find((h) => h.host === 'm2')!
    .steps.map((s) => s.command);
  const copy = m2.findIndex((c) => /\/etc\/kubernetes\/pki\/ca\.key/.test(c));
  const certs = m2.findIndex((c) => /kubeadm join phase control-plane-prepare certs/.test(c));
  const kubeconfig = m2.findIndex((c) => /kubeadm join phase control-plane-prepare kubeconfig/.test(c));
  const manifests = m2.findIndex((c) => /kubeadm join phase control-plane-prepare control-plane/.test(c));
  const join = m2.findIndex((c) => /^kubeadm join phase control-plane-join all --control-plane --node-name m2 /.test(c));
  t.true(copy >= 0 && copy < certs && certs < kubeconfig && kubeconfig < manifests && manifests < join, m2.join('\n'));
  t.false(
    m2.some((c) => /control-plane-prepare (all|download-certs)|etcd\/ca\.|\/etc\/ssl\/etcd/.test(c)),
    "no download-certs on m2 (it would write m1's etcd pair through the node-m1.pem link), no etcd CA, nothing in /etc/ssl/etcd",
  );
  const all = p.phases.flatMap((x) => x.hosts.flatMap((h) => h.steps.map((s) => `${h.host} ${s.command}`)));
  t.false(
    all.some((c) => /kubeadm .*(certs etcd-|phase etcd local|control-plane-join etcd)|member (add|remove)/.test(c)),
    all.filter((c) => /etcd/.test(c)).join('\n'),
  );
});

test("rebuild-one on kubespray's layout (m2 lost its PKI, m1 and m3 hold it): m2 rebuilt from m1 without any etcd CA, certificate, manifest or member change; the others untouched", async (t) => {
  const CA = 'sha256 Fingerprint=AA:BB:CC';
  const whole = `${['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'sa.key', 'sa.pub'].map((f) => `file ${f}`).join('\n')}\nfp ca.crt ${CA}\n`;
  const r = await plan({ m1: SPRAY_M1, m2: SPRAY_M1, m3: SPRAY_M1, w1: SPRAY_W1 }, kubesprayConfig(), undefined, [3, 1], (f) => {
    f.on(/kubespray_etcdctl member list -w json/, { stdout: MEMBERS3 });
    for (const h of ['m1', 'm3']) f.on(/cd "\$1" 2>\/dev\/null \|\| exit 0; .* sh \/etc\/kubernetes\/ssl ca\.crt/, { stdout: whole }, h);
    f.on(/cd "\$1" 2>\/dev\/null \|\| exit 0; .* sh \/etc\/kubernetes\/ssl ca\.crt/, { stdout: `fp ca.crt ${CA}\nfile ca.crt\n` }, 'w1');
    f.on(/for f; do \[ -f "\$f" \] \|\| exit 1; done' sh \/etc\/kubernetes\/admin\.conf/, { exitCode: 1 }, 'm2');
  });
  t.is(r.result.exitCode, 0, JSON.stringify(r.result.failures));
  const phase = (id: string) => r.plan.phases.find((p) => p.id === id)!;
  t.regex(phase('facts/path').notes!.join('\n'), /path: rebuild-one \(m2 lost their PKI; m1 still holds the CA; etcd is kubespray's service .*kept as it is\)/);
  const mutating = (id: string) =>
    phase(id)
      .hosts.filter((h) => h.steps.some((s) => s.mutating))
      .map((h) => h.host);
  t.deepEqual(mutating('masters/clean'), ['m2']);
  t.deepEqual(mutating('rebuild-one/master'), ['m2']);
  t.deepEqual(mutating('others/join'), [], 'no join on rebuild-one');
  const steps = phase('rebuild-one/master')
    .hosts.find((h) => h.host === 'm2')!
    .steps.map((s) => s.command);
  t.true(
    steps.some((c) => /^mkdir -p -m 0755 \/etc\/kubernetes\/pki$/.test(c)),
    steps.join('\n'),
  );
  t.true(
    steps.some((c) => /upload \/etc\/kubernetes\/pki\/ca\.key/.test(c)),
    steps.join('\n'),
  );
  t.true(steps.some((c) => /^kubeadm init phase kubeconfig all --config /.test(c)));
  t.true(steps.some((c) => /^kubeadm init phase control-plane all --config /.test(c)));
  const all = r.plan.phases.flatMap((p) => p.hosts.flatMap((h) => h.steps.map((s) => `${h.host} ${s.command}`)));
  t.false(
    all.some((c) =>
      /upload .*etcd|copy .*etcd|mkdir .*pki\/etcd|kubeadm .*(certs etcd-|phase etcd local|control-plane-join etcd)|member (add|remove)|crictl exec/.test(c),
    ),
    all.filter((c) => /etcd/.test(c)).join('\n'),
  );
});
