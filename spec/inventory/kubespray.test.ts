/**
 * kubespray inventories read as Ansible reads them, on a committed copy of kubespray's sample
 * layout (inventory/mycluster/inventory.ini + group_vars/ + host_vars/): group_vars precedence,
 * ranges with strides, the etcd group, the cluster name, Jinja refusal with file:line, warnings.
 * Each case runs with kubemend's reader alone and with ansible-inventory as the reference.
 */
import test, { type ExecutionContext } from 'ava';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EtcdTopologyError } from '../../lib/inventory/etcd.js';
import {
  InventoryError,
  loadInventory,
  requireKubeadmEtcd,
  requireStackedEtcd,
  selectHosts,
  type Inventory,
  type LoadOptions,
} from '../../lib/inventory/index.js';
import { KUBESPRAY, KUBESPRAY_ETCD, NO_SSH, copyFixture, requireAnsible, withAnsible } from './helpers-ansible.js';

type Mode = 'reader' | 'ansible-inventory';
const MODES: Mode[] = ['reader', 'ansible-inventory'];
/** A test per mode: kubemend's reader alone, and ansible-inventory as the reference. */
function both(title: string, fn: (t: ExecutionContext, load: (path: string, o?: LoadOptions) => Promise<Inventory>, mode: Mode) => Promise<void>): void {
  for (const mode of MODES) {
    (mode === 'reader' ? test : withAnsible)(`${title} [${mode}]`, async (t) => {
      const ansibleInventory = mode === 'reader' ? (false as const) : requireAnsible(t);
      await fn(t, (p, o = {}) => loadInventory(p, { ...NO_SSH, ansibleInventory, ...o }), mode);
    });
  }
}

const names = (hs: { name: string }[]): string[] => hs.map((h) => h.name);
const gv = (dir: string, f: string): string => join(dir, f);

both('kubespray sample layout: -i FOLDER finds inventory.ini; group_vars and host_vars with Ansible precedence', async (t, load, mode) => {
  const inv = await load(KUBESPRAY);
  const at = (f: string, line: number): string => `${gv(KUBESPRAY, f)}:${line}`;
  t.is(inv.file, join(KUBESPRAY, 'inventory.ini'));
  t.is(inv.reader?.reference, mode === 'reader' ? "kubemend's reader" : 'ansible-inventory');
  t.deepEqual(
    inv.hosts.map((h) => `${h.name}/${h.role}`),
    ['node1/master', 'node2/master', 'node3/master', 'node04/worker', 'node06/worker', 'node08/worker', 'node05/worker'],
  );
  t.like(inv.origins, { cluster: 'folder name mycluster/', controlPlaneEndpoint: at('group_vars/all/all.yml', 12) });
  t.is(inv.cluster, 'mycluster', "kubespray's cluster_name (cluster.local, a DNS domain) is not taken as the name");
  t.is(inv.controlPlaneEndpoint, '10.3.0.100:6443');
  t.deepEqual(inv.etcd, {
    placement: 'stacked',
    members: ['node1', 'node2', 'node3'],
    reason: 'stacked on the masters (group etcd = the masters)',
    deploymentType: 'host',
  });
  const h = Object.fromEntries(inv.hosts.map((x) => [x.name, x]));
  const o = inv.origins!.hosts;
  // group_vars/all/all.yml (ansible_user: ubuntu, ansible_port: 22) for the masters; group_vars/etcd.yml gives the become password
  t.like(h.node1, { address: '10.3.0.1', user: 'ubuntu', port: 22, sudo: 'password', first: true });
  t.like(o.node1, {
    address: at('inventory.ini', 3),
    user: at('group_vars/all/all.yml', 6),
    port: at('group_vars/all/all.yml', 7),
    sudo: at('group_vars/etcd.yml', 3),
  });
  // host_vars/node3.yml beats every group var
  t.like(h.node3, { port: 2203 });
  t.is(o.node3!.port, at('host_vars/node3.yml', 2));
  // the INI host var (ansible_user=deploy) beats group_vars/kube_node/ssh.yml; group_vars/all (port 22) beats [kube_node:vars] ansible_port=2222
  t.like(h.node04, { address: 'node04', user: 'deploy', port: 22, sudo: 'nopasswd' });
  t.like(o.node04, { user: at('inventory.ini', 6), port: at('group_vars/all/all.yml', 7), address: 'the inventory host name' });
  // group_vars/kube_node/ssh.yml beats group_vars/all; "{{ ip }}" is rendered from the host's own ip
  t.like(h.node05, { address: '10.3.0.5', user: 'admin' });
  t.like(o.node05, { address: at('inventory.ini', 7), user: at('group_vars/kube_node/ssh.yml', 3) });
  // host_vars/node06 (no extension) beats the INI host var
  t.like(h.node06, { user: 'ops', labels: { pool: 'gpu' } });
  t.is(o.node06!.user, at('host_vars/node06', 2));
  t.deepEqual(inv.warnings, [], 'nothing in the sample layout is unsupported');
  t.deepEqual(names(selectHosts(inv, ['k8s_cluster'])), names(inv.hosts), "kubespray's dynamic group k8s_cluster");
  t.deepEqual(inv.reader?.varsFiles.map((f) => f.slice(KUBESPRAY.length + 1)).sort(), [
    'group_vars/all/all.yml',
    'group_vars/all/etcd.yml',
    'group_vars/etcd.yml',
    'group_vars/k8s_cluster/k8s-cluster.yml',
    'group_vars/k8s_cluster/kube_control_plane.yml',
    'group_vars/kube_node/ssh.yml',
    'host_vars/node06',
    'host_vars/node3.yml',
  ]);
});

both('the cluster name: --cluster-name > kubemend_cluster_name > a plain cluster_name > the folder (kubespray) or file name', async (t, load) => {
  const dir = copyFixture(KUBESPRAY);
  const all = join(dir, 'group_vars/all/all.yml');
  const base = readFileSync(all, 'utf8');
  t.is((await load(dir)).cluster, basenameOf(dir), 'a kubespray inventory.ini is named after its folder');
  // kubespray's group_vars/k8s_cluster/k8s-cluster.yml says cluster_name: cluster.local (beating group_vars/all): a DNS domain, skipped
  writeFileSync(all, `${base}cluster_name: prod-eu1\n`);
  t.is((await load(dir)).cluster, basenameOf(dir), 'group_vars/k8s_cluster beats group_vars/all');
  const k8s = join(dir, 'group_vars/k8s_cluster/k8s-cluster.yml');
  writeFileSync(k8s, readFileSync(k8s, 'utf8').replace('cluster_name: cluster.local', 'cluster_name: prod-eu1'));
  t.is((await load(dir)).cluster, 'prod-eu1', 'a cluster_name without dots is a name');
  writeFileSync(all, `${base}kubemend_cluster_name: edge-7\n`);
  const inv = await load(dir);
  t.is(inv.cluster, 'edge-7');
  t.is(inv.origins?.cluster, `${all}:${base.split('\n').length}`);
  const flag = await load(dir, { clusterName: 'other' });
  t.like(flag, { cluster: 'other', origins: { cluster: '--cluster-name' } });
  writeFileSync(all, `${base}kubemend_cluster_name: Edge_7\n`);
  const err = await t.throwsAsync(load(dir), { instanceOf: InventoryError });
  t.deepEqual(
    err!.issues.map((i) => `${i.file}:${i.line}:${i.field}`),
    [`${all}:${base.split('\n').length}:kubemend_cluster_name`],
  );
  t.regex(err!.issues[0]!.message, /must be a DNS-1123 label/);
  await t.throwsAsync(load(dir, { clusterName: 'Bad Name' }), { instanceOf: InventoryError, message: /--cluster-name "Bad Name" must be a DNS-1123 label/ });
});

function basenameOf(p: string): string {
  return p
    .split('/')
    .filter(Boolean)
    .pop()!
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-');
}

both('a Jinja template kubemend cannot evaluate is refused at its file:line, never misread', async (t, load) => {
  const dir = copyFixture(KUBESPRAY);
  const ssh = join(dir, 'group_vars/kube_node/ssh.yml');
  writeFileSync(ssh, readFileSync(ssh, 'utf8').replace('ansible_user: admin', `ansible_user: "{{ lookup('env', 'USER') }}"`));
  appendFileSync(join(dir, 'host_vars/node3.yml'), 'ansible_host: "{{ no_such_var }}"\n');
  const err = await t.throwsAsync(load(dir), { instanceOf: InventoryError });
  const got = err!.issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.field}`);
  t.deepEqual(got.sort(), [`${join(dir, 'host_vars/node3.yml')}:3:15: ansible_host`, `${ssh}:3:15: ansible_user`].sort());
  const user = err!.issues.find((i) => i.field === 'ansible_user')!;
  t.regex(user.message, /a Jinja template kubemend cannot evaluate \(only \{\{ var \}\} is evaluated/);
  t.regex(err!.issues.find((i) => i.field === 'ansible_host')!.message, /no_such_var is not defined for node3/);
  // templates in vars kubemend does not use (kubespray's kube_script_dir: "{{ bin_dir }}/...") are no problem: the sample loads
});

both('unsupported Ansible vars are warnings naming the var and its file:line; a password never shows', async (t, load) => {
  const dir = copyFixture(KUBESPRAY);
  appendFileSync(join(dir, 'group_vars/all/all.yml'), 'ansible_ssh_common_args: "-o StrictHostKeyChecking=no"\nansible_python_interpreter: /usr/bin/python3\n');
  appendFileSync(join(dir, 'host_vars/node3.yml'), 'ansible_become_method: su\nansible_password: Sup3r-Secret\nansible_connection: local\n');
  const inv = await load(dir);
  const all = join(dir, 'group_vars/all/all.yml');
  const n3 = join(dir, 'host_vars/node3.yml');
  t.deepEqual(
    inv.warnings.map((w) => /^.*?:\d+: ansible_\w+/.exec(w)?.[0] ?? w).sort(),
    [
      `${all}:${readFileSync(all, 'utf8').split('\n').length - 2}: ansible_ssh_common_args`,
      `${n3}:3: ansible_become_method`,
      `${n3}:4: ansible_password`,
      `${n3}:5: ansible_connection`,
    ].sort(),
  );
  t.true(inv.warnings.some((w) => /ansible_become_method: kubemend becomes root with sudo only: become method su/.test(w)));
  t.true(inv.warnings.some((w) => /ansible_connection: kubemend connects over SSH only: connection local/.test(w)));
  t.false(JSON.stringify(inv).includes('Sup3r-Secret'));
});

both('Ansible Vault: an encrypted var kubemend needs is refused at its line; a whole encrypted vars file is named', async (t, load, mode) => {
  const dir = copyFixture(KUBESPRAY);
  writeFileSync(join(dir, 'group_vars/all/vault.yml'), '$ANSIBLE_VAULT;1.1;AES256\n6331653337343032636332653066383037663033333132360a3461663835303636\n');
  const inv = await load(dir);
  t.true(
    inv.warnings.some((w) => w.startsWith(`${join(dir, 'group_vars/all/vault.yml')}: encrypted with Ansible Vault`)),
    inv.warnings.join('\n'),
  );
  if (mode === 'ansible-inventory')
    t.true(
      inv.warnings.some((w) => /ansible-inventory failed \(exit 4: ERROR! Attempting to decrypt but no vault secrets found\)/.test(w)),
      inv.warnings.join('\n'),
    );
  appendFileSync(join(dir, 'host_vars/node3.yml'), 'ansible_user: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3635\n');
  const err = await t.throwsAsync(load(dir), { instanceOf: InventoryError });
  t.deepEqual(
    err!.issues.map((i) => `${i.line}:${i.field}`),
    ['3:ansible_user'],
  );
  t.regex(err!.issues[0]!.message, /encrypted with Ansible Vault/);
});

both(
  'vars files as Ansible finds them: a folder beats a file of the same name, .yml beats .yaml, hidden, ~ and other extensions skipped, folders walked',
  async (t, load) => {
    const dir = copyFixture(KUBESPRAY);
    writeFileSync(join(dir, 'group_vars/all.yml'), 'ansible_user: not-read\n'); // group_vars/all/ exists: this file is not read
    writeFileSync(join(dir, 'group_vars/kube_control_plane.yml'), 'ansible_port: 2301\n');
    writeFileSync(join(dir, 'group_vars/kube_control_plane.yaml'), 'ansible_port: 9999\n'); // .yml found first
    writeFileSync(join(dir, 'group_vars/kube_node/.hidden.yml'), 'ansible_port: 9001\n');
    writeFileSync(join(dir, 'group_vars/kube_node/backup.yml~'), 'ansible_port: 9002\n');
    writeFileSync(join(dir, 'group_vars/kube_node/notes.txt'), 'ansible_port: 9003\n');
    mkdirSync(join(dir, 'group_vars/kube_node/deeper'));
    writeFileSync(join(dir, 'group_vars/kube_node/deeper/z.json'), '{"ansible_port": 2302}\n');
    const inv = await load(dir);
    const h = Object.fromEntries(inv.hosts.map((x) => [x.name, x]));
    t.like(h.node1, { user: 'ubuntu', port: 2301 });
    t.like(h.node3, { port: 2203 });
    t.like(h.node05, { port: 2302 });
    t.is(inv.origins!.hosts.node05!.port, `${join(dir, 'group_vars/kube_node/deeper/z.json')}:1`);
  },
);

both(
  "kubespray's checkout around the inventory: its group_vars are playbook vars (above the inventory's group_vars/all, below its group_vars/GROUP)",
  async (t, load) => {
    const root = copyFixture(join(KUBESPRAY, '..', '..'));
    writeFileSync(join(root, 'cluster.yml'), '- import_playbook: playbooks/cluster.yml\n');
    mkdirSync(join(root, 'roles', 'kubespray_defaults'), { recursive: true });
    mkdirSync(join(root, 'group_vars'));
    writeFileSync(join(root, 'group_vars', 'all.yml'), 'ansible_user: playbook-user\nansible_port: 2400\n');
    const inv = await load(join(root, 'inventory', 'mycluster'));
    const h = Object.fromEntries(inv.hosts.map((x) => [x.name, x]));
    t.like(h.node1, { user: 'playbook-user', port: 2400 });
    t.is(inv.origins!.hosts.node1!.user, `${join(root, 'group_vars', 'all.yml')}:1`);
    t.like(h.node05, { user: 'admin', port: 2400 }, 'group_vars/kube_node (inventory) beats the playbook group_vars/all');
    t.like(h.node3, { port: 2203 });
  },
);

both(
  'etcd apart from the control plane (kubespray docs example): a host in etcd and kube_node is a worker running etcd, not a plain worker',
  async (t, load) => {
    const inv = await load(KUBESPRAY_ETCD);
    t.is(inv.file, join(KUBESPRAY_ETCD, 'hosts.yaml'));
    t.is(inv.format, 'ansible-yaml');
    t.deepEqual(
      inv.hosts.map((h) => `${h.name}/${h.role}`),
      ['node1/master', 'node2/master', 'node3/worker', 'node4/worker', 'node5/worker', 'node6/worker'],
    );
    t.like(inv.etcd, { placement: 'separate', members: ['node1', 'node2', 'node3'], deploymentType: 'host' });
    t.regex(inv.etcd!.reason, /node3 runs etcd and is not a master/);
    t.deepEqual(names(selectHosts(inv, ['etcd'])), ['node1', 'node2', 'node3']);
    t.deepEqual(names(selectHosts(inv, ['etcd,&kube_node'])), ['node2', 'node3']);
    t.deepEqual(names(selectHosts(inv, ['kube_node,!etcd'])), ['node4', 'node5', 'node6']);
    t.is(inv.cluster, 'edge-1');
    t.is(inv.origins?.cluster, `${join(KUBESPRAY_ETCD, 'group_vars/all/all.yml')}:5`);
    // the bastion: a host named like its group gives its vars to the group (Ansible), so group_vars/all's ansible_user wins
    t.deepEqual(inv.hosts[0]!.jump, { host: '203.0.113.5', port: 22, user: 'ubuntu' });
    t.true(
      inv.warnings.some((w) =>
        w.startsWith(
          `${join(KUBESPRAY_ETCD, 'group_vars/all/all.yml')}:3: ansible_ssh_common_args: not passed (kubemend does not run ssh): for a jump host use the bastion group`,
        ),
      ),
      inv.warnings.join('\n'),
    );
    t.true(inv.warnings.some((w) => /^bastion is both a host and a group/.test(w)));
    const err = t.throws(() => requireStackedEtcd(inv, 'playbook recover'), { instanceOf: EtcdTopologyError });
    t.is(err!.code, 'EUSAGE');
    t.regex(err!.message, /playbook recover needs etcd stacked on the masters .* node3 runs etcd and is not a master .* nothing was contacted/);
    // recover keeps kubespray's `host` etcd on the masters and etcd-only hosts: here node3 is a worker in the etcd group, still refused;
    // as an etcd-only host it passes; another etcd_deployment_type does not
    t.is(inv.etcd?.deploymentType, 'host');
    const w = t.throws(() => requireStackedEtcd(inv, 'playbook recover', ['host']), { instanceOf: EtcdTopologyError });
    t.regex(w!.message, /etcd group also holds node3, a worker \(kube_node\): a Kubernetes worker that is also an etcd member is not repaired yet/);
    const etcdOnly = { ...inv, hosts: inv.hosts.map((h) => (h.name === 'node3' ? { ...h, role: 'etcd' as const } : h)) };
    t.notThrows(() => requireStackedEtcd(etcdOnly, 'playbook recover', ['host']));
    t.throws(() => requireStackedEtcd({ ...etcdOnly, etcd: { ...inv.etcd!, deploymentType: 'docker' } }, 'playbook recover', ['host']), {
      instanceOf: EtcdTopologyError,
    });
  },
);

both('a host in etcd only is a host of role etcd; masters without etcd make it separate too', async (t, load) => {
  const dir = copyFixture(KUBESPRAY);
  const ini = join(dir, 'inventory.ini');
  writeFileSync(
    ini,
    readFileSync(ini, 'utf8').replace(
      '[etcd:children]\nkube_control_plane\n',
      '[etcd]\netcd1 ansible_host=10.3.1.11\netcd2 ansible_host=10.3.1.12\netcd3 ansible_host=10.3.1.13\n',
    ),
  );
  const inv = await load(dir);
  t.deepEqual(
    inv.hosts.filter((h) => h.role === 'etcd').map((h) => `${h.name}@${h.address}`),
    ['etcd1@10.3.1.11', 'etcd2@10.3.1.12', 'etcd3@10.3.1.13'],
  );
  t.like(inv.etcd, { placement: 'separate', members: ['etcd1', 'etcd2', 'etcd3'] });
  t.regex(inv.etcd!.reason, /etcd1, etcd2, etcd3 run etcd and are not masters; masters node1, node2, node3 run no etcd/);
  t.deepEqual(names(selectHosts(inv, ['masters'])), ['node1', 'node2', 'node3']);
});

both('a broken vars file is refused at its own file:line:column, like the inventory', async (t, load) => {
  const dir = copyFixture(KUBESPRAY);
  writeFileSync(join(dir, 'group_vars/all/all.yml'), 'ansible_user: ubuntu\nloadbalancer_apiserver: {address: 10.3.0.100\n');
  writeFileSync(join(dir, 'host_vars/node3.yml'), '- a list, not a mapping\n');
  const err = await t.throwsAsync(load(dir), { instanceOf: InventoryError });
  t.deepEqual(err!.issues.map((i) => `${i.file.slice(dir.length + 1)}:${i.line}:${i.field}`).sort(), [
    'group_vars/all/all.yml:3:(syntax)',
    'host_vars/node3.yml:1:(document)',
  ]);
  t.regex(err!.format(), new RegExp(`^${join(dir, 'group_vars/all/all.yml')}:3:1: \\(syntax\\): YAML: `, 'm'));
  t.regex(err!.format(), /host_vars\/node3\.yml:1:1: \(document\): a vars file must be a mapping/);
});

both(
  "etcd_deployment_type host or docker (kubespray's etcd outside kubeadm) is refused even on the masters, unless the command handles it (recover: host); kubeadm is not",
  async (t, load) => {
    const inv = await load(KUBESPRAY);
    t.like(inv.etcd, { placement: 'stacked', deploymentType: 'host' });
    t.notThrows(() => requireStackedEtcd(inv, 'playbook recover'));
    const err = t.throws(() => requireKubeadmEtcd(inv, 'playbook renew-certs'), { instanceOf: EtcdTopologyError });
    t.is(err!.code, 'EUSAGE');
    t.regex(
      err!.message,
      /^playbook renew-certs needs kubeadm's etcd .* etcd_deployment_type: host .*\/etc\/ssl\/etcd\/ssl; etcd members: node1, node2, node3\)\. It does not handle that layout; nothing was contacted/,
    );
    t.notThrows(() => requireKubeadmEtcd(inv, 'playbook recover', ['host']), "recover repairs kubespray's etcd service on the masters");
    for (const [type, refused] of [
      ['docker', true],
      ['kubeadm', false],
    ] as const) {
      const dir = copyFixture(KUBESPRAY);
      const f = join(dir, 'group_vars/all/etcd.yml');
      writeFileSync(f, readFileSync(f, 'utf8').replace('etcd_deployment_type: host', `etcd_deployment_type: ${type}`));
      const other = await load(dir);
      t.is(other.etcd?.deploymentType, type);
      if (refused)
        t.throws(() => requireKubeadmEtcd(other, 'playbook recover', ['host']), {
          message:
            /etcd_deployment_type: docker \(kubespray runs etcd as a container of a systemd unit.* It does not handle that layout \(only etcd_deployment_type host\)/,
        });
      else t.notThrows(() => requireKubeadmEtcd(other, 'doctor'));
    }
  },
);
