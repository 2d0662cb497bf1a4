/**
 * One master's PKI lost (`break pki-wipe-one`) on a 3 + 2 lab cluster (net 93), over real SSH: recover
 * takes the rebuild-one path, rebuilds the lost master from the others with the CA kept, and restarts
 * no pod; then the same with the master's etcd data lost too: the stale member is removed and the
 * master rejoins etcd as a new member, never as a one-member cluster. The masters run DaemonSets whose
 * containers are named `etcd-backup` and `etcd` (namespace apps, spec/recover/scenario.ts) and a
 * kube-vip static pod that is not kubeadm's: the wipe takes the lost master's manifest, recover puts it
 * back from its newest backup (`kubemend run backup` before the wipe), and the others' never stop.
 * Its own lab, so that it runs beside spec/recover/recover.test.ts (the full rebuild and replace-ca);
 * the tests run in order, each from the healthy cluster the one before left.
 */
import test from 'ava';
import { tempDir } from '../helpers/tmp.js';
import { downSharedLab, requireRoot, sharedLab } from '../helpers/lab.js';
import { MAIN, cli } from '../cli/run-cli.js';
import { addKubeVip, addMasterWorkloads, etcdClusterId, etcdMembers, kubeVipIds } from './scenario.js';
import { assertNoJoinSecrets, assertProof, clusterCa, labOf, recover, startTimes, status } from './recover-lab.js';

const LAB = labOf(93);

/** The marker object lab up made (etcd data kept: it survives every repair). */
let marker: string | undefined;

test.before(async () => {
  if (process.getuid?.() !== 0) return;
  const lab = await sharedLab(LAB);
  await addMasterWorkloads(lab);
  await addKubeVip(lab);
  // the operator's backup before the disaster: recover puts kube-vip's manifest back from it
  const backup = await cli(MAIN, ['run', 'backup', '-i', lab.inventoryPath, '--yes', '--state-dir', tempDir('/tmp/kubemend-rebuild-one-backup-')]);
  if (backup.code !== 0) throw new Error(`kubemend run backup: exit ${backup.code}: ${(backup.stdout + backup.stderr).slice(-2000)}`);
  marker = (await status(lab)).marker;
});

test.serial('pki-wipe-one: the lost master rebuilt from the others, the CA kept, no pod restarted', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await sharedLab(LAB);
  const before = await status(lab);
  const ca = clusterCa(before);
  const vip = await kubeVipIds(lab);
  t.is((await lab.lab(['break', 'pki-wipe-one'])).code, 0);
  const r = await recover(lab);
  t.is(r.code, 0, r.out.slice(-4000));
  t.regex(r.out, /path: rebuild-one/);
  t.notRegex(r.out, /rollout restart|evicted pod|restarted \d+ pods/);
  assertProof(t, r);
  const s = await status(lab);
  t.true(s.healthy, s.problems.join('; '));
  t.deepEqual(clusterCa(s), ca, 'the same CA');
  t.deepEqual(startTimes(s), startTimes(before), 'every workload pod kept running');
  // the wipe took m2's kube-vip manifest: put back from its newest backup; the others never stopped
  t.regex(r.out, /m2.*put back \/etc\/kubernetes\/manifests\/kube-vip\.yaml/);
  const now = await kubeVipIds(lab);
  t.truthy(now.m2, "m2's kube-vip runs again");
  t.is(now.m1, vip.m1, "m1's kube-vip kept running");
  t.is(now.m3, vip.m3, "m3's kube-vip kept running");
  await assertNoJoinSecrets(t, lab, r);
});

test.serial(
  'pki-wipe-one whose etcd data is lost too: the stale member removed, the master rejoins etcd as a new member, never a one-member cluster',
  async (t) => {
    if (!requireRoot(t)) return;
    const lab = await sharedLab(LAB);
    const before = await status(lab);
    const old = (await etcdMembers(lab)).find((m) => m.name === 'm3');
    t.truthy(old, 'm3 is an etcd member');
    t.is((await lab.lab(['break', 'pki-wipe-one', '--hosts', 'm3'])).code, 0);
    // the disk lost the data too (the lab's doing, as the disaster's: no playbook touches /var/lib/etcd)
    t.is((await lab.exec('m3', ['rm', '-rf', '/var/lib/etcd/member'])).code, 0);
    const r = await recover(lab);
    t.is(r.code, 0, r.out.slice(-4000));
    t.regex(r.out, /path: rebuild-one/);
    t.regex(r.out, /etcd data of m3 is gone: its stale member removed/);
    assertProof(t, r);
    const members = await etcdMembers(lab);
    t.is(members.length, 3, members.map((m) => m.name).join(', '));
    t.false(
      members.some((m) => m.isLearner),
      'no learner left',
    );
    const m3 = members.find((m) => m.name === 'm3');
    t.truthy(m3);
    t.not(m3?.id, old?.id, 'm3 is a new member');
    t.is(await etcdClusterId(lab, 'm3'), await etcdClusterId(lab, 'm1'), "m3's member is in m1's cluster");
    const s = await status(lab);
    t.true(s.healthy, s.problems.join('; '));
    t.truthy(marker, 'lab up made its marker object');
    t.is(s.marker, marker, 'the marker object survived');
    t.deepEqual(startTimes(s), startTimes(before), 'every workload pod kept running');
    await assertNoJoinSecrets(t, lab, r);
  },
);

// the lab is taken down when the file is done (KEEP_LAB=1 keeps it, to read its logs)
test.after.always(async () => {
  await downSharedLab(LAB);
});
