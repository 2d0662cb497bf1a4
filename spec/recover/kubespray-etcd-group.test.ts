/**
 * kubespray's etcd group apart from the masters, in kubespray-shaped lab clusters (`scripts/lab up
 * --layout kubespray --etcd-hosts N [--etcd-masters K]`), each repaired from kubespray's own
 * inventory (its `etcd` group): etcd also on e1, a host that is not a master (`--etcd-hosts 1`):
 * recover repairs it, nothing on e1 changed (its certificates archived first), and an inventory
 * that leaves e1 out is refused; m2, a master outside the etcd group (`--etcd-masters 1`): m2 joins
 * without download-certs, its /etc/ssl/etcd (kubespray's node-m1.pem links to its own pair)
 * unchanged; the same shape when only m2's PKI is lost (pki-wipe-one: m2 rebuilt from m1, etcd asked
 * on m1, nothing of /etc/ssl/etcd written); and etcd on its own three hosts with no master in the
 * group (`--etcd-masters 0 --etcd-hosts 3`, a dedicated etcd cluster). Each test has its own lab and
 * takes it down. spec/recover/kubespray.test.ts has the masters-are-the-etcd-group shapes.
 */
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { requireRoot, sharedLab } from '../helpers/lab.js';
import { MAIN, cli } from '../cli/run-cli.js';
import { etcdMembers, homeWithKnownHosts, untouched, workloads, workloadsKept, etcdFilesAndModes, doctorThenRecover, caOf } from './kubespray-lab.js';
import { LAB_PROOF } from './recover-lab.js';

/** The same with etcd also on e1, a host that is neither master nor worker (kubespray's etcd group: m1, e1). */
const SEPARATE = { masters: 1, workers: 1, etcdHosts: 1, net: 64, layout: 'kubespray' as const };
/** kubespray's etcd group m1, e1 with m2 a master outside it (`--etcd-masters 1`): kubespray gives m2 ca.pem, its node pair and node-m1.pem links to that pair. */
const OUTSIDE = { masters: 2, workers: 1, etcdHosts: 1, etcdMasters: 1, net: 68, layout: 'kubespray' as const };
/** The same shape for the loss of m2's PKI alone (its own lab). */
const OUTSIDE_ONE = { ...OUTSIDE, net: 69 };
/** kubespray's etcd on its own hosts only (the etcd group e1-e3, no master in it), as a dedicated etcd cluster is laid out. */
const ETCD_ONLY = { masters: 2, workers: 1, etcdHosts: 3, etcdMasters: 0, net: 73, layout: 'kubespray' as const };

test.serial(
  "etcd also on a host that is not a master (--etcd-hosts 1: the etcd group m1, e1): after a pki-wipe, recover with kubespray's inventory repairs it, nothing on e1 changed, etcd and workloads kept; an inventory without the etcd group is refused",
  async (t) => {
    if (!requireRoot(t)) return;
    const lab = await sharedLab(SEPARATE);
    t.teardown(() => lab.down());
    const inv = join(lab.dir, 'kubespray', 'inventory.ini');
    const shown = await cli(MAIN, ['inventory', '-i', inv, '--json']);
    t.is(shown.code, 0, shown.stderr);
    t.like(JSON.parse(shown.stdout).etcd, { placement: 'separate', members: ['m1', 'e1'], deploymentType: 'host' });
    t.is((await lab.exec('e1', ['systemctl', 'is-active', 'etcd'])).stdout.trim(), 'active');
    const ca = await caOf(lab, 'm1');
    const before = await workloads(lab);

    const broken = await lab.lab(['break', 'pki-wipe']);
    t.is(broken.code, 0, broken.stderr);
    const members = await etcdMembers(lab);
    t.is(members.split('\n').length, 2, members);
    const etcdBefore: Record<string, string> = {};
    for (const h of ['m1', 'e1', 'w1']) etcdBefore[h] = await etcdFilesAndModes(lab, h);
    t.regex(etcdBefore.e1, /\/etc\/ssl\/etcd\/ssl\/member-e1\.pem/);
    const e1Before = await untouched(lab, 'e1');

    // kubemend's YAML inventory lists m1 and w1 only: the hosts pass step 0's shape, and kubespray's etcd members give e1 away at the config step
    const state = tempDir('/tmp/kubemend-kubespray-');
    const b = await cli(MAIN, ['run', 'recover', '-i', lab.inventoryPath, '--yes', '--state-dir', state, ...LAB_PROOF]);
    t.is(b.code, 1, b.stdout + b.stderr);
    t.regex(b.stdout + b.stderr, /cannot plan the run \(stopped at phase facts\/config\), nothing was changed/);
    t.regex(
      b.stdout + b.stderr,
      /etcd member "etcd2" \(https:\/\/\S+:2380\) is on the address of no host of the inventory's masters \(it names no etcd group\): list kubespray's etcd hosts in the inventory/,
    );
    t.is(await untouched(lab, 'e1'), e1Before, 'the refused run changed nothing on e1');

    const home = homeWithKnownHosts(lab);
    const { doctor, out } = await doctorThenRecover(t, inv, home);
    t.regex(doctor, /layout: kubespray's \(etcd: a systemd service on the etcd group \(m1, e1\), not the masters alone, .*: recover repairs this layout/);
    t.regex(doctor, /^etcd: 2 healthy, 0 unhealthy$/m);
    t.regex(out, /layout: kubespray's \(etcd a systemd service on its etcd group \(m1, e1\)/);
    t.regex(out, /e1: etcd only \(kubespray's etcd service, not a Kubernetes node\): nothing there changes/);
    t.regex(out, /kubespray's etcd members \(asked on m1\): .*\(one on each host of the etcd group: m1, e1\)/);
    t.regex(out, /path: full-rebuild \(no master holds the cluster CA any more; etcd is kubespray's service .*kept as it is\)/);
    t.regex(out, /^PASS  etcd members healthy +2\/2 healthy/m);
    t.regex(out, /^PASS  etcd certificates in \/etc\/ssl\/etcd\/ssl unchanged +\d+ files, same sha256 on 2 host\(s\) \(m1, e1\)/m);
    t.regex(out, /^PASS  nodes Ready +2 nodes/m);
    t.notRegex(out, /^(PASS|FAIL)  e1 certs chain/m, 'e1 is no Kubernetes node: no certificate row');

    t.is(await etcdMembers(lab), members);
    t.is(await etcdMembers(lab, 'e1'), members, 'the same members asked on e1');
    for (const h of ['m1', 'e1', 'w1']) t.is(await etcdFilesAndModes(lab, h), etcdBefore[h], `${h}: /etc/ssl/etcd, etcd.env and etcd.service unchanged`);
    const e1 = await lab.exec('e1', ['sh', '-c', 'ls -A /etc/kubernetes 2>&1; tar -tzf /var/backups/kubemend/*/e1.tar.gz | sort']);
    t.regex(e1.stdout, /No such file/, 'nothing made in /etc/kubernetes on e1');
    t.regex(e1.stdout, /^etc\/ssl\/etcd\/ssl\/ca-key\.pem$/m, "e1's etcd certificates archived before the run");
    t.regex(e1.stdout, /^etc\/etcd\.env$/m);
    t.not(await caOf(lab, 'm1'), ca, 'a new cluster CA');
    t.is(await caOf(lab, 'w1'), await caOf(lab, 'm1'), "w1 trusts m1's new CA");
    await workloadsKept(t, lab, before);
  },
);

test.serial(
  "a master outside kubespray's etcd group (2 masters, the etcd group m1, e1: m2 holds ca.pem, its node pair and node-m1.pem links): after a pki-wipe, recover joins m2 without download-certs; /etc/ssl/etcd unchanged on every host, etcd and workloads kept",
  async (t) => {
    if (!requireRoot(t)) return;
    const lab = await sharedLab(OUTSIDE);
    t.teardown(() => lab.down());
    const inv = join(lab.dir, 'kubespray', 'inventory.ini');
    const shown = await cli(MAIN, ['inventory', '-i', inv, '--json']);
    t.is(shown.code, 0, shown.stderr);
    t.like(JSON.parse(shown.stdout).etcd, { placement: 'separate', members: ['m1', 'e1'], deploymentType: 'host' });
    // what kubespray lays out on a master outside its etcd group (gen_nodes_certs_script.yml, "Pretend all control plane have all certs")
    const m2 = await lab.exec('m2', ['sh', '-c', 'ls /etc/etcd.env 2>&1; readlink /etc/ssl/etcd/ssl/node-m1.pem; ls /etc/ssl/etcd/ssl']);
    t.regex(m2.stdout, /No such file/, 'no etcd.env on m2: it runs no etcd');
    t.regex(m2.stdout, /^\/etc\/ssl\/etcd\/ssl\/node-m2\.pem$/m, "node-m1.pem on m2 is a link to m2's own pair");
    t.notRegex(m2.stdout, /^member-|^admin-/m, 'no member or admin pair on m2');
    // kubespray's own join ran download-certs on m2: kubeadm's os.WriteFile wrote m1's node pair through the link into m2's file
    const sum = async (h: string, f: string) => (await lab.exec(h, ['sha256sum', `/etc/ssl/etcd/ssl/${f}`])).stdout.split(' ')[0];
    t.is(await sum('m2', 'node-m2.pem'), await sum('m1', 'node-m1.pem'), "m2's node-m2.pem holds m1's certificate after kubespray's join");
    const before = await workloads(lab);

    const broken = await lab.lab(['break', 'pki-wipe']);
    t.is(broken.code, 0, broken.stderr);
    const members = await etcdMembers(lab);
    t.is(members.split('\n').length, 2, members);
    const hosts = ['m1', 'm2', 'e1', 'w1'];
    const etcdBefore: Record<string, string> = {};
    for (const h of hosts) etcdBefore[h] = await etcdFilesAndModes(lab, h);

    const { out } = await doctorThenRecover(t, inv, homeWithKnownHosts(lab));
    t.regex(
      out,
      /m2 is outside kubespray's etcd group: its node-m1\.pem is a link to its own etcd pair, so download-certs is not run; the shared CA files are copied from m1/,
    );
    t.regex(out, /^PASS  etcd certificates in \/etc\/ssl\/etcd\/ssl unchanged +\d+ files, same sha256 on 3 host\(s\) \(m1, m2, e1\)/m);
    t.regex(out, /^PASS  shared PKI identical on masters/m);
    t.regex(out, /^PASS  nodes Ready +3 nodes/m);

    t.is(await etcdMembers(lab), members);
    for (const h of hosts)
      t.is(await etcdFilesAndModes(lab, h), etcdBefore[h], `${h}: /etc/ssl/etcd (files, modes, links), etcd.env and etcd.service unchanged`);
    t.is(await caOf(lab, 'm2'), await caOf(lab, 'm1'), 'one new CA on both masters');
    await workloadsKept(t, lab, before);
  },
);

test.serial(
  "a master outside kubespray's etcd group loses its PKI alone (pki-wipe-one on m2, the etcd group m1, e1): recover rebuilds m2 from m1 (rebuild-one), etcd asked on an etcd member; the CA, /etc/ssl/etcd on every host and the workloads kept",
  async (t) => {
    if (!requireRoot(t)) return;
    const lab = await sharedLab(OUTSIDE_ONE);
    t.teardown(() => lab.down());
    const inv = join(lab.dir, 'kubespray', 'inventory.ini');
    const ca = await caOf(lab, 'm1');
    const before = await workloads(lab);
    const broken = await lab.lab(['break', 'pki-wipe-one']);
    t.is(broken.code, 0, broken.stderr);
    const members = await etcdMembers(lab);
    const hosts = ['m1', 'm2', 'e1', 'w1'];
    const etcdBefore: Record<string, string> = {};
    for (const h of hosts) etcdBefore[h] = await etcdFilesAndModes(lab, h);

    const { doctor, out, state } = await doctorThenRecover(t, inv, homeWithKnownHosts(lab));
    t.regex(doctor, /problems found \(pki-wipe-one\)/);
    t.regex(out, /path: rebuild-one \(m2 lost their PKI; m1 still holds the CA; etcd is kubespray's service .*kept as it is\)/);
    const runLog = readdirSync(state)
      .map((d) => readFileSync(join(state, d, 'run.log'), 'utf8'))
      .join('');
    t.regex(
      runLog,
      /wait: etcd healthy on at least 2 members, none unhealthy \(asked on m1\) -> 0/,
      'etcd asked on an etcd member, not on m2 (no etcd.env there)',
    );
    t.regex(out, /^PASS  m2 certs chain to CA/m);

    t.is(await etcdMembers(lab), members);
    for (const h of hosts)
      t.is(await etcdFilesAndModes(lab, h), etcdBefore[h], `${h}: /etc/ssl/etcd (files, modes, links), etcd.env and etcd.service unchanged`);
    for (const h of ['m1', 'm2', 'w1']) t.is(await caOf(lab, h), ca, `${h}: the CA kept`);
    const now = await workloads(lab);
    for (const [id, startedAt] of Object.entries(before)) t.is(now[id], startedAt, `${id} kept running (the CA did not change)`);
  },
);

test.serial(
  "kubespray's etcd on its own hosts only (the etcd group e1, e2, e3; both masters outside it): after a pki-wipe, recover rebuilds m1 and joins m2 without download-certs; nothing on e1-e3 changes, /etc/ssl/etcd unchanged on every host, etcd and workloads kept",
  async (t) => {
    if (!requireRoot(t)) return;
    const lab = await sharedLab(ETCD_ONLY);
    t.teardown(() => lab.down());
    const inv = join(lab.dir, 'kubespray', 'inventory.ini');
    const shown = await cli(MAIN, ['inventory', '-i', inv, '--json']);
    t.is(shown.code, 0, shown.stderr);
    t.like(JSON.parse(shown.stdout).etcd, { placement: 'separate', members: ['e1', 'e2', 'e3'], deploymentType: 'host' });
    const ca = await caOf(lab, 'm1');
    const before = await workloads(lab);

    const broken = await lab.lab(['break', 'pki-wipe']);
    t.is(broken.code, 0, broken.stderr);
    const members = await etcdMembers(lab, 'e1');
    t.is(members.split('\n').length, 3, members);
    const hosts = ['m1', 'm2', 'e1', 'e2', 'e3', 'w1'];
    const etcdBefore: Record<string, string> = {};
    for (const h of hosts) etcdBefore[h] = await etcdFilesAndModes(lab, h);

    const { out } = await doctorThenRecover(t, inv, homeWithKnownHosts(lab));
    t.regex(out, /path: full-rebuild/);
    t.regex(out, /m2 is outside kubespray's etcd group: .*download-certs is not run/);
    t.regex(out, /^PASS  etcd members healthy +3\/3 healthy/m);
    t.regex(out, /^PASS  etcd certificates in \/etc\/ssl\/etcd\/ssl unchanged +\d+ files, same sha256 on 5 host\(s\) \(m1, m2, e1, e2, e3\)/m);
    t.regex(out, /^PASS  shared PKI identical on masters/m);
    t.regex(out, /^PASS  nodes Ready +3 nodes/m);
    for (const e of ['e1', 'e2', 'e3']) t.notRegex(out, new RegExp(`^(PASS|FAIL)  ${e} certs chain`, 'm'), `${e} is no Kubernetes node: no certificate row`);

    for (const e of ['e1', 'e3']) t.is(await etcdMembers(lab, e), members, `the same members asked on ${e}`);
    for (const h of hosts)
      t.is(await etcdFilesAndModes(lab, h), etcdBefore[h], `${h}: /etc/ssl/etcd (files, modes, links), etcd.env and etcd.service unchanged`);
    for (const e of ['e1', 'e2', 'e3'])
      t.regex((await lab.exec(e, ['sh', '-c', 'ls -A /etc/kubernetes 2>&1'])).stdout, /No such file/, `nothing made in /etc/kubernetes on ${e}`);
    t.not(await caOf(lab, 'm1'), ca, 'a new cluster CA');
    t.is(await caOf(lab, 'm2'), await caOf(lab, 'm1'), 'one new CA on both masters');
    t.is(await caOf(lab, 'w1'), await caOf(lab, 'm1'), "w1 trusts m1's new CA");
    await workloadsKept(t, lab, before);
  },
);
