/**
 * servingSANs in the inventory: the names and addresses a host's kubelet serving certificate may
 * hold besides its name and address. Read from kubemend YAML (`servingSANs`) and Ansible
 * (`ip`, `access_ip`, `kubemend_serving_sans`); an entry that may never be that host's (a
 * wildcard, the apiserver's names, a loopback name, the endpoint, another host's) is refused with
 * file:line:field before any host is contacted.
 */
import test from 'ava';
import { join } from 'node:path';
import { InventoryError, loadInventory } from '../../lib/inventory/index.js';
import { tempFiles } from './helpers.js';

const noSshConfig = { sshConfigPath: '/nonexistent/ssh_config' };

test('kubemend YAML: servingSANs kept per host, canonical (lowercase, IPv6 compressed), no duplicates', async (t) => {
  const dir = tempFiles({
    'inv.yaml': `cluster: c1
controlPlaneEndpoint: 10.0.0.100:6443
hosts:
  - name: m1
    address: 10.0.0.11
    role: master
  - name: w1
    address: w1.example.com
    role: worker
    servingSANs: [10.0.1.21, "FD00:0:0:0:0:0:0:21", W1.Internal, 10.0.1.21]
`,
  });
  const inv = await loadInventory(join(dir, 'inv.yaml'), noSshConfig);
  t.deepEqual(inv.hosts.find((h) => h.name === 'w1')?.servingSANs, ['10.0.1.21', 'fd00::21', 'w1.internal']);
  t.is(inv.hosts.find((h) => h.name === 'm1')?.servingSANs, undefined);
});

test("servingSANs that may never be the host's are refused, each at its line, with the reason", async (t) => {
  const dir = tempFiles({
    'inv.yaml': `cluster: c1
controlPlaneEndpoint: api.example.com:6443
hosts:
  - name: m1
    address: 10.0.0.11
    role: master
  - name: w1
    address: 10.0.1.21
    role: worker
    servingSANs:
      - "*.example.com"
      - kubernetes.default.svc
      - localhost
      - api.example.com
      - 10.0.0.11
      - m1
      - w1.example.com
`,
  });
  const e = await t.throwsAsync(loadInventory(join(dir, 'inv.yaml'), noSshConfig), { instanceOf: InventoryError });
  const got = (e as InventoryError).issues.map((i) => `${i.line}:${i.field}: ${i.message}`);
  t.deepEqual(got, [
    '11:hosts[1].servingSANs[0]: a wildcard is never allowed in a serving certificate',
    '12:hosts[1].servingSANs[1]: "kubernetes.default.svc" is the apiserver\'s service name: never in a serving certificate of w1',
    '13:hosts[1].servingSANs[2]: "localhost" is a loopback name or address (it names every host): never in a serving certificate of w1',
    '14:hosts[1].servingSANs[3]: "api.example.com" is the control-plane endpoint: never in a serving certificate of w1',
    '15:hosts[1].servingSANs[4]: "10.0.0.11" belongs to host m1: never in a serving certificate of w1',
    '16:hosts[1].servingSANs[5]: "m1" belongs to host m1: never in a serving certificate of w1',
  ]);
});

test('Ansible (kubespray) YAML and INI: ip, access_ip and kubemend_serving_sans become servingSANs', async (t) => {
  const dir = tempFiles({
    'hosts.yaml': `all:
  hosts:
    node1: {ansible_host: 203.0.113.11, ip: 10.0.0.11, access_ip: 10.0.0.11}
    node2: {ansible_host: 203.0.113.12, ip: 10.0.0.12, kubemend_serving_sans: [node2.internal]}
  children:
    kube_control_plane: {hosts: {node1: }}
    kube_node: {hosts: {node2: }}
`,
    'hosts.ini': `[kube_control_plane]
m1 ansible_host=203.0.113.11 ip=10.0.0.11 kubemend_serving_sans=m1.internal,fd00::11
[kube_node]
w1 ansible_host=203.0.113.21
`,
  });
  const y = await loadInventory(join(dir, 'hosts.yaml'), noSshConfig);
  t.deepEqual(
    y.hosts.map((h) => [h.name, h.servingSANs]),
    [
      ['node1', ['10.0.0.11']],
      ['node2', ['10.0.0.12', 'node2.internal']],
    ],
  );
  const i = await loadInventory(join(dir, 'hosts.ini'), noSshConfig);
  t.deepEqual(
    i.hosts.map((h) => [h.name, h.servingSANs]),
    [
      ['m1', ['10.0.0.11', 'm1.internal', 'fd00::11']],
      ['w1', undefined],
    ],
  );
});
