/** loadInventory on good inventories: the examples, the Ansible imports, ~/.ssh/config merge, defaults. */
import test from 'ava';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync, writeFileSync } from 'node:fs';
import { InventoryError, loadInventory } from '../../lib/inventory/index.js';
import { tempFiles } from './helpers.js';

const examples = fileURLToPath(new URL('../../inventory/', import.meta.url));
const noSshConfig = { sshConfigPath: '/nonexistent/ssh_config' };

test('inventory/example.yaml: 3 masters + 3 workers, defaults and per-host overrides', async (t) => {
  const inv = await loadInventory(join(examples, 'example.yaml'), noSshConfig);
  t.is(inv.format, 'kubemend');
  t.is(inv.file, join(examples, 'example.yaml'));
  t.is(inv.cluster, 'prod-eu1');
  t.is(inv.controlPlaneEndpoint, '10.0.0.10:6443');
  t.is(inv.kubeadmConfig, join(examples, 'kubeadm-config.yaml'));
  t.deepEqual(
    inv.hosts.map((h) => `${h.name}/${h.role}`),
    ['m1/master', 'm2/master', 'm3/master', 'w1/worker', 'w2/worker', 'w3/worker'],
  );
  t.deepEqual(
    inv.hosts.filter((h) => h.first).map((h) => h.name),
    ['m1'],
  );
  t.is(inv.ssh.connectTimeoutMs, 10_000);
  t.is(inv.ssh.commandTimeoutMs, 600_000);
  t.is(inv.ssh.sudo, 'none');
  t.true(inv.ssh.knownHosts.endsWith('/.ssh/known_hosts'));
  const w3 = inv.hosts.find((h) => h.name === 'w3')!;
  t.like(w3, { address: 'w3.prod-eu1.example.com', user: 'admin', port: 2222, sudo: 'nopasswd', labels: { zone: 'c', pool: 'gpu' } });
  t.like(inv.hosts[0], { user: 'root', port: 22, sudo: 'none', labels: { zone: 'a' } });
  t.deepEqual(inv.warnings, []);
});

test('inventory/kubespray-hosts.yaml: a host in kube_control_plane and kube_node is a master; vars merged', async (t) => {
  const inv = await loadInventory(join(examples, 'kubespray-hosts.yaml'), noSshConfig);
  t.is(inv.format, 'ansible-yaml');
  t.is(inv.cluster, 'prod-eu1');
  t.is(inv.controlPlaneEndpoint, '10.0.0.10:6443');
  t.deepEqual(
    inv.hosts.map((h) => `${h.name}/${h.role}/${h.address}`),
    ['node1/master/10.0.0.11', 'node2/master/10.0.0.12', 'node3/master/10.0.0.13', 'node4/worker/10.0.1.21', 'node5/worker/10.0.1.22'],
  );
  t.true(inv.hosts[0]!.first);
  t.like(inv.hosts[4], { user: 'admin', port: 2222, sudo: 'nopasswd' });
  t.like(inv.hosts[3], { user: 'root', port: 22, sudo: 'none', labels: { pool: 'general' } });
});

test('inventory/ansible.ini: ranges, group vars below host vars, load balancer endpoint, node_labels', async (t) => {
  const inv = await loadInventory(join(examples, 'ansible.ini'), noSshConfig);
  t.is(inv.format, 'ansible-ini');
  t.is(inv.cluster, 'prod-eu1');
  t.is(inv.controlPlaneEndpoint, 'api.prod-eu1.example.com:6443');
  t.deepEqual(
    inv.hosts.map((h) => `${h.name}/${h.role}/${h.address}:${h.port}/${h.user}`),
    [
      'm1/master/10.0.0.11:22/root',
      'm2/master/10.0.0.12:22/root',
      'm3/master/10.0.0.13:22/root',
      'w1/worker/10.0.1.21:2222/admin',
      'w2/worker/10.0.1.22:2222/admin',
      'w3/worker/10.0.1.23:2222/admin',
    ],
  );
  t.deepEqual(inv.hosts[5]!.labels, { pool: 'gpu' });
});

test('Ansible: cluster name from the file name, endpoint from the first master, an etcd-only host kept with role etcd (separate etcd), bastion as jump', async (t) => {
  const dir = tempFiles({
    'Staging_Hosts.ini': `[kube_control_plane]
cp1 ansible_host=10.1.0.11 ansible_user=ubuntu ansible_become_password=s3cr3t-pass
[etcd]
cp1
ext-etcd ansible_host=10.1.0.99
[kube_node]
n1 ansible_host=10.1.0.21
[bastion]
bastion ansible_host=203.0.113.5 ansible_user=jump ansible_port=2022
`,
  });
  const inv = await loadInventory(join(dir, 'Staging_Hosts.ini'), noSshConfig);
  t.is(inv.cluster, 'staging-hosts');
  t.is(inv.controlPlaneEndpoint, '10.1.0.11:6443');
  t.deepEqual(
    inv.hosts.map((h) => `${h.name}/${h.role}`),
    ['cp1/master', 'n1/worker', 'ext-etcd/etcd'],
  );
  t.like(inv.etcd, { placement: 'separate', members: ['cp1', 'ext-etcd'] });
  t.regex(inv.etcd!.reason, /ext-etcd runs etcd and is not a master/);
  t.like(inv.hosts[0], { user: 'ubuntu', sudo: 'password' });
  t.deepEqual(inv.ssh.jump, { host: '203.0.113.5', port: 2022, user: 'jump' });
  t.deepEqual(inv.hosts[1]!.jump, { host: '203.0.113.5', port: 2022, user: 'jump' });
  t.like(inv.hosts[2], { address: '10.1.0.99', role: 'etcd' });
  t.false(JSON.stringify(inv).includes('s3cr3t-pass'), 'the become password is not kept');
});

test('~/.ssh/config: matched by name and by address; inventory values win; ssh config wins over defaults', async (t) => {
  const dir = tempFiles({
    id_m1: 'key',
    id_jump: 'key',
    ssh_config: '',
    'inv.yaml': `cluster: c1
controlPlaneEndpoint: 10.0.0.10:6443
hosts:
  - {name: m1, address: 10.0.0.11, role: master}
  - {name: m2, address: 10.0.0.12, role: master, user: root, port: 22}
  - {name: m3, address: 10.0.0.13, role: master}
  - {name: w1, address: 10.0.1.21, role: worker}
`,
  });
  writeFileSync(
    join(dir, 'ssh_config'),
    `Host m1 m2
  User ops
  Port 2200
  IdentityFile ${join(dir, 'id_m1')}

Host 10.0.1.*
  User wuser
  ProxyJump jumper@bastion:2022

Host bastion
  HostName 10.0.0.5
  IdentityFile ${join(dir, 'id_jump')}

Host *
  User fallback
`,
  );
  const inv = await loadInventory(join(dir, 'inv.yaml'), { sshConfigPath: join(dir, 'ssh_config') });
  const [m1, m2, m3, w1] = inv.hosts;
  t.like(m1, { user: 'ops', port: 2200, identityFile: join(dir, 'id_m1'), sudo: 'nopasswd' });
  t.like(m2, { user: 'root', port: 22, identityFile: join(dir, 'id_m1'), sudo: 'none' });
  t.like(m3, { user: 'fallback', port: 22 });
  t.is(m3!.identityFile, undefined);
  t.like(w1, { user: 'wuser', address: '10.0.1.21' });
  t.deepEqual(w1!.jump, { host: '10.0.0.5', port: 2022, user: 'jumper', identityFile: join(dir, 'id_jump') });
});

test('~/.ssh/config: the inventory ssh: block beats ssh config; HostName applies only where the inventory gave no address', async (t) => {
  const dir = tempFiles({
    ssh_config: 'Host *\n  User cfguser\n  Port 2200\nHost n1\n  HostName 10.9.0.21\nHost cp1\n  HostName 10.9.0.11\n',
    'inv.yaml': `cluster: c1
controlPlaneEndpoint: 10.0.0.10:6443
ssh: {user: admin}
hosts:
  - {name: cp1, address: 10.0.0.11, role: master}
`,
    'hosts.ini': '[kube_control_plane]\ncp1 ansible_host=10.0.0.11\n[kube_node]\nn1\n',
  });
  const a = await loadInventory(join(dir, 'inv.yaml'), { sshConfigPath: join(dir, 'ssh_config') });
  t.like(a.hosts[0], { user: 'admin', port: 2200, address: '10.0.0.11' });
  const b = await loadInventory(join(dir, 'hosts.ini'), { sshConfigPath: join(dir, 'ssh_config') });
  t.deepEqual(
    b.hosts.map((h) => `${h.name}@${h.address}`),
    ['cp1@10.0.0.11', 'n1@10.9.0.21'],
  );
});

test('~/.ssh/config values are validated too (a metacharacter in User is refused at the host)', async (t) => {
  const dir = tempFiles({
    ssh_config: 'Host m1\n  User "x;reboot"\n',
    'inv.yaml': 'cluster: c1\ncontrolPlaneEndpoint: 10.0.0.10:6443\nhosts:\n  - {name: m1, address: 10.0.0.11, role: master}\n',
  });
  const err = await t.throwsAsync(loadInventory(join(dir, 'inv.yaml'), { sshConfigPath: join(dir, 'ssh_config') }));
  // the reference is `ssh -G` when ssh is installed, else kubemend's reader of the file: both refuse it
  t.regex((err as Error).message, /inv\.yaml:4:5: hosts\[0\]\.user: (ssh -G|.*ssh_config) gives an invalid User/);
});

test('defaults: first = first master listed, even masters warn, IPv6, relative paths, jump string, durations', async (t) => {
  const dir = tempFiles({
    id_test: 'key',
    'inv.yaml': `cluster: v6
controlPlaneEndpoint: "[fd00::10]:6443"
ssh:
  identityFile: ./id_test
  knownHosts: ./known_hosts
  jump: ops@bastion.example.com:2022
  connectTimeout: 500ms
  commandTimeout: 2m
hosts:
  - {name: w1, address: "fd00::21", role: worker}
  - {name: m1, address: "fd00::11", role: master}
  - {name: m2, address: "fd00::12", role: master, jump: {host: 10.0.0.6}}
`,
  });
  const inv = await loadInventory(join(dir, 'inv.yaml'), { sshConfigPath: join(dir, 'none') });
  t.deepEqual(
    inv.hosts.filter((h) => h.first).map((h) => h.name),
    ['m1'],
  );
  t.is(inv.controlPlaneEndpoint, '[fd00::10]:6443');
  t.is(inv.ssh.identityFile, join(dir, 'id_test'));
  t.is(inv.ssh.knownHosts, join(dir, 'known_hosts'));
  t.is(inv.ssh.connectTimeoutMs, 500);
  t.is(inv.ssh.commandTimeoutMs, 120_000);
  t.deepEqual(inv.hosts[0]!.jump, { host: 'bastion.example.com', port: 2022, user: 'ops' });
  t.deepEqual(inv.hosts[2]!.jump, { host: '10.0.0.6', port: 22, user: 'root' });
  t.is(inv.hosts[0]!.identityFile, join(dir, 'id_test'));
  t.is(inv.warnings.length, 1);
  t.regex(inv.warnings[0]!, /2 masters/);
});

test('INI: inline comments after host lines, name:port, padded ranges, ungrouped hosts', async (t) => {
  const dir = tempFiles({
    'hosts.ini': `; a comment
[kube_control_plane]
cp1:2201 ansible_host=10.0.0.11   # the first master
[kube_node]
n[01:02] ansible_port=2022
n03 ansible_host=10.0.1.3 ansible_port=2022
n04 ansible_host=10.0.1.3 ansible_port=2022
`,
  });
  const err = await t.throwsAsync(loadInventory(join(dir, 'hosts.ini'), noSshConfig), { instanceOf: InventoryError });
  t.deepEqual(
    err?.issues.map((i) => `${i.line}:${i.field}`),
    ['7:n04.ansible_host'],
  );
  writeFileSync(join(dir, 'hosts.ini'), readFileSync(join(dir, 'hosts.ini'), 'utf8').replace(/^n04.*$/m, ''));
  const inv = await loadInventory(join(dir, 'hosts.ini'), noSshConfig);
  t.deepEqual(
    inv.hosts.map((h) => `${h.name}@${h.address}:${h.port}`),
    ['cp1@10.0.0.11:2201', 'n01@n01:2022', 'n02@n02:2022', 'n03@10.0.1.3:2022'],
  );
});

test('the inventory scripts/lab writes (relative key and known_hosts, non-22 port) loads', async (t) => {
  const dir = tempFiles({
    id_ed25519: 'key',
    known_hosts: '',
    'inventory.yaml': `# written by scripts/lab up (net 7); paths are relative to this file
cluster: lab
controlPlaneEndpoint: 10.77.0.11:6443
ssh:
  user: root
  port: 2222
  identityFile: id_ed25519
  knownHosts: known_hosts
  sudo: none
hosts:
  - name: m1
    address: 10.77.0.11
    role: master
  - name: w1
    address: 10.77.0.21
    role: worker

`,
  });
  const inv = await loadInventory(join(dir, 'inventory.yaml'), noSshConfig);
  t.like(inv.ssh, { port: 2222, identityFile: join(dir, 'id_ed25519'), knownHosts: join(dir, 'known_hosts'), sudo: 'none' });
  t.like(inv.hosts[1], { name: 'w1', port: 2222, user: 'root', identityFile: join(dir, 'id_ed25519'), first: false });
  t.true(inv.hosts[0]!.first);
});
