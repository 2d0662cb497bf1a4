/**
 * ~/.ssh/config: `ssh -G` is the reference when ssh is installed (Include, Match, tokens); without
 * it, kubemend's reader follows Include too. Both are run on the same configs and must agree.
 */
import test, { type TestFn } from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadInventory } from '../../lib/inventory/index.js';
import { expandIncludes, findSsh, openSshConfig } from '../../lib/inventory/ssh-config.js';
import { tempFiles } from './helpers.js';

const SSH = findSsh();
/** Skipped without ssh, except under CI=true (scripts/install-deps installs openssh-client): there it fails. */
const withSsh: TestFn = (SSH || process.env.CI === 'true' ? test : test.skip) as TestFn;
const MODES = [
  { name: 'kubemend reader', ssh: false as const, t: test as TestFn },
  { name: 'ssh -G', ssh: SSH, t: withSsh },
];

function layout(): { dir: string; config: string } {
  const dir = tempFiles({ 'hosts.ini': '[kube_control_plane]\nm1 ansible_host=10.0.0.11\n[kube_node]\nw1\nw2 ansible_host=10.0.1.22\nw3\n' });
  mkdirSync(join(dir, 'conf.d'));
  writeFileSync(join(dir, 'conf.d', '10-workers.conf'), 'Host w1\n  HostName 10.1.1.21\n  User incl\n  Port 2201\n');
  writeFileSync(join(dir, 'conf.d', '20-jump.conf'), 'Host w*\n  ProxyJump jumper@10.0.0.5:2022\n');
  writeFileSync(join(dir, 'm1.conf'), 'User fromm1\n');
  const config = join(dir, 'config');
  writeFileSync(
    config,
    `Include ${join(dir, 'conf.d')}/*.conf\n\nHost m1\n  Include ${join(dir, 'm1.conf')}\n  Port 2300\n\nHost w2 w3\n  HostName %h.lab.example\n`,
  );
  return { dir, config };
}

for (const mode of MODES) {
  mode.t(`Include (a glob at the top, a file inside a Host block) and %h, as ssh reads them [${mode.name}]`, async (t) => {
    if (mode.ssh !== false && !SSH) return t.fail('ssh is not installed (CI installs openssh-client)');
    const { dir, config } = layout();
    const inv = await loadInventory(join(dir, 'hosts.ini'), { sshConfigPath: config, ssh: mode.ssh, ansibleInventory: false });
    const [m1, w1, w2, w3] = inv.hosts;
    const from = mode.ssh === false ? config : 'ssh -G';
    t.like(m1, { address: '10.0.0.11', user: 'fromm1', port: 2300 });
    t.like(w1, { address: '10.1.1.21', user: 'incl', port: 2201 });
    t.deepEqual(w1!.jump, { host: '10.0.0.5', port: 2022, user: 'jumper' });
    t.like(inv.origins!.hosts.w1, { address: `${from} (HostName)`, user: from, port: from, jump: `${from} (ProxyJump)` });
    t.like(inv.origins!.hosts.m1, { user: from, port: from, address: `${join(dir, 'hosts.ini')}:2` });
    // w2 has an address in the inventory: HostName is not used for it (only for a host without ansible_host)
    t.like(w2, { address: '10.0.1.22', user: 'root' });
    t.is(inv.origins!.hosts.w2!.user, 'default');
    t.like(w3, { address: 'w3.lab.example' }, '%h in HostName');
  });
}

test('a relative Include is under ~/.ssh (a user config), as ssh_config(5) says, not next to the file', (t) => {
  const home = tempFiles({});
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.ssh', 'extra.conf'), 'Host x\n  User fromhome\n');
  const other = tempFiles({ config: 'Include extra.conf\nHost y\n  User y\n', 'extra.conf': 'Host x\n  User wrong\n' });
  const text = expandIncludes(join(other, 'config'), false, 0, home);
  t.regex(text, /User fromhome/);
  t.notRegex(text, /User wrong/);
});

withSsh("ssh -G evaluates Match (here Match exec), which kubemend's reader never runs", async (t) => {
  if (!SSH) return t.fail('ssh is not installed (CI installs openssh-client)');
  const dir = tempFiles({ config: 'Match originalhost w9 exec "test -n kubemend"\n  User matched\n' });
  const viaSsh = openSshConfig(join(dir, 'config'), { ssh: SSH });
  await viaSsh.prefetch(['w9']);
  t.is(viaSsh.lookup('w9').user, 'matched');
  t.is(viaSsh.lookup('w8').user, undefined, "an unset value is not ssh's default (the local user)");
  const reader = openSshConfig(join(dir, 'config'), { ssh: false });
  t.is(reader.lookup('w9').user, undefined);
});

withSsh('by default ssh -G answers only where the reader cannot be exact: Match, an Include inside a block, other tokens', async (t) => {
  if (!SSH) return t.fail('ssh is not installed (CI installs openssh-client)');
  const auto = (config: string): string => openSshConfig(join(tempFiles({ config }), 'config')).source;
  t.is(auto('Match host w9\n  User matched\n'), 'ssh -G');
  t.is(auto('Host w*\n  IdentityFile ~/.ssh/id_%u\n'), 'ssh -G');
  t.not(auto('Host w*\n  User ops\n  HostName %h.example\n  IdentityFile ~/.ssh/%r@%h\n'), 'ssh -G');
  const dir = tempFiles({ 'inner.conf': 'User inner\n' });
  writeFileSync(join(dir, 'config'), `Host w1\n  Include ${join(dir, 'inner.conf')}\n`);
  t.is(openSshConfig(join(dir, 'config')).source, 'ssh -G');
  writeFileSync(join(dir, 'config'), `Include ${join(dir, 'inner.conf')}\n`);
  t.not(openSshConfig(join(dir, 'config')).source, 'ssh -G');
});

withSsh('ssh -G is not run when the config sets nothing kubemend reads', async (t) => {
  if (!SSH) return t.fail('ssh is not installed (CI installs openssh-client)');
  const dir = tempFiles({ config: 'Host *\n  ServerAliveInterval 5\n' });
  t.not(openSshConfig(join(dir, 'config'), { ssh: SSH }).source, 'ssh -G');
  const dir2 = tempFiles({ config: 'Host *\n  User someone\n' });
  t.is(openSshConfig(join(dir2, 'config'), { ssh: SSH }).source, 'ssh -G');
});
