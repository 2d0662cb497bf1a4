/**
 * The kubeadm files kubemend writes (lib/kubeadm/config.ts): the API version per kubeadm version,
 * the kubelet's earlier flags kept as kubeletExtraArgs in the shape of each version, the secret
 * fields of Init/JoinConfiguration (cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go), and the script
 * that gives kubeadm its config on stdin (never a secret on the command line).
 */
import test from 'ava';
import { parse } from 'yaml';
import { Secret } from '../../lib/shell/secret.js';
import { apiFor, initConfiguration, joinConfiguration, keepRegistration, kubeadmVersion, parseKubeletFlagsEnv } from '../../lib/kubeadm/config.js';
import { kubeadmConfigScript } from '../../lib/kubeadm/run.js';
import { parseMemberList } from '../../lib/facts/etcd.js';

const FLAGS =
  'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.10 --node-ip=10.9.0.7 --node-labels=zone=a,disk=ssd"\n';

test('kubeadm version -o short picks the config API: v1beta4 from 1.31, v1beta3 before and when unknown', (t) => {
  const v = (s: string) => kubeadmVersion.parse(s, 0);
  t.deepEqual(v('v1.32.4\n'), { major: 1, minor: 32, text: 'v1.32.4' });
  t.is(apiFor(v('v1.32.4')), 'kubeadm.k8s.io/v1beta4');
  t.is(apiFor(v('v1.31.0')), 'kubeadm.k8s.io/v1beta4');
  t.is(apiFor(v('v1.30.9')), 'kubeadm.k8s.io/v1beta3');
  t.is(apiFor(v('v1.28.15')), 'kubeadm.k8s.io/v1beta3');
  t.is(v(''), null);
  t.is(apiFor(null), 'kubeadm.k8s.io/v1beta3');
});

test('kubeadm-flags.env: every flag kept; the runtime endpoint becomes criSocket, the rest kubeletExtraArgs', (t) => {
  const flags = parseKubeletFlagsEnv(FLAGS);
  t.deepEqual(
    flags.map((f) => f.name),
    ['container-runtime-endpoint', 'pod-infra-container-image', 'node-ip', 'node-labels'],
  );
  t.is(flags.find((f) => f.name === 'node-labels')?.value, 'zone=a,disk=ssd');
  const r = keepRegistration('w1', flags);
  t.is(r.criSocket, 'unix:///var/run/containerd/containerd.sock');
  t.deepEqual(r.kubeletExtraArgs, [
    { name: 'pod-infra-container-image', value: 'registry.k8s.io/pause:3.10' },
    { name: 'node-ip', value: '10.9.0.7' },
    { name: 'node-labels', value: 'zone=a,disk=ssd' },
  ]);
  t.deepEqual(parseKubeletFlagsEnv(''), []);
  t.deepEqual(keepRegistration('w1', []), { name: 'w1', kubeletExtraArgs: [] });
});

test('JoinConfiguration: token, CA pin and certificate key in the documented fields; kubeletExtraArgs a list in v1beta4, a map in v1beta3', (t) => {
  const token = new Secret('t', 'abcdef.0123456789abcdef');
  const key = new Secret('k', 'a'.repeat(64));
  const registration = keepRegistration('m2', parseKubeletFlagsEnv(FLAGS));
  for (const api of ['kubeadm.k8s.io/v1beta4', 'kubeadm.k8s.io/v1beta3'] as const) {
    const doc = parse(
      joinConfiguration({
        api,
        registration,
        endpoint: '10.0.1.1:6443',
        token,
        caCertHash: 'sha256:f00d',
        controlPlane: { advertiseAddress: '10.0.1.2', certificateKey: key },
      }),
    );
    t.is(doc.apiVersion, api);
    t.is(doc.kind, 'JoinConfiguration');
    t.deepEqual(doc.discovery, { bootstrapToken: { apiServerEndpoint: '10.0.1.1:6443', token: 'abcdef.0123456789abcdef', caCertHashes: ['sha256:f00d'] } });
    t.deepEqual(doc.controlPlane, { localAPIEndpoint: { advertiseAddress: '10.0.1.2', bindPort: 6443 }, certificateKey: key.reveal() });
    t.is(doc.nodeRegistration.name, 'm2');
    t.is(doc.nodeRegistration.criSocket, 'unix:///var/run/containerd/containerd.sock');
    const extra = doc.nodeRegistration.kubeletExtraArgs;
    if (api === 'kubeadm.k8s.io/v1beta4')
      t.deepEqual(
        extra.find((e: any) => e.name === 'node-ip'),
        { name: 'node-ip', value: '10.9.0.7' },
      );
    else t.is(extra['node-ip'], '10.9.0.7');
  }
  const worker = parse(
    joinConfiguration({ api: 'kubeadm.k8s.io/v1beta4', registration: { name: 'w1', kubeletExtraArgs: [] }, endpoint: 'e:6443', token, caCertHash: 'sha256:1' }),
  );
  t.false('controlPlane' in worker, 'a worker join has no controlPlane');
  t.false('kubeletExtraArgs' in worker.nodeRegistration);
});

test('InitConfiguration: certificateKey and bootstrapTokens (without a token value: kubeadm generates it)', (t) => {
  const doc = parse(
    initConfiguration({
      api: 'kubeadm.k8s.io/v1beta4',
      registration: { name: 'm1', kubeletExtraArgs: [] },
      advertiseAddress: '10.0.1.1',
      certificateKey: new Secret('k', 'b'.repeat(64)),
      bootstrapTokens: [{ description: 'kubemend run r: x', ttl: '15m0s' }],
    }),
  );
  t.is(doc.certificateKey, 'b'.repeat(64));
  t.deepEqual(doc.bootstrapTokens, [{ description: 'kubemend run r: x', ttl: '15m0s' }]);
  t.deepEqual(doc.localAPIEndpoint, { advertiseAddress: '10.0.1.1', bindPort: 6443 });
});

test('the config script: file made by mktemp under umask 077 in /run, filled from stdin, removed by an EXIT trap; kubeadm words quoted', (t) => {
  const s = kubeadmConfigScript(['join', 'phase', 'kubelet-start']);
  t.regex(s, /umask 077/);
  t.regex(s, /f=\$\(mktemp \/run\/kubemend-kubeadm\.X+\)/);
  t.regex(s, /trap 'rm -f "\$f"' EXIT/);
  t.regex(s, /cat > "\$f"/);
  t.regex(s, /^kubeadm join phase kubelet-start --config "\$f"$/m);
  t.true(s.indexOf('trap') < s.indexOf('cat >'), 'the trap is set before the file is filled');
});

test('etcdctl member list -w json: 64-bit ids read exactly, as hex', (t) => {
  const out =
    '{"header":{"cluster_id":1},"members":[{"ID":17361924734391449000,"name":"m1","peerURLs":["https://10.0.1.1:2380"],"clientURLs":["https://10.0.1.1:2379"]},{"ID":12345678901234567890,"name":"m2","peerURLs":["https://10.0.1.2:2380"],"isLearner":true}]}';
  const m = parseMemberList(out);
  t.deepEqual(
    m.map((x) => x.id),
    [BigInt('17361924734391449000').toString(16), BigInt('12345678901234567890').toString(16)],
  );
  t.deepEqual(
    m.map((x) => [x.name, x.isLearner]),
    [
      ['m1', false],
      ['m2', true],
    ],
  );
  t.throws(() => parseMemberList('Error: context deadline exceeded'), { message: /printed no JSON/ });
});
