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
 * rebuilt from m1 (rebuild-one), the CA and etcd kept. The fourth has etcd also on e1, a host that
 * is not a master (`--etcd-hosts 1`): recover repairs it from kubespray's inventory, nothing on e1
 * changed (its certificates archived first), and refuses an inventory that leaves e1 out. The fifth
 * adds m2, a master outside the etcd group (`--etcd-masters 1`): m2 joins without download-certs, its
 * /etc/ssl/etcd (kubespray's node-m1.pem links to its own pair) unchanged. The sixth loses only m2's PKI
 * there (pki-wipe-one): m2 is rebuilt from m1, etcd asked on m1, nothing of /etc/ssl/etcd written.
 */
import test, { type ExecutionContext } from 'ava';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { requireRoot, sharedLab, type Lab } from '../helpers/lab.js';
import { MAIN, cli } from '../cli/run-cli.js';
import { kubectl } from '../lab/cluster/kube.js';
import { readLab } from '../lab/cluster/labdir.js';

const LAB = { masters: 1, workers: 1, net: 63, layout: 'kubespray' as const };
/** kubespray's sample inventory's shape: 3 masters, each an etcd member (kubespray's etcd group is kube_control_plane), and a worker. */
const THREE = { masters: 3, workers: 1, net: 65, layout: 'kubespray' as const };
/** The same shape for the loss of one master's PKI (its own lab: each test takes its lab down). */
const THREE_ONE = { masters: 3, workers: 1, net: 66, layout: 'kubespray' as const };
/** The same with etcd also on e1, a host that is neither master nor worker (kubespray's etcd group: m1, e1). */
const SEPARATE = { masters: 1, workers: 1, etcdHosts: 1, net: 64, layout: 'kubespray' as const };
/** kubespray's etcd group m1, e1 with m2 a master outside it (`--etcd-masters 1`): kubespray gives m2 ca.pem, its node pair and node-m1.pem links to that pair. */
const OUTSIDE = { masters: 2, workers: 1, etcdHosts: 1, etcdMasters: 1, net: 68, layout: 'kubespray' as const };
/** The same shape for the loss of m2's PKI alone (its own lab). */
const OUTSIDE_ONE = { ...OUTSIDE, net: 69 };
const ETCDCTL = ['etcdctl.sh', '--endpoints=https://127.0.0.1:2379'];

/** etcd's member list (ids and names) on `host` (m1 by default), through kubespray's etcdctl.sh and admin cert. */
async function etcdMembers(lab: Lab, host = 'm1'): Promise<string> {
  const r = await lab.exec(host, ['sh', '-c', `${ETCDCTL.join(' ')} member list -w simple 2>&1`]);
  if (r.code !== 0) throw new Error(`etcdctl.sh member list on ${host}: exit ${r.code}: ${r.stdout}${r.stderr}`);
  return r.stdout
    .split('\n')
    .map((l) => l.split(',').slice(0, 3).join(','))
    .filter(Boolean)
    .sort()
    .join('\n');
}

/** A HOME whose ~/.ssh/known_hosts holds the lab's host keys: kubespray's inventory has none of its own, and kubemend (as Ansible) reads ~/.ssh/known_hosts. */
function homeWithKnownHosts(lab: Lab): string {
  const home = mkdtempSync('/tmp/kubemend-kubespray-home-');
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  copyFileSync(join(lab.dir, 'known_hosts'), join(home, '.ssh', 'known_hosts'));
  return home;
}

/** sha256 of kubespray's etcd certificates and its units on a host, and what /var/backups/kubemend holds. */
async function untouched(lab: Lab, host: string): Promise<string> {
  const r = await lab.exec(host, [
    'sh',
    '-c',
    'find /etc/ssl/etcd /etc/etcd.env /etc/systemd/system /etc/nginx -type f -exec sha256sum {} + 2>/dev/null | sort; ls -A /var/backups/kubemend 2>/dev/null; ls -A /var/lib/kubemend 2>/dev/null; true',
  ]);
  return r.stdout;
}

/** The lab's workload pods (`ns/name` -> when their container started), from its own status. */
async function workloads(lab: Lab): Promise<Record<string, string>> {
  const r = await lab.lab(['status', '--json']);
  const s = JSON.parse(r.stdout) as { workloads: Record<string, { startedAt: string }> };
  return Object.fromEntries(Object.entries(s.workloads).map(([k, v]) => [k, v.startedAt]));
}

/** The workload pods without in-cluster credentials (apps/plain-*, apps/static-*) kept running (the same container start), and none lost. */
async function workloadsKept(t: ExecutionContext, lab: Lab, before: Record<string, string>): Promise<void> {
  const now = await workloads(lab);
  for (const [id, startedAt] of Object.entries(before)) {
    if (/^apps\/(plain|static)-/.test(id)) t.is(now[id], startedAt, `${id} kept running`);
  }
  t.is(Object.keys(now).length, Object.keys(before).length, 'as many workload pods as before');
}

/** sha256 of kubespray's etcd certificates, its env file and units on a host (recover must not touch them). */
async function etcdFiles(lab: Lab, host: string): Promise<string> {
  return (
    await lab.exec(host, [
      'sh',
      '-c',
      'find /etc/ssl/etcd /etc/etcd.env /etc/systemd/system/etcd.service /etc/nginx -type f -exec sha256sum {} + 2>/dev/null | sort',
    ])
  ).stdout;
}

/** The same with each file's mode, owner and link target (a joining master's download-certs writes etcd.external's files in place: their mode must stay kubespray's). */
async function etcdFilesAndModes(lab: Lab, host: string): Promise<string> {
  const modes = (
    await lab.exec(host, ['sh', '-c', 'find /etc/ssl/etcd /etc/etcd.env /etc/systemd/system/etcd.service -printf "%m %u %y %l %p\\n" 2>/dev/null | sort'])
  ).stdout;
  return `${await etcdFiles(lab, host)}${modes}`;
}

/**
 * doctor on a wiped kubespray lab (exit 1: problems, recover recommended, no refusal), then `kubemend run
 * recover -i INV --yes` with kubespray's inventory (exit 0, every proof row PASS): both outputs, and the run's state folder.
 */
async function doctorThenRecover(t: ExecutionContext, inv: string, home: string): Promise<{ doctor: string; out: string; state: string }> {
  const d = await cli(MAIN, ['doctor', '-i', inv], { env: { HOME: home } });
  t.is(d.code, 1, d.stdout + d.stderr);
  t.regex(d.stdout, /^run: kubemend run recover -i INVENTORY/m);
  t.notRegex(d.stdout, /does not repair/);
  const state = mkdtempSync('/tmp/kubemend-kubespray-');
  const r = await cli(MAIN, ['run', 'recover', '-i', inv, '--yes', '--state-dir', state], { env: { HOME: home } });
  const out = r.stdout + r.stderr;
  t.is(r.code, 0, out.slice(-6000));
  const proof = out.split('\n').filter((l) => /^(PASS|FAIL) /.test(l));
  t.true(proof.length > 10 && proof.every((l) => l.startsWith('PASS')), proof.join('\n'));
  return { doctor: d.stdout, out, state };
}

/** sha256 fingerprint of the cluster CA in a host's kube_cert_dir. */
async function caOf(lab: Lab, host: string): Promise<string> {
  return (await lab.exec(host, ['openssl', 'x509', '-noout', '-fingerprint', '-sha256', '-in', '/etc/kubernetes/ssl/ca.crt'])).stdout.trim();
}

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
    const state = mkdtempSync('/tmp/kubemend-kubespray-');
    const skip = await cli(MAIN, ['run', 'recover', '-i', lab.inventoryPath, '--yes', '--state-dir', state, '--skip', 'facts/shape']);
    t.is(skip.code, 2, skip.stdout + skip.stderr);
    t.regex(skip.stderr, /--skip facts\/shape: facts\/shape is a safety check that always runs/);

    // the repair, from kubespray's own inventory (HOME's known_hosts, as Ansible)
    const r = await cli(MAIN, ['run', 'recover', '-i', inv, '--yes', '--state-dir', state], { env: { HOME: home } });
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
    const state = mkdtempSync('/tmp/kubemend-kubespray-');
    const b = await cli(MAIN, ['run', 'recover', '-i', lab.inventoryPath, '--yes', '--state-dir', state]);
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
