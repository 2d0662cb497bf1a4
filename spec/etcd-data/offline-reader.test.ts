/**
 * The offline reader against a bbolt file made by the real etcd (Debian's, on 127.0.0.1 with a
 * temp data dir): the ConfigMaps put through etcd (one JSON, one protobuf), read back from
 * `member/snap/db` after etcd stopped, equal what etcdctl returned while it ran; the newest
 * revision wins, a deleted key is deleted, members match `etcdctl member list`.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BoltReader, bufferReader } from '../../lib/etcd-data/bbolt.js';
import { readMembers, scanKeys } from '../../lib/etcd-data/mvcc.js';
import { KUBEADM_CONFIG_KEY, KUBELET_CONFIG_KEY, configFromValues } from '../../lib/etcd-data/configmaps.js';
import { startEtcd } from './real-etcd.js';
import { KUBELET_CONFIGURATION, clusterConfigurationText, jsonConfigMap, protoConfigMap } from './proto-fixture.js';

const GONE = '/registry/configmaps/default/gone';
const BIG = '/registry/configmaps/default/big';

test('a db file written by the real etcd reads as etcdctl reads it', async (t) => {
  const etcd = await startEtcd('m1');
  t.teardown(() => etcd.remove());
  try {
    // an older ClusterConfiguration first: only the newest revision may come back
    await etcd.put(
      KUBEADM_CONFIG_KEY,
      jsonConfigMap('kube-system', 'kubeadm-config', { ClusterConfiguration: clusterConfigurationText('v1beta3', '10.9.9.9:6443') }),
    );
    // enough other keys for a tree of branch pages, and one value larger than a page (overflow)
    for (let i = 0; i < 1500; i++) await etcd.put(`/registry/secrets/apps/s${String(i).padStart(5, '0')}`, Buffer.alloc(600, i % 251));
    await etcd.put(BIG, jsonConfigMap('default', 'big', { blob: 'x'.repeat(20_000) }));
    await etcd.put(KUBEADM_CONFIG_KEY, jsonConfigMap('kube-system', 'kubeadm-config', { ClusterConfiguration: clusterConfigurationText('v1beta3') }));
    await etcd.put(KUBELET_CONFIG_KEY, protoConfigMap('kube-system', 'kubelet-config', { kubelet: KUBELET_CONFIGURATION }));
    await etcd.put(GONE, jsonConfigMap('default', 'gone', { a: 'b' }));
    await etcd.del(GONE);

    const got = JSON.parse(await etcd.etcdctl('get', '--prefix', '/registry/configmaps/', '-w', 'json'));
    // member ids are uint64: kept as text (JSON numbers lose them past 2^53)
    const members = JSON.parse((await etcd.etcdctl('member', 'list', '-w', 'json')).replace(/"ID":(\d+)/g, '"ID":"$1"'));
    await etcd.stop();

    const db = await BoltReader.open(bufferReader(readFileSync(join(etcd.dataDir, 'member/snap/db'))), 'member/snap/db');
    t.true((await db.buckets()).includes('key'));
    const scan = await scanKeys(db, [KUBEADM_CONFIG_KEY, KUBELET_CONFIG_KEY, GONE, BIG]);
    t.is(scan.revision, Number(got.header.revision), "the store's revision is etcdctl's header revision");
    t.true(scan.deleted.has(GONE), 'the deleted key is deleted');
    t.false(scan.found.has(GONE));
    for (const kv of got.kvs as Array<{ key: string; value: string; mod_revision: number; create_revision: number; version: number }>) {
      const key = Buffer.from(kv.key, 'base64').toString();
      const mine = scan.found.get(key);
      t.truthy(mine, `${key} found`);
      t.deepEqual(mine?.value, Buffer.from(kv.value, 'base64'), `${key}: the same bytes as etcdctl`);
      t.is(mine?.modRevision, Number(kv.mod_revision), `${key}: mod_revision`);
      t.is(mine?.createRevision, Number(kv.create_revision), `${key}: create_revision`);
      t.is(mine?.version, Number(kv.version), `${key}: version`);
    }
    const kubeadm = scan.found.get(KUBEADM_CONFIG_KEY)!;
    const kubelet = scan.found.get(KUBELET_CONFIG_KEY)!;
    const cfg = configFromValues(kubeadm, kubelet);
    t.is(cfg.clusterConfiguration, clusterConfigurationText('v1beta3'), 'the newest ClusterConfiguration, not the first one');
    t.is(cfg.kubeletConfiguration, KUBELET_CONFIGURATION);
    t.deepEqual(cfg.encodings, ['json', 'protobuf']);

    const mine = await readMembers(db);
    t.deepEqual(
      mine.map((m) => ({ id: BigInt('0x' + m.id).toString(), name: m.name, peerURLs: m.peerURLs })),
      members.members.map((m: { ID: number | string; name: string; peerURLs: string[] }) => ({
        id: BigInt(m.ID).toString(),
        name: m.name,
        peerURLs: m.peerURLs,
      })),
    );
    t.deepEqual(
      mine.map((m) => m.name),
      ['m1'],
    );
  } finally {
    await etcd.stop();
  }
});

test('a file that is not bbolt is refused with its name', async (t) => {
  await t.throwsAsync(BoltReader.open(bufferReader(Buffer.alloc(8192, 7)), '/var/lib/etcd/member/snap/db'), {
    message: /\/var\/lib\/etcd\/member\/snap\/db: not a bbolt file/,
  });
  await t.throwsAsync(BoltReader.open(bufferReader(Buffer.alloc(10)), 'db'), { message: /db: not a bbolt file \(10 bytes\)/ });
});
