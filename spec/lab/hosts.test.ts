/**
 * The lab's host part, checked over REAL ssh (OpenSSH client, host keys checked): each host is
 * its own machine (hostname, /etc, /tmp, /run, processes), sudo users work, faults work, and
 * `down` leaves nothing behind. Lab nets 61 and 62 (shifted by KUBEMEND_LAB_SLOT), folders under /tmp/h-labhosts/.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import YAML from 'yaml';
import { type ExecResult, type Lab, labDir, labNet, requireRoot, runLab, sharedLab } from '../helpers/lab.js';

const DIR = labDir('/tmp/h-labhosts/test61');
const N1 = labNet(61);
const N2 = labNet(62);
const DIR2 = labDir('/tmp/h-labhosts/test62');

/** Runs a command on the host over real ssh as USER; input goes to its stdin. */
function ssh(lab: Lab, user: string, address: string, cmd: string, input = ''): Promise<ExecResult> {
  const args = [
    '-F',
    '/dev/null',
    '-i',
    lab.key,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${lab.knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=3',
    '-o',
    'LogLevel=ERROR',
    `${user}@${address}`,
    cmd,
  ];
  return new Promise((resolve, reject) => {
    const c = spawn('ssh', args);
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    c.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code: code ?? 255, stdout, stderr }));
    c.stdin.end(input);
  });
}

function sh(cmd: string): Promise<string> {
  return new Promise((resolve) => execFile('sh', ['-c', cmd], (_e, out) => resolve(String(out))));
}

/** Root-namespace pids of every process in the lab's network namespaces. */
async function labPids(net: number): Promise<number[]> {
  const out = await sh(`for n in $(ip netns list | awk '{print $1}' | grep '^kmlab${net}-'); do ip netns pids "$n"; done`);
  return out.split('\n').filter(Boolean).map(Number);
}

/** The pids that still run (zombies waiting for the machine's PID 1 to reap them do not count). */
const gone = (pids: number[]) =>
  pids.filter((p) => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${p}/stat`, 'utf8'));
    } catch {
      return false;
    }
  });

let lab: Lab;
const host = (name: string) => lab.hosts.find((h) => h.name === name)!;

test.before(async () => {
  if (process.getuid?.() !== 0) return;
  await runLab(['down', '--dir', DIR]);
  await runLab(['down', '--dir', DIR2]);
  lab = await sharedLab({ hosts: 3, net: 61, dir: DIR, sudoUser: true });
});

test.after.always(async () => {
  if (process.getuid?.() !== 0) return;
  await runLab(['down', '--dir', DIR]);
  await runLab(['down', '--dir', DIR2]);
});

test.serial('each host has its own hostname and address, and no default route', async (t) => {
  if (!requireRoot(t)) return;
  t.deepEqual(
    lab.hosts.map((h) => h.name),
    ['h001', 'h002', 'h003'],
  );
  for (const h of lab.hosts) {
    const r = await ssh(lab, 'root', h.address, 'hostname; ip -4 -o addr show eth0; ip route');
    t.is(r.code, 0, r.stderr);
    const [name, addr, ...routes] = r.stdout.trim().split('\n');
    t.is(name, h.name);
    t.true(addr.includes(`inet ${h.address}/16`), addr);
    t.false(
      routes.some((l) => l.startsWith('default')),
      routes.join('\n'),
    );
  }
  // names resolve between hosts through the lab's /etc/hosts
  const r = await ssh(lab, 'root', host('h002').address, 'getent hosts h001 && timeout 3 bash -c "</dev/tcp/h001/22"');
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.startsWith(host('h001').address));
});

test.serial('inventory.yaml, hosts.json and known_hosts describe the lab', async (t) => {
  if (!requireRoot(t)) return;
  const inv = YAML.parse(readFileSync(lab.inventoryPath, 'utf8'));
  t.is(inv.cluster, 'lab');
  t.is(inv.controlPlaneEndpoint, `${host('h001').address}:6443`);
  t.deepEqual(inv.ssh, { user: 'root', port: 22, identityFile: 'id_ed25519', knownHosts: 'known_hosts', sudo: 'none' });
  t.deepEqual(inv.hosts, lab.hosts);
  t.deepEqual(
    lab.hosts.map((h) => h.role),
    ['master', 'worker', 'worker'],
  );
  t.deepEqual(
    lab.hosts.map((h) => h.address),
    [`10.${N1}.1.10`, `10.${N1}.1.11`, `10.${N1}.1.12`],
  );
  const kh = readFileSync(lab.knownHosts, 'utf8').trim().split('\n');
  t.deepEqual(
    kh.map((l) => l.split(' ')[0]),
    lab.hosts.map((h) => h.address),
  );
  t.is(new Set(kh.map((l) => l.split(' ')[2])).size, 3, 'each host has its own host key');
});

test.serial('rm -rf /etc/kubernetes on one host leaves the others and the machine alone', async (t) => {
  if (!requireRoot(t)) return;
  const realBefore = existsSync('/etc/kubernetes');
  for (const h of lab.hosts) {
    const r = await ssh(lab, 'root', h.address, `mkdir -p /etc/kubernetes/pki /var/lib/etcd && echo ${h.name} > /etc/kubernetes/pki/ca.crt`);
    t.is(r.code, 0, r.stderr);
  }
  const a = await ssh(lab, 'root', host('h001').address, 'rm -rf /etc/kubernetes && ls /etc/kubernetes');
  t.not(a.code, 0, 'gone on h001');
  const b = await ssh(lab, 'root', host('h002').address, 'cat /etc/kubernetes/pki/ca.crt');
  t.is(b.stdout.trim(), 'h002');
  t.is(existsSync('/etc/kubernetes'), realBefore, "the machine's /etc is untouched");
});

test.serial('/tmp, /run and /root are private per host', async (t) => {
  if (!requireRoot(t)) return;
  const mark = `kmlab-test-${process.pid}`;
  const w = await ssh(lab, 'root', host('h001').address, `echo x > /tmp/${mark} && echo x > /run/${mark} && echo x > /root/${mark}`);
  t.is(w.code, 0, w.stderr);
  const r = await ssh(lab, 'root', host('h002').address, `ls /tmp/${mark} /run/${mark} /root/${mark} 2>&1 | grep -c 'No such file'`);
  t.is(r.stdout.trim(), '3');
  t.false(existsSync(`/tmp/${mark}`));
  t.false(existsSync(`/run/${mark}`));
  t.false(existsSync(`/root/${mark}`));
});

test.serial("a host's processes are invisible to, and unkillable from, another host", async (t) => {
  if (!requireRoot(t)) return;
  const start = await ssh(lab, 'root', host('h001').address, 'setsid sleep 7777 </dev/null >/dev/null 2>&1 & echo started');
  t.is(start.code, 0, start.stderr);
  const b = await ssh(lab, 'root', host('h002').address, 'pgrep -f "sleep [7]777"; pkill -f "sleep [7]777"; echo rc=$?');
  t.is(b.stdout.trim(), 'rc=1');
  const a = await ssh(lab, 'root', host('h001').address, 'pgrep -f "sleep [7]777" >/dev/null && echo alive; ps -e -o comm= | sort -u | tr "\\n" " "');
  t.true(a.stdout.startsWith('alive'), a.stdout);
  t.false(a.stdout.includes('node'), 'no process of the machine is visible');
  // fault kill: the named process dies, the host (its init, sshd) does not
  const k = await lab.lab(['fault', 'kill', 'h001', 'sleep']);
  t.is(k.code, 0, k.stderr);
  const after = await ssh(lab, 'root', host('h001').address, 'pgrep -x sleep || echo none; ps -e -o stat= | grep -c Z || true');
  t.is(after.stdout.trim(), 'none\n0', 'killed, and reaped by the init (no zombie)');
  const again = await lab.lab(['fault', 'kill', 'h001', 'sleep']);
  t.is(again.code, 1);
  t.regex(again.stderr, /no process named 'sleep' on h001/);
});

test.serial('sudo users: kube with sudo -n on every host, kubepw needs its password', async (t) => {
  if (!requireRoot(t)) return;
  for (const h of lab.hosts) {
    const r = await ssh(lab, 'kube', h.address, 'id -un; sudo -n id -u');
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, 'kube\n0\n');
    t.is(r.stderr, '', 'no sudo warning (host name resolves)');
  }
  const a = host('h001').address;
  const n = await ssh(lab, 'kubepw', a, 'sudo -n id -u');
  t.not(n.code, 0);
  t.regex(n.stderr, /password is required/);
  const ok = await ssh(lab, 'kubepw', a, "sudo -S -p '' id -u", 'lab-sudo-pw\n');
  t.is(ok.code, 0, ok.stderr);
  t.is(ok.stdout.trim(), '0');
  const bad = await ssh(lab, 'kubepw', a, "sudo -S -p '' id -u", 'wrong-password\n');
  t.not(bad.code, 0);
  t.false(bad.stdout.includes('0'));
  const other = await ssh(lab, 'kubepw', host('h002').address, 'true');
  t.is(other.code, 255, 'kubepw exists on the first host only');
});

test.serial('fault sshd-stop refuses new ssh but keeps open sessions; sshd-start brings back the same host key', async (t) => {
  if (!requireRoot(t)) return;
  const a = host('h002').address;
  const open = ssh(lab, 'root', a, 'sleep 2; echo still-here');
  await new Promise((r) => setTimeout(r, 700));
  const stop = await lab.lab(['fault', 'sshd-stop', 'h002']);
  t.is(stop.code, 0, stop.stderr);
  const refused = await ssh(lab, 'root', a, 'true');
  t.is(refused.code, 255);
  t.regex(refused.stderr, /Connection refused/);
  t.is((await open).stdout.trim(), 'still-here', 'the open session survived');
  const check = await lab.lab(['check']);
  t.is(check.code, 1);
  t.regex(check.stderr, /h002: sshd is not running/);
  const others = await ssh(lab, 'root', host('h003').address, 'hostname');
  t.is(others.stdout.trim(), 'h003');
  const start = await lab.lab(['fault', 'sshd-start', 'h002']);
  t.is(start.code, 0, start.stderr);
  const back = await ssh(lab, 'root', a, 'hostname'); // StrictHostKeyChecking=yes: same key
  t.is(back.code, 0, back.stderr);
  t.is(back.stdout.trim(), 'h002');
  t.is((await lab.lab(['check'])).code, 0);
});

test.serial('fault cut takes a host off the bridge, uncut puts it back', async (t) => {
  if (!requireRoot(t)) return;
  const a = host('h003').address;
  t.is((await lab.lab(['fault', 'cut', 'h003'])).code, 0);
  const r = await ssh(lab, 'root', a, 'true');
  t.is(r.code, 255);
  t.regex(r.stderr, /timed out/i);
  const fromHost = await lab.exec('h003', ['timeout', '2', 'bash', '-c', `</dev/tcp/${host('h001').address}/22`]);
  t.not(fromHost.code, 0, 'the cut host reaches no one either');
  t.is((await lab.lab(['fault', 'uncut', 'h003'])).code, 0);
  const back = await ssh(lab, 'root', a, 'hostname');
  t.is(back.stdout.trim(), 'h003', back.stderr);
});

test.serial('fault slow shapes a host link both ways (token bucket), unslow removes it', async (t) => {
  if (!requireRoot(t)) return;
  const a = host('h003').address;
  const bad = await lab.lab(['fault', 'slow', 'h003', 'fast']);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /rate like 1mbit/);
  t.is((await lab.lab(['fault', 'slow', 'h003', '400kbit'])).code, 0);
  const r = await ssh(lab, 'root', a, 'head -c 300000 /dev/zero');
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout.length, 300000, 'all data arrives, only slower');
  const inside = await lab.exec('h003', ['tc', '-s', 'qdisc', 'show', 'dev', 'eth0']);
  t.regex(inside.stdout, /qdisc tbf .* rate 400Kbit/);
  const over = /overlimits (\d+)/.exec(inside.stdout);
  t.true(Number(over?.[1]) > 0, `the bucket held packets back: ${inside.stdout}`);
  t.regex(await sh(`tc qdisc show dev km${N1}-3`), /qdisc tbf .* rate 400Kbit/);
  t.is((await lab.lab(['fault', 'unslow', 'h003'])).code, 0);
  t.notRegex((await lab.exec('h003', ['tc', 'qdisc', 'show', 'dev', 'eth0'])).stdout, /tbf/);
  t.notRegex(await sh(`tc qdisc show dev km${N1}-3`), /tbf/);
});

test.serial(
  'the checkout is read-only at /opt/kubemend; spec/lab/bin is under /usr/local/bin, which a host may write without touching the checkout',
  async (t) => {
    if (!requireRoot(t)) return;
    const name = `x-${process.pid}`;
    const r = await ssh(
      lab,
      'root',
      host('h001').address,
      `test -f /opt/kubemend/package.json && test -f /usr/local/bin/.keep && echo ok; touch /opt/kubemend/x 2>&1; touch /usr/local/bin/${name} && echo wrote; rm -f /usr/local/bin/${name}`,
    );
    t.true(r.stdout.startsWith('ok\n'), r.stdout);
    t.is((r.stdout.match(/Read-only file system/g) ?? []).length, 1, r.stdout);
    t.regex(r.stdout, /^wrote$/m, "root writes /usr/local/bin (kubespray's bin_dir): the host's own upper layer");
    t.false(existsSync(new URL(`../../spec/lab/bin/${name}`, import.meta.url)), 'never into the checkout');
    t.false(existsSync(join(DIR, 'hosts', 'h002', 'ulb.up', name)), "nor into another host's layer");
  },
);

test.serial('sharedLab in another process reuses the lab that is up with the same shape', async (t) => {
  if (!requireRoot(t)) return;
  const before = readFileSync(lab.knownHosts, 'utf8');
  const helper = new URL('../helpers/lab.ts', import.meta.url).pathname;
  const code = `import(${JSON.stringify(helper)}).then(async (m) => {
    const l = await m.sharedLab({ hosts: 3, net: 61, dir: ${JSON.stringify(DIR)}, sudoUser: true });
    console.log(JSON.stringify(l.hosts));
  })`;
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', '-e', code], (e, stdout, stderr) => (e ? reject(new Error(stderr)) : resolve(stdout))),
  );
  t.deepEqual(JSON.parse(out), lab.hosts);
  t.is(readFileSync(lab.knownHosts, 'utf8'), before, 'same host keys: not brought up again');
});

test.serial('a second lab coexists; up refuses a net id in use; down removes everything, even half-made, twice', async (t) => {
  if (!requireRoot(t)) return;
  const clash = await runLab(['up', '--hosts', '1', '--net', '61', '--dir', '/tmp/h-labhosts/clash']); // both shifted by the slot
  t.is(clash.code, 1);
  t.regex(clash.stderr, new RegExp(`another lab uses net ${N1}`));
  t.false(existsSync(labDir('/tmp/h-labhosts/clash/lab.env')));

  const lab2 = await sharedLab({ hosts: 2, net: 62, dir: DIR2 });
  t.deepEqual(
    lab2.hosts.map((h) => h.address),
    [`10.${N2}.1.10`, `10.${N2}.1.11`],
  );
  const r2 = await ssh(lab2, 'root', `10.${N2}.1.11`, 'hostname');
  t.is(r2.stdout.trim(), 'h002');
  // labs are isolated from each other
  const x = await lab2.exec('h001', ['timeout', '2', 'bash', '-c', `</dev/tcp/${host('h001').address}/22`]);
  t.not(x.code, 0);
  // half-made: a host whose pid files are lost must still be cleaned up
  const pids2 = await labPids(N2);
  t.true(pids2.length >= 6, `init, sshd, pause and unshare per host: ${pids2}`);
  t.is((await sh(`pgrep -f '_ini[t] [0-9]+ [a-z0-9-]+ ${DIR2}$' | wc -l`)).trim(), '2', 'one unshare parent per host names the lab folder');
  const hostsDir = join(DIR2, 'hosts', 'h002');
  await sh(`rm -f ${hostsDir}/init.pid ${hostsDir}/unshare.pid`);
  const d = await lab2.lab(['down']);
  t.is(d.code, 0, d.stderr);
  t.is((await runLab(['down', '--dir', DIR2])).code, 0, 'down twice is fine');
  t.false(existsSync(DIR2));
  t.is((await sh(`ip netns list | grep -c "^kmlab${N2}-" || true`)).trim(), '0');
  t.is((await sh(`ip -o link show | grep -c "kmlab${N2}\\|km${N2}-" || true`)).trim(), '0');
  t.deepEqual(gone(pids2), [], 'no process of lab 62 left');
  t.is((await sh(`pgrep -f '_ini[t] [0-9]+ [a-z0-9-]+ ${DIR2}$' | xargs -r ps -o stat= -p | grep -vc Z || true`)).trim(), '0');

  // lab 61 untouched by all that
  const still = await ssh(lab, 'root', host('h001').address, 'hostname');
  t.is(still.stdout.trim(), 'h001');
  const pids1 = await labPids(N1);
  t.true(pids1.length >= 9);
  const down = await lab.down();
  t.is(down, undefined);
  t.false(existsSync(DIR));
  t.is((await sh(`ip netns list | grep -c "^kmlab${N1}-" || true`)).trim(), '0');
  t.is((await sh(`ip -o link show | grep -c "kmlab${N1}\\|km${N1}-" || true`)).trim(), '0');
  t.deepEqual(gone(pids1), [], 'no process of lab 61 left');
  t.is((await sh(`pgrep -f '_ini[t] [0-9]+ [a-z0-9-]+ ${DIR}$' | xargs -r ps -o stat= -p | grep -vc Z || true`)).trim(), '0');
  t.false(readdirSync('/run/netns').some((n) => n.startsWith(`kmlab${N1}-`)));
});
