/**
 * Shell metacharacters in inventory values and command arguments: the loader refuses them with
 * file:line:field (exit 2, no host contacted), or the remote side receives them literally (proved
 * over real SSH on the net-98 lab, as root, through `sudo -n` and through `sudo -S` with a password).
 */
import test from 'ava';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { quoteArg, quoteArgv } from '../../lib/shell/quote.js';
import { InventoryError, loadInventory } from '../../lib/inventory/index.js';
import { requireRoot, type Lab } from '../helpers/lab.js';
import { MAIN, cli } from '../cli/run-cli.js';
import { acquireLab, releaseLab } from './shared-lab.js';

/** Each payload would create /tmp/pwned-<n> on the host if a shell interpreted it. */
const PAYLOADS = [
  'x; touch /tmp/pwned-1',
  '$(touch /tmp/pwned-2)',
  '`touch /tmp/pwned-3`',
  "it's '; touch /tmp/pwned-4; '",
  '"; touch /tmp/pwned-5; "',
  'line\ntouch /tmp/pwned-6\n',
  'a && touch /tmp/pwned-7 || touch /tmp/pwned-7 | cat > /tmp/pwned-7 < /dev/null &',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${PATH} the remote shell must not expand
  '$HOME ${PATH} * ? ~ \\ ! # %s %n -n',
  '-e',
  '',
  'ünïcödé ✓ \t tab',
];

mkdirSync('/tmp/h-sec', { recursive: true });
const LOCAL = tempDir('/tmp/h-sec/metachar-');

// ---------------------------------------------------------------- quoteArgv, locally

/** What `sh -c WIRE` prints (stdout, raw bytes as UTF-8). */
function sh(wire: string): string {
  return execFileSync('/bin/sh', ['-c', wire], { encoding: 'utf8' });
}

test('quoteArgv: for any string s, sh -c "printf %s " + quoteArgv([s]) prints s', (t) => {
  // NUL cannot be in an argv or a shell word; everything else (newlines, quotes, unicode) can
  const str = fc
    .oneof(fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom(...`;$()\`'"\\\n\t |&<>*?~!#{}[]-=% ab`) }))
    .filter((s) => !s.includes('\0'));
  fc.assert(
    fc.property(str, (s) => {
      const wire = `printf %s ${quoteArgv([s]).wire}`;
      return sh(wire) === s;
    }),
    { numRuns: 200, examples: PAYLOADS.map((p) => [p]) },
  );
  t.pass();
});

test('quoteArgv: any argv comes back as the same words (printf "%s\\0")', (t) => {
  const arg = fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0'));
  fc.assert(
    fc.property(fc.array(arg, { minLength: 1, maxLength: 6 }), (args) => {
      const out = sh(`printf '%s\\0' ${quoteArgv(args).wire}`);
      return JSON.stringify(out.split('\0').slice(0, -1)) === JSON.stringify(args);
    }),
    { numRuns: 100 },
  );
  t.pass();
});

test('quoteArg: only safe characters stay bare; the empty string is quoted', (t) => {
  t.is(quoteArg(''), "''");
  for (const p of PAYLOADS.filter((x) => x && x !== '-e')) t.true(quoteArg(p).startsWith("'"), p);
  t.is(quoteArg('-e'), '-e', 'a leading dash is not a shell matter (the remote command decides)');
  t.is(quoteArg('/etc/kubernetes/pki/ca.crt'), '/etc/kubernetes/pki/ca.crt');
});

// ---------------------------------------------------------------- the loader refuses

/** A kubemend inventory where `field` (one of FIELDS) holds `value`; returns its text and the line of that field. */
function inventoryWith(lab: Lab, field: string, value: string): { text: string; line: number } {
  const q = (s: string) => JSON.stringify(s);
  const v = (f: string, ok: string) => (f === field ? q(value) : q(ok));
  const [m1, w1] = lab.hosts;
  const lines = [
    `cluster: ${v('cluster', 'lab')}`,
    `controlPlaneEndpoint: ${v('controlPlaneEndpoint', `${m1!.address}:6443`)}`,
    'ssh:',
    `  user: ${v('ssh.user', 'root')}`,
    `  identityFile: ${q(lab.key)}`,
    `  knownHosts: ${q(lab.knownHosts)}`,
    `  jump: ${v('ssh.jump', `root@${m1!.address}:22`)}`,
    'hosts:',
    `  - name: ${v('hosts[0].name', m1!.name)}`,
    `    address: ${v('hosts[0].address', m1!.address)}`,
    '    role: master',
    `    user: ${v('hosts[0].user', 'root')}`,
    '    labels:',
    `      ${field === 'hosts[0].labels' ? q(value) : 'zone'}: ${v('hosts[0].labels.zone', 'a')}`,
    `  - name: ${q(w1!.name)}`,
    `    address: ${q(w1!.address)}`,
    '    role: worker',
  ];
  // the jump line is only wanted when that field is under test (otherwise every host would go through m1)
  const kept = field === 'ssh.jump' ? lines : lines.filter((l) => !l.startsWith('  jump:'));
  const line = kept.findIndex((l) => l.includes(JSON.stringify(value))) + 1;
  return { text: kept.join('\n') + '\n', line };
}

/** Every inventory field whose value reaches a remote command or the SSH connection, and how an issue names it. */
const FIELDS: [string, (payload: string) => string][] = [
  ['cluster', () => 'cluster'],
  ['controlPlaneEndpoint', () => 'controlPlaneEndpoint'],
  ['ssh.user', () => 'ssh.user'],
  ['ssh.jump', () => 'ssh.jump'],
  ['hosts[0].name', () => 'hosts[0].name'],
  ['hosts[0].address', () => 'hosts[0].address'],
  ['hosts[0].user', () => 'hosts[0].user'],
  ['hosts[0].labels', (p) => `hosts[0].labels${/^[A-Za-z_$][\w$]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`}`],
  ['hosts[0].labels.zone', () => 'hosts[0].labels.zone'],
];

test.serial('the loader refuses every metacharacter payload in names, addresses, users, endpoint, jump and labels, at file:line:field', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await acquireLab();
  let n = 0;
  for (const [field, named] of FIELDS) {
    // an empty label value is valid Kubernetes syntax (and harmless)
    for (const p of PAYLOADS.filter((x) => x !== '' || field !== 'hosts[0].labels.zone')) {
      const { text, line } = inventoryWith(lab, field, p);
      const file = join(LOCAL, `inv-${n++}.yaml`);
      writeFileSync(file, text);
      const err = await loadInventory(file, { sshConfigPath: join(LOCAL, 'none') }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!(err instanceof InventoryError)) {
        t.fail(`${field} = ${JSON.stringify(p)}: loaded (or not an InventoryError: ${String(err)})`);
        continue;
      }
      const hit = err.issues.find((i) => i.field === named(p));
      t.truthy(hit, `${field} = ${JSON.stringify(p)}: issues ${err.format()}`);
      if (hit) {
        t.is(hit.file, file);
        t.is(hit.line, line, `${field} = ${JSON.stringify(p)}: ${err.format()}`);
      }
    }
  }
});

test.serial('Ansible INI: metacharacters in host names, ansible_host and ansible_user are refused at file:line', async (t) => {
  const file = join(LOCAL, 'inv.ini');
  writeFileSync(
    file,
    [
      '[kube_control_plane]',
      "m1 ansible_host='10.98.1.10;touch /tmp/pwned-1'",
      '[kube_node]',
      'w1 ansible_host=10.98.1.11 ansible_user="$(touch /tmp/pwned-2)"',
      'w`id` ansible_host=10.98.1.12',
      '',
    ].join('\n'),
  );
  const err = await t.throwsAsync(loadInventory(file, { sshConfigPath: join(LOCAL, 'none') }));
  t.true(err instanceof InventoryError, String(err));
  const lines = (err as InventoryError).issues.map((i) => i.line);
  for (const l of [2, 4, 5]) t.true(lines.includes(l), `an issue at line ${l}: ${(err as InventoryError).format()}`);
});

/** Lines of every host's sshd log (a connection attempt adds lines). */
async function sshdLogLines(lab: Lab): Promise<number[]> {
  return Promise.all(lab.hosts.map(async (h) => Number((await lab.exec(h.name, ['sh', '-c', 'wc -l < /var/log/sshd.log'])).stdout.trim())));
}

/** Names of /tmp/pwned* files on every host. */
async function pwned(lab: Lab): Promise<string[]> {
  const out: string[] = [];
  for (const h of lab.hosts) {
    const r = await lab.exec(h.name, ['sh', '-c', 'ls -d /tmp/pwned* /tmp/contacted 2>/dev/null; exit 0']);
    out.push(
      ...r.stdout
        .split('\n')
        .filter(Boolean)
        .map((f) => `${h.name}:${f}`),
    );
  }
  return out;
}

test.serial('kubemend exec with a metacharacter host name: exit 2 with file:line:field, no stack trace, no host contacted', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await acquireLab();
  const { text, line } = inventoryWith(lab, 'hosts[0].name', 'm1;touch /tmp/pwned-9');
  const file = join(LOCAL, 'bad-name.yaml');
  writeFileSync(file, text);
  const before = await sshdLogLines(lab);
  const r = await cli(MAIN, ['exec', '-i', file, '--limit', 'all', '--', 'touch', '/tmp/contacted']);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, new RegExp(`${file.replace(/[.]/g, '\\.')}:${line}:\\d+: hosts\\[0\\]\\.name: `));
  t.notRegex(r.stderr + r.stdout, /\n\s+at .*\(|node:internal/, 'no stack trace');
  t.deepEqual(await sshdLogLines(lab), before, 'no sshd saw a connection');
  t.deepEqual(await pwned(lab), []);
});

test.serial('a playbook path option with metacharacters (--hello-file) is refused: exit 2, no host contacted', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await acquireLab();
  const before = await sshdLogLines(lab);
  const r = await cli(MAIN, [
    'run',
    'hello',
    '-i',
    lab.inventoryPath,
    '--yes',
    '--state-dir',
    join(LOCAL, 'state'),
    '--hello-file',
    '/tmp/x; touch /tmp/pwned-8',
  ]);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /hello-?[Ff]ile|helloFile/);
  t.notRegex(r.stderr, /\n\s+at .*\(/, 'no stack trace');
  t.deepEqual(await sshdLogLines(lab), before);
  t.deepEqual(await pwned(lab), []);
});

// ---------------------------------------------------------------- accepted values arrive literally

/** Local paths (ssh key, known_hosts, kubeadm config) may hold anything but NUL: a folder full of metacharacters. */
const WEIRD_DIR = join(LOCAL, 'd; touch pwned-l $(touch pwned-m) `touch pwned-n` \'q\' "d"\nnl');

test.serial(
  'paths with metacharacters (ssh key, known_hosts, kubeadmConfig) are used literally; every argv word reaches root literally as root, via sudo -n and via sudo -S',
  async (t) => {
    if (!requireRoot(t)) return;
    const lab = await acquireLab();
    mkdirSync(WEIRD_DIR, { recursive: true });
    const key = join(WEIRD_DIR, "id; `x` $(y) 'k'");
    const known = join(WEIRD_DIR, 'known "hosts" $(z)');
    const kcfg = join(WEIRD_DIR, 'kubeadm $(touch pwned-k).yaml');
    copyFileSync(lab.key, key);
    execFileSync('chmod', ['600', key]);
    copyFileSync(lab.knownHosts, known);
    copyFileSync(join(lab.dir, 'kubeadm-config.yaml'), kcfg);
    const [m1, w1, w2] = lab.hosts;
    const q = JSON.stringify;
    const file = join(LOCAL, 'weird-paths.yaml');
    writeFileSync(
      file,
      [
        'cluster: lab',
        `controlPlaneEndpoint: ${q(`${m1!.address}:6443`)}`,
        `kubeadmConfig: ${q(kcfg)}`,
        'ssh:',
        `  identityFile: ${q(key)}`,
        `  knownHosts: ${q(known)}`,
        'hosts:',
        // m1: sudo with a password (kubepw), w1: sudo -n (kube), w2: root
        `  - {name: ${m1!.name}, address: ${m1!.address}, role: master, user: kubepw, sudo: password}`,
        `  - {name: ${w1!.name}, address: ${w1!.address}, role: worker, user: kube, sudo: nopasswd}`,
        `  - {name: ${w2!.name}, address: ${w2!.address}, role: worker, user: root}`,
        '',
      ].join('\n'),
    );
    const inv = await loadInventory(file, { sshConfigPath: join(LOCAL, 'none') });
    t.is(inv.kubeadmConfig, kcfg, 'kubeadmConfig kept literally');
    t.is(inv.ssh.identityFile, key);
    t.is(inv.ssh.knownHosts, known);

    await Promise.all(lab.hosts.map((h) => lab.exec(h.name, ['sh', '-c', 'rm -rf /tmp/echo /tmp/pwned*; mkdir -m 0700 /tmp/echo'])));
    // the remote command writes each argument into its own file, byte for byte, and says who ran it
    const script = 'id -un > /tmp/echo/user; i=0; for a; do i=$((i+1)); printf %s "$a" > /tmp/echo/$i; done';
    const r = await cli(MAIN, ['exec', '-i', file, '--limit', 'all', '--', 'sh', '-c', script, 'sh', ...PAYLOADS], {
      env: { KUBEMEND_SUDO_PASSWORD: 'lab-sudo-pw' },
    });
    t.is(r.code, 0, r.stderr + r.stdout);
    for (const h of lab.hosts) {
      t.is((await lab.exec(h.name, ['cat', '/tmp/echo/user'])).stdout.trim(), 'root', `${h.name} ran it as root`);
      for (const [i, p] of PAYLOADS.entries()) {
        const got = await lab.exec(h.name, ['cat', `/tmp/echo/${i + 1}`]);
        t.is(got.stdout, p, `${h.name}: argument ${i + 1} arrived literally`);
      }
    }
    t.deepEqual(await pwned(lab), [], 'no injected command ran on any host');
    t.deepEqual(
      execFileSync('sh', ['-c', 'ls -a "$1"', 'sh', WEIRD_DIR], { encoding: 'utf8' })
        .split('\n')
        .filter((f) => f.startsWith('pwned')),
      [],
      'nor locally',
    );
    t.false(r.stderr.includes('lab-sudo-pw') || r.stdout.includes('lab-sudo-pw'), 'the sudo password is not shown');
  },
);

test.after.always(async () => {
  await releaseLab(import.meta.url);
  rmSync(LOCAL, { recursive: true, force: true });
});
