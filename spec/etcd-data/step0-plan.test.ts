/**
 * recover's step 0 when only etcd's data holds the config (no inventory file, no backup, the API
 * down), planned against the fake transport serving a db file made by the real etcd: the members
 * are read in place and checked against the inventory (a mismatch refused, nothing sent but
 * reads), the ConfigMaps read offline, the source named with the revision; the plan starts nothing.
 */
import test from 'ava';
import { tempDir } from '../helpers/tmp.js';
import { buildPlan } from '../../lib/core/plan.js';
import { parseOptions } from '../../lib/core/options.js';
import recover from '../../playbooks/recover.js';
import { KUBEADM_CONFIG_KEY, KUBELET_CONFIG_KEY } from '../../lib/etcd-data/configmaps.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';
import { dbFileWith } from './real-etcd.js';
import { KUBELET_CONFIGURATION, clusterConfigurationText, jsonConfigMap, protoConfigMap } from './proto-fixture.js';

/** A db made by the real etcd whose one member is m1 at 10.0.1.1 (fakeInventory's first master). */
function labDb(): Promise<Buffer> {
  return dbFileWith('m1', 'https://10.0.1.1:2380', [
    [KUBEADM_CONFIG_KEY, protoConfigMap('kube-system', 'kubeadm-config', { ClusterConfiguration: clusterConfigurationText('v1beta3', '10.0.1.1:6443') })],
    [KUBELET_CONFIG_KEY, jsonConfigMap('kube-system', 'kubelet-config', { kubelet: KUBELET_CONFIGURATION })],
  ]);
}

/** The fake host m1 with that db (read by dd ranges and by download), no API, and the etcd image in containerd. */
function fakeWith(db: Buffer): FakeTransport {
  const fake = new FakeTransport();
  fake.on(/get configmap kubeadm-config/, { exitCode: 1, stderr: 'The connection to the server 10.0.1.1:6443 was refused' });
  fake.on(
    /pgrep -x etcd/,
    {
      stdout: `db ${db.length}\nneed 200\nfree 9000000\netcd \nctr yes\nimage registry.k8s.io/etcd:3.5.15-0\nimage registry.k8s.io/etcd:3.5.16-0\nimage sha256:abcd\n`,
    },
    'm1',
  );
  fake.on(
    /^sh -c 'dd if=/,
    (_h, cmd) => {
      const [off, len] = cmd.trim().split(/\s+/).slice(-2).map(Number);
      return { stdout: db.subarray(off, off + len).toString('base64') };
    },
    'm1',
  );
  fake.files.set('m1:/var/lib/etcd/member/snap/db', db);
  return fake;
}

test('only etcd data: members checked, the ConfigMaps read offline in the plan, the source named; nothing started', async (t) => {
  const db = await labDb();
  const fake = fakeWith(db);
  const { plan, result } = await buildPlan({
    playbook: recover,
    inventory: fakeInventory(1, 1),
    transport: fake,
    options: parseOptions(recover.options, {}, 'recover'),
    stateDir: tempDir('/tmp/kubemend-etcd-plan-'),
  });
  const notes = (plan.phases.find((p) => p.id === 'facts/config')?.notes ?? []).join('\n');
  t.regex(notes, /etcd members in the data on m1: m1 https:\/\/10\.0\.1\.1:2380 \(match the inventory\)/);
  t.regex(notes, /the run reads it through a throwaway etcd from registry\.k8s\.io\/etcd:3\.5\.16-0 on a copy/, 'the newest etcd image');
  t.regex(
    notes,
    /ClusterConfiguration kubeadm\.k8s\.io\/v1beta3 and KubeletConfiguration from etcd data on m1, revision 3 \(kubeadm-config mod_revision 2, kubelet-config 3; protobuf\/json; offline read of \/var\/lib\/etcd\/member\/snap\/db; writes still only in the WAL/,
  );
  t.not(result.stoppedAt, 'facts/config', JSON.stringify(result.failures));
  const sent = fake.calls.filter((c) => c.host === 'm1' && step0(c.command));
  t.false(
    sent.some((c) => /ctr -n k8s\.io run|cp -a/.test(c.command)),
    'the plan sends no container run and no copy',
  );
  t.true(fake.calls.some((c) => c.op === 'download' && c.command === '/var/lib/etcd/member/snap/db'));
  // the dd reads of the members are a few pages, never the whole file
  const dd = fake.calls.filter((c) => /^sh -c 'dd if=/.test(c.command));
  t.true(dd.length > 0 && dd.length <= 6, `${dd.length} range reads`);
});

/** A step-0 command (probe, dd, download). */
const step0 = (c: string) => /pgrep -x etcd|dd if=|snap\/db/.test(c);

test('members that do not match the inventory are refused, naming each mismatch; nothing but reads reaches a host', async (t) => {
  const db = await labDb();
  const fake = fakeWith(db);
  const { result } = await buildPlan({
    playbook: recover,
    inventory: fakeInventory(3, 1),
    transport: fake,
    options: parseOptions(recover.options, {}, 'recover'),
    stateDir: tempDir('/tmp/kubemend-etcd-plan-'),
  });
  t.is(result.stoppedAt, 'facts/config');
  const msg = JSON.stringify(result.failures);
  t.regex(msg, /the etcd data on m1 names members that do not match the inventory; nothing was changed/);
  t.regex(msg, /master m2 \(10\.0\.1\.2\) is not an etcd member in the data \(members: m1\)/);
  t.regex(msg, /master m3 \(10\.0\.1\.3\) is not an etcd member/);
  t.false(
    fake.calls.some((c) => c.op === 'download'),
    'the ConfigMaps were not read',
  );
});
