/**
 * A kubespray-shaped lab cluster (`scripts/lab up --layout kubespray`, 1 master + 1 worker, net 63):
 * etcd as a systemd service with kubespray's certificates in /etc/ssl/etcd/ssl, certificatesDir
 * /etc/kubernetes/ssl, kubeadm's etcd.external, the worker's kubelet reaching the apiserver through
 * the nginx-proxy static pod on localhost:6443. Its PKI is wiped (the article's pki-wipe), `doctor`
 * names the layout and recommends recover, and `kubemend run recover -i DIR/kubespray/inventory.ini`
 * repairs it: the proof of health passes, etcd is kept (the same member ids, the same certificates:
 * no etcd CA, certificate or pod made), the workloads that hold no in-cluster credentials keep
 * running, and the worker reaches the apiserver through its nginx-proxy again. The second test does
 * the same on kubespray's sample shape (3 masters that are its etcd members, 1 worker, net 65): the
 * other masters join as control planes against the external etcd, the join gate and waits asking
 * kubespray's etcd through its etcdctl. The third loses only m2's PKI there (pki-wipe-one): m2 is
 * rebuilt from m1 (rebuild-one), the CA and etcd kept.
 * kubespray's etcd group apart from the masters is spec/recover/kubespray-etcd-group.test.ts (its
 * own file, so that both run side by side).
 */
import test from 'ava';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { requireRoot, sharedLab } from '../helpers/lab.js';
import { MAIN, cli } from '../cli/run-cli.js';
import { kubectl } from '../lab/cluster/kube.js';
import { readLab } from '../lab/cluster/labdir.js';
import { etcdMembers, homeWithKnownHosts, workloads, workloadsKept, etcdFiles, etcdFilesAndModes, doctorThenRecover, caOf } from './kubespray-lab.js';
import { LAB_PROOF } from './recover-lab.js';

/** kubespray's defaults, kube_asymmetric_encryption_algorithm RSA-2048 among them (the other kubespray labs are ECDSA-P256: spec/helpers/lab.ts). */
const LAB = { masters: 1, workers: 1, net: 63, layout: 'kubespray' as const, encryptionAlgorithm: 'RSA-2048' as const };
/** kubespray's sample inventory's shape: 3 masters, each an etcd member (kubespray's etcd group is kube_control_plane), and a worker. */
const THREE = { masters: 3, workers: 1, net: 65, layout: 'kubespray' as const };
/** The same shape for the loss of one master's PKI (its own lab: each test takes its lab down). */
const THREE_ONE = { masters: 3, workers: 1, net: 66, layout: 'kubespray' as const };
test.serial(
  "kubespray layout (etcd service on the master, /etc/kubernetes/ssl, worker through nginx-proxy): after a pki-wipe, recover with kubespray's inventory repairs it, etcd and workloads kept",
  async (t) => {
    if (!requireRoot(t)) return;
    const lab = await sharedLab(LAB);
    t.teardown(() => lab.down()); // one lab at a time: the next test brings up its own
    // the shape, as kubespray makes it
    const m1 = await lab.exec('m1', [
      'sh',
      '-c',
      'systemctl is-active etcd; readlink /etc/kubernetes/pki; grep -c "external:" /etc/kubernetes/kubeadm-config.yaml; ls /etc/ssl/etcd/ssl',
    ]);
    t.regex(m1.stdout, /^active\n\/etc\/kubernetes\/ssl\n1\n/);
    t.regex(m1.stdout, /^member-m1\.pem$/m);
    t.regex(m1.stdout, /^node-m1-key\.pem$/m);
    t.false(/etcd\.yaml/.test((await lab.exec('m1', ['ls', '/etc/kubernetes/manifests'])).stdout), 'no etcd static pod: etcd is the host service');
    const w1 = await lab.exec('w1', ['sh', '-c', 'grep "server:" /etc/kubernetes/kubelet.conf; ls /etc/kubernetes/manifests; readlink /etc/kubernetes/pki']);
    t.regex(w1.stdout, /server: https:\/\/localhost:6443/);
    t.regex(w1.stdout, /nginx-proxy\.yml/);
    t.regex(w1.stdout, /^\/etc\/kubernetes\/ssl$/m, "kubespray's preinstall role makes the pki compat link on workers too");
    const nodes = await kubectl(readLab(lab.dir), ['get', 'nodes', '--no-headers']);
    t.regex(nodes.stdout, /^w1 +Ready /m, 'the worker is Ready through its nginx-proxy');
    const caBefore = (await lab.exec('m1', ['openssl', 'x509', '-noout', '-fingerprint', '-sha256', '-in', '/etc/kubernetes/ssl/ca.crt'])).stdout;

    // kubemend reads kubespray's inventory folder
    const inv = join(lab.dir, 'kubespray', 'inventory.ini');
    const shown = await cli(MAIN, ['inventory', '-i', inv, '--json']);
    t.is(shown.code, 0, shown.stderr);
    t.like(JSON.parse(shown.stdout).etcd, { placement: 'stacked', members: ['m1'], deploymentType: 'host' });
    const before = await workloads(lab);
    t.true(
      Object.keys(before).some((k) => k.startsWith('apps/plain-')),
      Object.keys(before).join(', '),
    );

    // the article's disaster
    const broken = await lab.lab(['break', 'pki-wipe']);
    t.is(broken.code, 0, broken.stderr);
    const members = await etcdMembers(lab);
    t.regex(members, /etcd1/);
    const etcdBefore = { m1: await etcdFiles(lab, 'm1'), w1: await etcdFiles(lab, 'w1') };
    t.regex(etcdBefore.m1, /\/etc\/ssl\/etcd\/ssl\/node-m1\.pem/);
    const home = homeWithKnownHosts(lab);

    // doctor names the layout (from the hosts' files and kubespray's vars), reads etcd through kubespray's etcdctl, and recommends recover
    const d = await cli(MAIN, ['doctor', '-i', inv], { env: { HOME: home } });
    t.is(d.code, 1, d.stdout + d.stderr);
    t.regex(
      d.stdout,
      /layout: kubespray's \(etcd: a systemd service on the masters \(m1\), certificates in \/etc\/ssl\/etcd\/ssl; from inventory: etcd_deployment_type host; m1: .*\/etc\/ssl\/etcd\/ssl .*; w1: .*nginx-proxy\.yml .*: recover repairs this layout, keeping kubespray's etcd service and its certificates as they are/,
    );
    t.regex(d.stdout, /^etcd: 1 healthy, 0 unhealthy$/m);
    t.regex(
      d.stdout,
      /^etcd data on m1: read through kubespray's etcd service on m1, read with its etcdctl and the client certificate \/etc\/etcd\.env names, revision \d+: controlPlaneEndpoint \S+:6443, certificatesDir \/etc\/kubernetes\/ssl, etcd\.external \(endpoints https:\/\/\S+:2379, caFile \/etc\/ssl\/etcd\/ssl\/ca\.pem\)/m,
    );
    t.regex(d.stdout, /^run: kubemend run recover -i INVENTORY/m);
    t.notRegex(d.stdout, /does not repair/);
    // --skip of step 0 is still a usage error: the other steps read the layout it chooses
    const state = tempDir('/tmp/kubemend-kubespray-');
    const skip = await cli(MAIN, ['run', 'recover', '-i', lab.inventoryPath, '--yes', '--state-dir', state, '--skip', 'facts/shape']);
    t.is(skip.code, 2, skip.stdout + skip.stderr);
    t.regex(skip.stderr, /--skip facts\/shape: facts\/shape is a safety check that always runs/);

    // the repair, from kubespray's own inventory (HOME's known_hosts, as Ansible)
    const r = await cli(MAIN, ['run', 'recover', '-i', inv, '--yes', '--state-dir', state, ...LAB_PROOF], { env: { HOME: home } });
    const out = r.stdout + r.stderr;
    t.is(r.code, 0, out.slice(-6000));
    t.regex(out, /layout: kubespray's \(etcd a systemd service on the masters/);
    t.regex(out, /path: full-rebuild \(no master holds the cluster CA any more; etcd is kubespray's service .*kept as it is\)/);
    t.regex(out, /ClusterConfiguration kubeadm\.k8s\.io\/v1beta4 and KubeletConfiguration from etcd data on m1, .*kubespray's etcd service on m1/);
    t.regex(out, /wrote \/etc\/kubernetes\/kubelet\.env and \/etc\/kubernetes\/kubelet-config\.yaml from w1's/);
    t.regex(out, /kubelet\.conf server set back to https:\/\/localhost:6443/);
    for (const row of [
      'nodes Ready',
      'etcd members healthy',
      "kubespray's etcd members unchanged",
      'etcd certificates in /etc/ssl/etcd/ssl unchanged',
      'workers reach the apiserver through their local proxy',
      'workload pods Ready',
      'pods restarted only for in-cluster credentials',
      'm1 certs chain to CA',
      'w1 certs chain to CA',
      "cluster's objects present",
      'cluster-info carries the CA',
    ]) {
      t.regex(out, new RegExp(`^PASS  ${row.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`, 'm'), row);
    }
    for (const id of ['etcd/ca', 'etcd/ca-copy', 'etcd/start'])
      t.regex(out, new RegExp(`^ *== ${id}: skipped`, 'm'), `${id} does not run: no etcd CA, certificate or pod made`);
    t.regex(out, /^ *== etcd\/healthy: /m);

    // etcd kept: the same members and certificates; no etcd static pod; one new CA in kube_cert_dir, linked from pki
    t.is(await etcdMembers(lab), members);
    t.is(await etcdFiles(lab, 'm1'), etcdBefore.m1);
    t.is(await etcdFiles(lab, 'w1'), etcdBefore.w1);
    const after = await lab.exec('m1', [
      'sh',
      '-c',
      'systemctl is-active etcd; readlink /etc/kubernetes/pki; ls /etc/kubernetes/manifests; ls /etc/kubernetes/ssl; openssl x509 -noout -fingerprint -sha256 -in /etc/kubernetes/ssl/ca.crt',
    ]);
    t.regex(after.stdout, /^active\n\/etc\/kubernetes\/ssl\n/);
    t.notRegex(after.stdout, /etcd\.yaml|^etcd$|^apiserver-etcd-client/m, 'no etcd static pod, no etcd folder or etcd client certificate in kube_cert_dir');
    t.regex(after.stdout, /^apiserver\.crt$/m);
    t.not(after.stdout.trim().split('\n').pop(), caBefore.trim(), 'a new cluster CA');
    // the worker: its CA file at kubespray's caCertPath is the new one, kubelet.conf back on its nginx-proxy, Ready
    const w = await lab.exec('w1', [
      'sh',
      '-c',
      'grep "server:" /etc/kubernetes/kubelet.conf; openssl x509 -noout -fingerprint -sha256 -in /etc/kubernetes/ssl/ca.crt; readlink /etc/kubernetes/pki',
    ]);
    t.regex(w.stdout, /server: https:\/\/localhost:6443/);
    t.true(w.stdout.includes(after.stdout.trim().split('\n').pop()!), `w1's /etc/kubernetes/ssl/ca.crt is the new CA: ${w.stdout}`);
    t.regex(w.stdout, /^\/etc\/kubernetes\/ssl$/m, "w1's pki compat link kept");
    const nodesAfter = await lab.exec('m1', ['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'nodes', '--no-headers']);
    t.regex(nodesAfter.stdout, /^w1 +Ready /m, nodesAfter.stdout + nodesAfter.stderr);
    // the workloads without in-cluster credentials kept running (the same container start), none lost
    await workloadsKept(t, lab, before);
  },
);

test.serial(
  "kubespray's sample shape, 3 masters that are its etcd members and a worker: after a pki-wipe, recover rebuilds m1, joins m2 and m3 against the external etcd, keeps etcd (same member ids, same /etc/ssl/etcd on every master) and the workloads",
  async (t) => {
    if (!requireRoot(t)) return;
    const lab = await sharedLab(THREE);
    t.teardown(() => lab.down());
    const masters = ['m1', 'm2', 'm3'];
    for (const m of masters) {
      const s = await lab.exec(m, ['sh', '-c', 'systemctl is-active etcd; readlink /etc/kubernetes/pki; ls /etc/kubernetes/manifests; ls /etc/ssl/etcd/ssl']);
      t.regex(s.stdout, /^active\n\/etc\/kubernetes\/ssl\n/, m);
      t.notRegex(s.stdout, /etcd\.yaml/, `${m}: no etcd static pod`);
      t.regex(s.stdout, /^node-m1\.pem$/m, `${m} holds the first master's node cert, which etcd.external names (kubespray's gen_certs_script.yml)`);
    }
    const inv = join(lab.dir, 'kubespray', 'inventory.ini');
    const shown = await cli(MAIN, ['inventory', '-i', inv, '--json']);
    t.is(shown.code, 0, shown.stderr);
    t.like(JSON.parse(shown.stdout).etcd, { placement: 'stacked', members: masters, deploymentType: 'host' });
    const caBefore = await caOf(lab, 'm1');
    const before = await workloads(lab);
    t.true(
      Object.keys(before).some((k) => k.startsWith('apps/plain-')),
      Object.keys(before).join(', '),
    );

    const broken = await lab.lab(['break', 'pki-wipe']);
    t.is(broken.code, 0, broken.stderr);
    const members: Record<string, string> = {};
    const etcdBefore: Record<string, string> = {};
    for (const h of [...masters, 'w1']) etcdBefore[h] = await etcdFilesAndModes(lab, h);
    for (const m of masters) members[m] = await etcdMembers(lab, m);
    t.is(members.m1!.split('\n').length, 3, members.m1);
    t.is(members.m2, members.m1);
    const home = homeWithKnownHosts(lab);

    // doctor: the same decision as recover's step 0 (several masters are repaired now)
    const { doctor, out } = await doctorThenRecover(t, inv, home);
    t.regex(
      doctor,
      /layout: kubespray's \(etcd: a systemd service on the masters \(m1-m3\), .*: recover repairs this layout, keeping kubespray's etcd service and its certificates as they are/,
    );
    t.regex(doctor, /^etcd: 3 healthy, 0 unhealthy$/m);
    t.regex(out, /path: full-rebuild \(no master holds the cluster CA any more; etcd is kubespray's service .*kept as it is\)/);
    t.regex(out, /kubespray's etcd before the repair: 3 members/);
    for (const m of ['m2', 'm3']) {
      t.regex(
        out,
        new RegExp(`^${m} \\| others/join: join gate passed: etcd leader \\S+ \\(term \\d+\\) over 3 reads, 3 of 3 members healthy`, 'm'),
        `${m}'s join gate read kubespray's etcd`,
      );
      t.regex(out, new RegExp(`^${m} \\| others/join: ok`, 'm'));
    }
    for (const id of ['etcd/ca', 'etcd/ca-copy', 'etcd/start']) t.regex(out, new RegExp(`^ *== ${id}: skipped`, 'm'), `${id} does not run`);
    for (const row of [
      'nodes Ready',
      'etcd members healthy',
      "kubespray's etcd members unchanged",
      'etcd certificates in /etc/ssl/etcd/ssl unchanged',
      'workers reach the apiserver through their local proxy',
      'shared PKI identical on masters',
      'm2 certs chain to CA',
      'm3 certs chain to CA',
      'w1 certs chain to CA',
    ]) {
      t.regex(out, new RegExp(`^PASS  ${row.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`, 'm'), row);
    }
    t.regex(out, /^PASS  etcd members healthy +3\/3 healthy \(kubespray's etcd service, its etcdctl\)/m);

    // etcd kept on every master: the same members (asked on each), the same files, modes and links; no etcd pod
    for (const m of masters) t.is(await etcdMembers(lab, m), members.m1, `${m}: etcd members unchanged`);
    for (const h of [...masters, 'w1']) t.is(await etcdFilesAndModes(lab, h), etcdBefore[h], `${h}: /etc/ssl/etcd, etcd.env and etcd.service unchanged`);
    const ca = await caOf(lab, 'm1');
    t.not(ca, caBefore, 'a new cluster CA');
    for (const m of masters) {
      const a = await lab.exec(m, ['sh', '-c', 'systemctl is-active etcd; readlink /etc/kubernetes/pki; ls /etc/kubernetes/manifests; ls /etc/kubernetes/ssl']);
      t.regex(a.stdout, /^active\n\/etc\/kubernetes\/ssl\n/, m);
      t.notRegex(a.stdout, /etcd\.yaml|^etcd$|^apiserver-etcd-client/m, `${m}: no etcd static pod, etcd folder or etcd client certificate`);
      t.regex(a.stdout, /^kube-apiserver\.yaml$/m, m);
      t.is(await caOf(lab, m), ca, `${m}: /etc/kubernetes/ssl holds the new CA`);
    }
    const w = await lab.exec('w1', ['sh', '-c', 'grep "server:" /etc/kubernetes/kubelet.conf; readlink /etc/kubernetes/pki']);
    t.regex(w.stdout, /server: https:\/\/localhost:6443/);
    t.is(await caOf(lab, 'w1'), ca, "w1's /etc/kubernetes/ssl/ca.crt is the new CA");
    const nodes = await lab.exec('m1', ['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'nodes', '--no-headers']);
    for (const n of [...masters, 'w1']) t.regex(nodes.stdout, new RegExp(`^${n} +Ready `, 'm'), nodes.stdout + nodes.stderr);
    await workloadsKept(t, lab, before);
  },
);

test.serial(
  "kubespray's sample shape, only m2's PKI lost (pki-wipe-one): recover rebuilds m2 from m1 (rebuild-one) without any etcd certificate, manifest or member change; the CA, etcd and the workloads kept",
  async (t) => {
    if (!requireRoot(t)) return;
    const lab = await sharedLab(THREE_ONE);
    t.teardown(() => lab.down());
    const masters = ['m1', 'm2', 'm3'];
    const inv = join(lab.dir, 'kubespray', 'inventory.ini');
    const ca = await caOf(lab, 'm1');
    const before = await workloads(lab);
    const broken = await lab.lab(['break', 'pki-wipe-one']);
    t.is(broken.code, 0, broken.stderr);
    t.regex((await lab.exec('m2', ['sh', '-c', 'ls -A /etc/kubernetes 2>&1; true'])).stdout, /^$|No such file/, "m2's /etc/kubernetes is gone");
    const members = await etcdMembers(lab);
    const etcdBefore: Record<string, string> = {};
    for (const h of [...masters, 'w1']) etcdBefore[h] = await etcdFilesAndModes(lab, h);
    const home = homeWithKnownHosts(lab);

    const { doctor, out } = await doctorThenRecover(t, inv, home);
    t.regex(doctor, /problems found \(pki-wipe-one\)/);
    t.regex(out, /path: rebuild-one \(m2 lost their PKI; m1 still holds the CA; etcd is kubespray's service .*kept as it is\)/);
    t.regex(out, /^m2 \| rebuild-one\/master: etcd on m2 is kubespray's service, kept as it is/m);
    for (const row of [
      "kubespray's etcd members unchanged",
      'etcd certificates in /etc/ssl/etcd/ssl unchanged',
      'shared PKI identical on masters',
      'm2 certs chain to CA',
    ]) {
      t.regex(out, new RegExp(`^PASS  ${row.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`, 'm'), row);
    }

    t.is(await etcdMembers(lab), members);
    for (const h of [...masters, 'w1']) t.is(await etcdFilesAndModes(lab, h), etcdBefore[h], `${h}: /etc/ssl/etcd, etcd.env and etcd.service unchanged`);
    for (const h of [...masters, 'w1']) t.is(await caOf(lab, h), ca, `${h}: the CA kept`);
    const m2 = await lab.exec('m2', ['sh', '-c', 'readlink /etc/kubernetes/pki; ls /etc/kubernetes/manifests; ls /etc/kubernetes/ssl']);
    t.regex(m2.stdout, /^\/etc\/kubernetes\/ssl\n/);
    t.notRegex(m2.stdout, /etcd\.yaml|^etcd$|^apiserver-etcd-client/m, 'no etcd static pod, etcd folder or etcd client certificate on m2');
    t.regex(m2.stdout, /^kube-apiserver\.yaml$/m);
    const nodes = await lab.exec('m1', ['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'nodes', '--no-headers']);
    for (const n of [...masters, 'w1']) t.regex(nodes.stdout, new RegExp(`^${n} +Ready `, 'm'), nodes.stdout + nodes.stderr);
    const now = await workloads(lab);
    for (const [id, startedAt] of Object.entries(before)) t.is(now[id], startedAt, `${id} kept running (the CA did not change)`);
  },
);
