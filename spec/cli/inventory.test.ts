/**
 * `kubemend inventory` (text and --json), `-i FOLDER`, $KUBEMEND_INVENTORY, --cluster-name, --limit
 * on the inventory's groups, and the refusal of a separate-etcd inventory before any host is contacted.
 * No lab: the fixtures' addresses are never contacted.
 */
import test from 'ava';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InventoryDescription } from '../../lib/inventory/describe.js';
import { MAIN, cli } from './run-cli.js';

const FIXTURES = fileURLToPath(new URL('../inventory/fixtures/', import.meta.url));
const KUBESPRAY = join(FIXTURES, 'kubespray', 'inventory', 'mycluster');
const KUBESPRAY_ETCD = join(FIXTURES, 'kubespray-etcd');
/** No ~/.ssh/config of the machine: a path that does not exist is an empty config. */
const env = { HOME: tempDir(join(tmpdir(), 'km-home-')) };

async function json(args: string[], extra: Record<string, string> = {}): Promise<InventoryDescription> {
  const r = await cli(MAIN, ['inventory', ...args, '--json'], { env: { ...env, ...extra } });
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as InventoryDescription;
}

test('kubemend inventory -i FOLDER: summary, group graph, hosts table and where every value came from', async (t) => {
  const r = await cli(MAIN, ['inventory', '-i', KUBESPRAY], { env });
  t.is(r.code, 0, r.stderr);
  const o = r.stdout;
  t.regex(o, /^cluster +mycluster +\(from folder name mycluster\/\)$/m);
  t.regex(o, new RegExp(`^endpoint +10\\.3\\.0\\.100:6443 +\\(from ${KUBESPRAY}/group_vars/all/all\\.yml:12\\)$`, 'm'));
  t.regex(o, /^etcd +stacked on the masters \(group etcd = the masters\); members node1, node2, node3; etcd_deployment_type host/m);
  t.regex(o, /^@all:\n {2}\|--@etcd:\n {2}\| {2}\|--@kube_control_plane:\n {2}\| {2}\| {2}\|--node1$/m);
  t.regex(o, /^ {2}\|--@kube_node:\n {2}\| {2}\|--node04\n {2}\| {2}\|--node06\n {2}\| {2}\|--node08\n {2}\| {2}\|--node05$/m);
  t.regex(o, /^HOST +ROLE +ADDRESS +PORT +USER +JUMP$/m);
  t.regex(o, /^node1 +master\+etcd \(first\) +10\.3\.0\.1 +22 +ubuntu +-$/m);
  t.regex(o, /^node04 +worker +node04 +22 +deploy +-$/m);
  t.regex(
    o,
    new RegExp(
      `^ {2}node04 +role +worker +groups k8s_cluster, kube_node\\n +address +node04 +the inventory host name\\n +port +22 +${KUBESPRAY}/group_vars/all/all\\.yml:7\\n +user +deploy +${KUBESPRAY}/inventory\\.ini:6$`,
      'm',
    ),
  );
  t.notRegex(o, /^warnings:/m);
});

test('kubemend inventory --json: the same, with value and origin per field', async (t) => {
  const d = await json(['-i', KUBESPRAY]);
  t.is(d.kind, 'kubemend-inventory');
  t.is(d.version, 1);
  t.is(d.file, join(KUBESPRAY, 'inventory.ini'));
  t.deepEqual(d.cluster, { value: 'mycluster', from: 'folder name mycluster/' });
  t.deepEqual(
    d.hosts.map((h) => h.name),
    ['node1', 'node2', 'node3', 'node04', 'node06', 'node08', 'node05'],
  );
  const n5 = d.hosts.find((h) => h.name === 'node05')!;
  t.deepEqual(n5.address, { value: '10.3.0.5', from: `${join(KUBESPRAY, 'inventory.ini')}:7` });
  t.deepEqual(n5.user, { value: 'admin', from: `${join(KUBESPRAY, 'group_vars/kube_node/ssh.yml')}:3` });
  t.deepEqual(n5.port, { value: 22, from: `${join(KUBESPRAY, 'group_vars/all/all.yml')}:7` });
  t.deepEqual(n5.jump, { value: null, from: 'none' });
  t.deepEqual(n5.groups, ['k8s_cluster', 'kube_node']);
  t.like(d.etcd, { placement: 'stacked', members: ['node1', 'node2', 'node3'], deploymentType: 'host' });
  t.deepEqual(d.groups.kube_control_plane, { hosts: ['node1', 'node2', 'node3'], children: [] });
  t.deepEqual(d.warnings, []);
});

test("--limit knows the inventory's groups; an exclusion that excludes nothing is fine; a pattern matching nothing exits 2 listing the groups", async (t) => {
  t.deepEqual(
    (await json(['-i', KUBESPRAY, '--limit', 'kube_node'])).hosts.map((h) => h.name),
    ['node04', 'node06', 'node08', 'node05'],
  );
  t.deepEqual(
    (await json(['-i', KUBESPRAY, '--limit', 'etcd'])).hosts.map((h) => h.name),
    ['node1', 'node2', 'node3'],
  );
  t.deepEqual(
    (await json(['-i', KUBESPRAY, '--limit', 'node0*,!node06,!node99'])).hosts.map((h) => h.name),
    ['node04', 'node08', 'node05'],
  );
  t.deepEqual(
    (await json(['-i', KUBESPRAY, '--limit', 'kube_*,&etcd'])).hosts.map((h) => h.name),
    ['node1', 'node2', 'node3'],
  );
  const r = await cli(MAIN, ['inventory', '-i', KUBESPRAY, '--limit', 'nosuch'], { env });
  t.is(r.code, 2);
  t.regex(r.stderr, /--limit: no host matches "nosuch" \(known: node1, .*; groups: all, masters, workers, first, others, etcd, .*kube_node/);
  t.is(r.stdout, '');
});

test('$KUBEMEND_INVENTORY is the default for -i; -i wins over it; neither is exit 2', async (t) => {
  t.is((await json([], { KUBEMEND_INVENTORY: KUBESPRAY_ETCD })).cluster.value, 'edge-1');
  t.is((await json(['-i', KUBESPRAY], { KUBEMEND_INVENTORY: KUBESPRAY_ETCD })).cluster.value, 'mycluster');
  const unset = await cli(MAIN, ['inventory'], { env });
  t.is(unset.code, 2);
  t.regex(unset.stderr, /required option '-i, --inventory <path>' not specified/);
  const empty = await cli(MAIN, ['inventory'], { env: { ...env, KUBEMEND_INVENTORY: '' } });
  t.is(empty.code, 2);
  t.regex(empty.stderr, /missing -i\/--inventory FILE \(or set KUBEMEND_INVENTORY\)/);
});

test('--cluster-name names the cluster (the name the confirmation asks for); a bad one exits 2', async (t) => {
  t.deepEqual((await json(['-i', KUBESPRAY, '--cluster-name', 'prod-eu1'])).cluster, { value: 'prod-eu1', from: '--cluster-name' });
  const r = await cli(MAIN, ['inventory', '-i', KUBESPRAY, '--cluster-name', 'Prod_EU1'], { env });
  t.is(r.code, 2);
  t.regex(r.stderr, /--cluster-name "Prod_EU1" must be a DNS-1123 label/);
});

test('-i FOLDER with two inventory files, or none, exits 2 saying which files', async (t) => {
  const dir = tempDir(join(tmpdir(), 'km-inv-'));
  cpSync(KUBESPRAY, dir, { recursive: true });
  writeFileSync(join(dir, 'hosts.yaml'), 'all:\n  hosts: {}\n');
  const two = await cli(MAIN, ['inventory', '-i', dir], { env });
  t.is(two.code, 2);
  t.regex(two.stderr, /a folder with several inventory files \(inventory\.ini, hosts\.yaml\): give one, e\.g\. -i .*inventory\.ini/);
  const none = await cli(MAIN, ['inventory', '-i', join(dir, 'group_vars')], { env });
  t.is(none.code, 2);
  t.regex(none.stderr, /a folder with no inventory file: expected one of inventory\.ini, hosts\.yaml, hosts\.yml/);
});

test('an inventory whose etcd is apart from the masters: shown as such, and refused by renew-certs, and by recover for its worker that is an etcd member (exit 2, nothing contacted)', async (t) => {
  const d = await json(['-i', KUBESPRAY_ETCD]);
  t.like(d.etcd, { placement: 'separate', members: ['node1', 'node2', 'node3'] });
  t.like(
    d.hosts.find((h) => h.name === 'node3'),
    { role: { value: 'worker' }, etcd: true },
  );
  const text = await cli(MAIN, ['inventory', '-i', KUBESPRAY_ETCD], { env });
  t.regex(text.stdout, /^node3 +worker\+etcd +192\.0\.2\.14 /m);
  const renew = await cli(MAIN, ['run', 'renew-certs', '--yes', '--limit', 'node1', '-i', KUBESPRAY_ETCD], { env });
  t.is(renew.code, 2, renew.stderr);
  t.regex(
    renew.stderr,
    /needs etcd stacked on the masters \(kubeadm's layout\), and this inventory's etcd is separate from the masters: node3 runs etcd and is not a master/,
  );
  t.regex(renew.stderr, /nothing was contacted/);
  t.is(renew.stdout, '');
  // recover keeps kubespray's etcd group apart from the masters, but not a worker that is also a member (node3)
  const rec = await cli(MAIN, ['plan', 'recover', '-i', KUBESPRAY_ETCD], { env });
  t.is(rec.code, 2, rec.stderr);
  t.regex(
    rec.stderr,
    /etcd group also holds node3, a worker \(kube_node\): a Kubernetes worker that is also an etcd member is not repaired yet; nothing was contacted/,
  );
  t.is(rec.stdout, '');
});

test("kubespray's sample (etcd on the masters, etcd_deployment_type: host): refused by renew-certs and backup (exit 2, nothing contacted); recover reads the hosts (its step 0 decides)", async (t) => {
  for (const args of [
    ['run', 'renew-certs', '--yes', '--limit', 'node1'],
    ['plan', 'backup'],
  ]) {
    const r = await cli(MAIN, [...args, '-i', KUBESPRAY], { env });
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(
      r.stderr,
      /needs kubeadm's etcd \(static pods on the masters, its CA in \/etc\/kubernetes\/pki\/etcd\), and this inventory sets etcd_deployment_type: host \(kubespray runs etcd as a systemd service, with its certificates in \/etc\/ssl\/etcd\/ssl; etcd members: node1, node2, node3\)/,
    );
    t.regex(r.stderr, /nothing was contacted/);
    t.is(r.stdout, '');
  }
  const r = await cli(MAIN, ['plan', 'recover', '-i', KUBESPRAY], { env });
  t.not(r.code, 0);
  t.notRegex(r.stderr, /needs kubeadm's etcd/, 'recover repairs etcd_deployment_type host: not refused from the inventory');
  t.regex(r.stdout + r.stderr, /facts\/shape: node1/, 'its step 0 reads the hosts');
});

/** A kubespray inventory folder whose hosts refuse connections (127.0.0.x port 1): `etcd.yml` holds `etcdVars`, the etcd group `etcd`. */
function refusingKubespray(etcdVars: string, etcd = 'm1'): string {
  const dir = tempDir(join(tmpdir(), 'km-spray-'));
  mkdirSync(join(dir, 'group_vars', 'all'), { recursive: true });
  const hosts = ['m1 ansible_host=127.0.0.1 ansible_port=1', 'w1 ansible_host=127.0.0.2 ansible_port=1', 'e1 ansible_host=127.0.0.3 ansible_port=1'];
  writeFileSync(
    join(dir, 'inventory.ini'),
    `[all]\n${hosts.join('\n')}\n\n[kube_control_plane]\nm1\n\n[etcd]\n${etcd.split(',').join('\n')}\n\n[kube_node]\nw1\n\n[k8s_cluster:children]\nkube_control_plane\nkube_node\n`,
  );
  writeFileSync(join(dir, 'group_vars', 'all', 'etcd.yml'), etcdVars);
  return join(dir, 'inventory.ini');
}

test('doctor on a kubespray inventory says which layout it found (a line, and diagnosis.layout in --json) instead of refusing it; it reads the hosts', async (t) => {
  const cases = [
    {
      vars: 'etcd_deployment_type: host\n',
      etcd: 'm1',
      line: /layout: kubespray's \(etcd: a systemd service on the masters \(m1\), certificates in \/etc\/ssl\/etcd\/ssl; from inventory: etcd_deployment_type host\)/m,
      finding: /^ {2}info: layout: kubespray's .*: recover repairs kubespray's default shape .*; no host could be read to confirm this is it/m,
    },
    {
      vars: 'etcd_deployment_type: docker\n',
      etcd: 'm1',
      line: /layout: kubespray's \(etcd: a container of a systemd unit on the masters \(m1\); from inventory: etcd_deployment_type docker\)/,
      finding: /^ {2}problem: layout: kubespray's .*kubemend does not repair this kubespray shape yet \(etcd_deployment_type docker\)/m,
    },
    {
      vars: 'etcd_deployment_type: host\n',
      etcd: 'e1',
      line: /layout: kubespray's \(etcd: a systemd service on the etcd group \(e1\), not the masters alone, certificates in \/etc\/ssl\/etcd\/ssl; from inventory: etcd_deployment_type host; inventory: etcd separate from the masters/,
      finding:
        /^ {2}info: layout: kubespray's .*: recover repairs kubespray's default shape \(its etcd service on its etcd group, nginx-proxy on the workers\) keeping its etcd; no host could be read/m,
    },
  ];
  for (const c of cases) {
    const inv = refusingKubespray(c.vars, c.etcd);
    const r = await cli(MAIN, ['doctor', '-i', inv], { env });
    t.is(r.code, 1, r.stderr);
    t.regex(r.stdout, c.line);
    t.regex(r.stdout, c.finding, 'one line of the findings');
    t.regex(r.stdout, /^could not reach: /m, 'the hosts were contacted, not refused up front');
    t.notRegex(r.stdout, /^run: /m);
    const j = await cli(MAIN, ['doctor', '-i', inv, '--json'], { env });
    t.is(j.code, 1, j.stderr);
    const layout = JSON.parse(j.stdout).diagnosis.layout;
    t.is(layout.name, 'kubespray');
    t.regex(`layout: kubespray's (etcd: ${layout.etcd}; from ${layout.evidence.join('; ')})`, c.line);
  }
});
