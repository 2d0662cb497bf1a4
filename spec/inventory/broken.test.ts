/** The corpus of broken inventories: each refused with an InventoryError whose issues point at the right line and field. */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InventoryError, loadInventory } from '../../lib/inventory/index.js';
import { tempFiles } from './helpers.js';

const dir = fileURLToPath(new URL('./broken/', import.meta.url));
const noSshConfig = { sshConfigPath: join(dir, 'no-such-ssh-config') };

/** file -> every expected issue as `line:field` (exact set, so a missed or extra issue fails). */
const table: Record<string, string[]> = {
  'bad-yaml.yaml': ['5:(syntax)'],
  'duplicate-keys.yaml': ['3:(syntax)'],
  'alias-bomb.yaml': ['1:(syntax)'],
  'wrong-types.yaml': ['4:ssh.port', '5:ssh.user', '10:hosts[0].first', '12:hosts[1].address', '14:hosts[1].labels'],
  'hosts-not-list.yaml': ['4:hosts'],
  'unknown-keys.yaml': ['3:clusterName', '6:ssh.password', '11:hosts[0].adress'],
  'missing-fields.yaml': ['1:cluster', '3:hosts[0].address', '5:hosts[1].name'],
  'bad-enums.yaml': ['4:ssh.sudo', '6:hosts', '8:hosts[0].role', '12:hosts[1].sudo'],
  'duplicate-hosts.yaml': ['10:hosts[2].name'],
  'duplicate-addresses.yaml': ['11:hosts[2].address'],
  'no-masters.yaml': ['4:hosts'],
  'no-hosts.yaml': ['3:hosts'],
  'bad-addresses.yaml': ['2:controlPlaneEndpoint', '5:hosts[0].address', '8:hosts[1].address', '11:hosts[2].address', '14:hosts[3].address'],
  'bad-ports.yaml': ['2:controlPlaneEndpoint', '4:ssh.port', '9:hosts[0].port', '13:hosts[1].port', '17:hosts[2].port'],
  'missing-files.yaml': ['3:kubeadmConfig', '5:ssh.identityFile', '10:hosts[0].identityFile', '14:hosts[1].jump.identityFile'],
  'first-worker.yaml': ['10:hosts[1].first'],
  'two-firsts.yaml': ['14:hosts[2].first'],
  'empty.yaml': ['1:(file)'],
  'comments-only.yaml': ['1:(file)'],
  'not-a-mapping.yaml': ['1:(document)'],
  'bad-names.yaml': ['1:cluster', '4:hosts[0].name', '7:hosts[1].name', '10:hosts[2].name'],
  'bad-users.yaml': ['4:ssh.user', '9:hosts[0].user', '13:hosts[1].jump'],
  'bad-labels.yaml': ['10:hosts[0].labels["-bad"]', '11:hosts[0].labels.rack', '12:hosts[0].labels.pool'],
  'bad-durations.yaml': ['4:ssh.connectTimeout', '5:ssh.commandTimeout'],
  'metachar-names.yaml': ['1:cluster', '4:hosts[0].name', '7:hosts[1].name', '10:hosts[2].name', '13:hosts[3].name', '16:hosts[4].name'],
  'metachar-addresses.yaml': [
    '2:controlPlaneEndpoint',
    '5:hosts[0].address',
    '8:hosts[1].address',
    '11:hosts[2].address',
    '14:hosts[3].address',
    '17:hosts[4].address',
  ],
  'metachar-users.yaml': ['7:hosts[0].user', '11:hosts[1].user', '15:hosts[2].user', '19:hosts[3].user', '23:hosts[4].user'],
  'metachar-labels.yaml': [
    '8:hosts[0].labels.zone',
    '9:hosts[0].labels["k$(reboot)"]',
    '10:hosts[0].labels.tier',
    '11:hosts[0].labels["it\'s"]',
    '12:hosts[0].labels.pool',
  ],
  'bad-ini.ini': ['3:m2', '4:(syntax)', '5:(syntax)', '7:kube_node:vars', '9:"h[0:9999][0:9999]"', '10:(syntax)'],
  'bad-ini-values.ini': ['2:all:vars.cluster_name', '5:m1.ansible_port', '6:m2.ansible_host', '9:w1.ansible_user'],
  'ini-no-masters.ini': ['1:apiserver_loadbalancer_domain_name', '1:kube_control_plane'],
  // refused by Ansible too (it stops at the first): an undeclared child group, [g:vars] of an undeclared group, a group loop, a bad range
  'ini-undeclared.ini': ['5:k8s_cluster:children', '6:calico_rr:vars', '9:kube_node:vars.ansible_group_priority'],
  'ini-loop.ini': ['6:b:children', '8:"w[1:3:0]"', '9:w9:'],
  'bad-kubespray.yaml': [
    '1:apiserver_loadbalancer_domain_name',
    '1:kube_control_plane',
    '7:all.hosts.node1.ansible_port',
    '9:all.hosts.node2.ansible_host',
    '15:all.children.bogus_key',
  ],
};

/** Load `file`, expecting an InventoryError. */
async function refused(t: import('ava').ExecutionContext, file: string): Promise<InventoryError> {
  const err = await t.throwsAsync(loadInventory(file, noSshConfig));
  if (!(err instanceof InventoryError)) {
    t.fail(`${file}: expected InventoryError, got ${String(err)}`);
    throw err;
  }
  return err;
}

for (const [name, expected] of Object.entries(table)) {
  test(`broken/${name} is refused at ${expected.join(', ')}`, async (t) => {
    const file = join(dir, name);
    const err = await refused(t, file);
    t.is(err.code, 'EINVENTORY');
    t.deepEqual(err.issues.map((i) => `${i.line}:${i.field}`).sort(), [...expected].sort());
    for (const i of err.issues) {
      t.is(i.file, file);
      t.true(i.column >= 1);
      t.true(i.message.length > 0 && !i.message.includes('\n'), `one-line message: ${i.message}`);
      t.notRegex(i.message, /"code":|ZodError|\bat .*\.ts:\d+/, 'no zod dump or stack trace');
    }
    const lines = err.format().split('\n');
    t.is(lines.length, expected.length);
    for (const l of lines) t.true(l.startsWith(`${file}:`), l);
  });
}

test('every file in broken/ is in the table', async (t) => {
  const { readdirSync } = await import('node:fs');
  t.deepEqual(readdirSync(dir).sort(), Object.keys(table).sort());
});

test('format() prints file:line:column: field: message per issue', async (t) => {
  const err = await refused(t, join(dir, 'two-firsts.yaml'));
  t.is(err.format(), `${join(dir, 'two-firsts.yaml')}:14:12: hosts[2].first: only one host can be first (also hosts[0].first at line 7)`);
  t.true(err.message.includes(err.format()));
});

test('a 10 MB file is refused before parsing, as a file issue', async (t) => {
  const tmp = tempFiles({});
  const file = join(tmp, 'huge.yaml');
  const host = '  - {name: w1, address: 10.0.1.21, role: worker}\n';
  writeFileSync(file, `cluster: c1\ncontrolPlaneEndpoint: 10.0.0.10:6443\nhosts:\n${host.repeat(Math.ceil(10_000_000 / host.length))}`);
  const err = await refused(t, file);
  t.deepEqual(
    err.issues.map((i) => `${i.line}:${i.field}`),
    ['1:(file)'],
  );
  t.regex(err.issues[0]!.message, /at most 1048576 bytes/);
});

test('a missing inventory file is an InventoryError, not ENOENT', async (t) => {
  const err = await refused(t, join(dir, 'does-not-exist.yaml'));
  t.regex(err.format(), /does-not-exist\.yaml:1:1: \(file\): cannot read: ENOENT/);
});

test('a folder with no inventory file in it is refused, naming the files it looked for', async (t) => {
  const err = await refused(t, dir);
  t.regex(err.issues[0]!.message, /a folder with no inventory file: expected one of inventory\.ini, hosts\.yaml, hosts\.yml/);
});

test('unknown-key values never reach the message (a password stays out)', async (t) => {
  const err = await refused(t, join(dir, 'unknown-keys.yaml'));
  t.false(err.message.includes('hunter2'));
});

test('a YAML syntax error on a line holding a secret does not echo the line', async (t) => {
  const tmp = tempFiles({});
  const file = join(tmp, 'hosts.yaml');
  writeFileSync(file, `all:\n  vars:\n    ansible_become_password: 'Sup3rS3cret-value\n  hosts:\n    m1:\n`);
  const err = await refused(t, file);
  t.true(err.issues.length >= 1);
  t.is(err.issues[0]!.field, '(syntax)');
  t.false(err.message.includes('Sup3rS3cret'), err.message);
});
