#!/usr/bin/env node
// The benchmark driver behind scripts/bench (see docs/benchmarks.md): kubemend against a bare
// ssh2 script (the floor), Ansible and parallel-ssh, on lab hosts, runs interleaved, every client
// once with one key exchange pinned and once with its own defaults. Prints the tables (markdown)
// and, unless --no-write, puts them into docs/benchmarks.md between the bench:results markers.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { medianSpread, parseTimeV, resultTables } from './stats.mjs';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const KEX = 'curve25519-sha256';
/** The SSH connect timeout every client gets (kubemend's and Ansible's default of 10 s fails hosts on a loaded machine). */
const CONNECT_TIMEOUT_S = 120;
const ALL_CLIENTS = ['kubemend', 'floor', 'ansible', 'pssh'];

const { values: a } = parseArgs({
  options: {
    hosts: { type: 'string', default: '50,200' },
    runs: { type: 'string', default: '3' },
    'default-runs': { type: 'string' },
    only: { type: 'string', default: ALL_CLIENTS.join(',') },
    workloads: { type: 'string', default: '1,10' },
    modes: { type: 'string', default: 'pinned,defaults' },
    nets: { type: 'string', default: '92,93' },
    'dir-base': { type: 'string', default: '/tmp/kubemend-bench' },
    keep: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    json: { type: 'string' },
    doc: { type: 'string', default: join(ROOT, 'docs/benchmarks.md') },
  },
});

const sizes = a.hosts.split(',').map(Number);
const nets = a.nets.split(',').map(Number);
const runs = Number(a.runs);
const defaultRuns = Number(a['default-runs'] ?? a.runs);
const clients = a.only.split(',');
const workloads = a.workloads.split(',').map(Number);
const modes = a.modes.split(',');
for (const c of clients) if (!ALL_CLIENTS.includes(c)) die(`--only ${c}: not one of ${ALL_CLIENTS.join(', ')}`);
for (const m of modes) if (!['pinned', 'defaults'].includes(m)) die(`--modes ${m}: pinned or defaults`);
if (nets.length < sizes.length) die(`--nets: one lab net id per --hosts entry (${sizes.length} needed)`);
if (sizes.some((n) => !(n >= 1)) || !(runs >= 1) || workloads.some((w) => !(w >= 1))) die('--hosts, --runs and --workloads take positive numbers');

function die(msg) {
  process.stderr.write(`scripts/bench: ${msg}\n`);
  process.exit(2);
}
const say = (m) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
const lab = (args) => spawnSync(join(ROOT, 'scripts/lab'), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** A lab of n hosts in dir: reused when it is up with n hosts, made otherwise. */
function ensureLab(n, net, dir) {
  if (existsSync(join(dir, 'hosts.json')) && lab(['check', '--dir', dir]).status === 0) {
    const hosts = JSON.parse(readFileSync(join(dir, 'hosts.json'), 'utf8'));
    if (hosts.length === n) return { dir, made: false };
    say(`${dir} has ${hosts.length} hosts, not ${n}: taking it down`);
  }
  if (existsSync(join(dir, 'lab.env'))) lab(['down', '--dir', dir]);
  say(`scripts/lab up --hosts ${n} --dir ${dir} --net ${net}`);
  const r = lab(['up', '--hosts', String(n), '--dir', dir, '--net', String(net)]);
  if (r.status !== 0) die(`scripts/lab up --hosts ${n} --dir ${dir} --net ${net}: exit ${r.status}: ${r.stderr.trim().split('\n').slice(-5).join(' / ')}`);
  return { dir, made: true };
}

/** Files each client needs for one lab: Ansible inventory and config, pssh host list, playbook. */
function clientFiles(dir, work, n) {
  const hosts = JSON.parse(readFileSync(join(dir, 'hosts.json'), 'utf8'));
  const key = join(dir, 'id_ed25519');
  const kh = join(dir, 'known_hosts');
  // the lab's inventory with the bench's connect timeout; next to it, since its paths are relative
  const inv = readFileSync(join(dir, 'inventory.yaml'), 'utf8').replace(/^ssh:\n/m, `ssh:\n  connectTimeout: ${CONNECT_TIMEOUT_S}s\n`);
  writeFileSync(join(dir, 'bench-inventory.yaml'), inv);
  writeFileSync(join(work, 'hosts.ini'), '[all]\n' + hosts.map((h) => `${h.name} ansible_host=${h.address}`).join('\n') + '\n');
  writeFileSync(join(work, 'hosts.txt'), hosts.map((h) => `root@${h.address}`).join('\n') + '\n');
  const tasks = (k) => Array.from({ length: k }, (_, i) => `    - raw: echo bench ${i + 1}\n`).join('');
  for (const k of workloads) writeFileSync(join(work, `seq${k}.yml`), `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks(k)}`);
  const common = `-o UserKnownHostsFile=${kh} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o BatchMode=yes`;
  for (const mode of ['pinned', 'defaults']) {
    const kex = mode === 'pinned' ? ` -o KexAlgorithms=${KEX}` : '';
    // ssh_args keeps Ansible's own default (-C, ControlMaster/ControlPersist); only the kex is added
    writeFileSync(
      join(work, `ansible-${mode}.cfg`),
      `[defaults]\nforks = ${n}\ntimeout = ${CONNECT_TIMEOUT_S}\nhost_key_checking = True\nremote_user = root\nprivate_key_file = ${key}\ninterpreter_python = auto_silent\nstdout_callback = default\n` +
        `[ssh_connection]\npipelining = True\nssh_args = -C -o ControlMaster=auto -o ControlPersist=60s${kex}\nssh_common_args = ${common}\n`,
    );
    writeFileSync(join(work, `pssh-${mode}.args`), `-i ${key} ${common}${kex}`);
  }
  return { hosts, key, kh };
}

/** The argv (run under /usr/bin/time -v) and env of one client x workload x mode. */
function command(client, k, mode, ctx) {
  const { work, dir, n, files } = ctx;
  const env = { ...process.env };
  if (client === 'kubemend') {
    if (mode === 'pinned') env.KUBEMEND_SSH_KEX = KEX;
    else delete env.KUBEMEND_SSH_KEX;
    const main = join(ROOT, 'dist/lib/cli/main.js');
    const inv = join(dir, 'bench-inventory.yaml');
    if (k === 1) return { argv: ['node', main, 'exec', '-i', inv, '--limit', 'all', '--concurrency', String(n), '--', 'echo', 'bench', '1'], env };
    return { argv: ['node', main, 'run', 'bench-seq', '-i', inv, '--yes', '--concurrency', String(n), '--state-dir', join(work, 'runs'), '--count', String(k)], env };
  }
  if (client === 'floor') {
    const argv = ['node', join(ROOT, 'bench/floor.mjs'), '--hosts-json', join(dir, 'hosts.json'), '--key', files.key, '--known-hosts', files.kh, '--count', String(k), '--timeout', String(CONNECT_TIMEOUT_S)];
    return { argv: mode === 'pinned' ? [...argv, '--kex', KEX] : argv, env };
  }
  if (client === 'ansible') {
    const cp = mkdtempSync(join(work, 'cp-')); // a fresh ControlPath folder: every run connects cold
    Object.assign(env, { ANSIBLE_CONFIG: join(work, `ansible-${mode}.cfg`), ANSIBLE_SSH_CONTROL_PATH_DIR: cp, ANSIBLE_LOCAL_TEMP: join(work, 'ansible-tmp') });
    const inv = join(work, 'hosts.ini');
    if (k === 1) return { argv: ['ansible', 'all', '-i', inv, '-f', String(n), '-m', 'raw', '-a', 'echo bench 1'], env, controlDir: cp };
    return { argv: ['ansible-playbook', '-i', inv, '-f', String(n), join(work, `seq${k}.yml`)], env, controlDir: cp };
  }
  // parallel-ssh: one invocation per command (it has no session), so k commands = k invocations
  const x = readFileSync(join(work, `pssh-${mode}.args`), 'utf8');
  const one = (i) => `parallel-ssh -h ${work}/hosts.txt -p ${n} -t 0 -x "${x}" "echo bench ${i}" >/dev/null`;
  return { argv: ['bash', '-c', `set -e; ${Array.from({ length: k }, (_, i) => one(i + 1)).join('; ')}`], env };
}

/** Runs one measurement under /usr/bin/time -v; wall from this process's clock. */
function measure(spec, work) {
  const tv = join(work, 'time-v.txt');
  return new Promise((res) => {
    const t0 = performance.now();
    const p = spawn('/usr/bin/time', ['-v', '-o', tv, ...spec.argv], { env: spec.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err = (err + d).slice(-2000)));
    p.on('close', (code) => {
      const wall = (performance.now() - t0) / 1000;
      let t = {};
      try {
        t = parseTimeV(readFileSync(tv, 'utf8'));
      } catch {
        /* time -v did not write: the run failed to start */
      }
      if (spec.controlDir) closeControlMasters(spec.controlDir);
      res({ ok: code === 0, code, wall, cpu: (t.user ?? NaN) + (t.sys ?? NaN), rssMB: (t.maxRssKB ?? NaN) / 1024, err: code === 0 ? '' : err.trim().split('\n').slice(-3).join(' / ') });
    });
  });
}

/** Ends the ControlPersist masters Ansible left (outside the measured time). */
function closeControlMasters(d) {
  for (const f of readdirSync(d)) spawnSync('ssh', ['-O', 'exit', '-o', `ControlPath=${join(d, f)}`, 'x'], { stdio: 'ignore' });
  rmSync(d, { recursive: true, force: true });
}

const toolMissing = (c) => (c === 'ansible' ? 'ansible' : c === 'pssh' ? 'parallel-ssh' : null);
for (const c of clients) {
  const tool = toolMissing(c);
  if (tool && spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) die(`${tool} is not installed (scripts/bench installs it with apt)`);
}

const started = new Date();
const load0 = loadavg();
const samples = []; // {hosts, workload, client, mode, run, ok, wall, cpu, rssMB, load1}
const made = [];
try {
  for (const [i, n] of sizes.entries()) {
    const dir = join(a['dir-base'], `lab${n}`);
    const l = ensureLab(n, nets[i], dir);
    if (l.made) made.push(dir);
    const work = join(a['dir-base'], `work${n}`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(join(work, 'ansible-tmp'), { recursive: true });
    const files = clientFiles(dir, work, n);
    const ctx = { work, dir, n, files };
    const maxRuns = Math.max(modes.includes('pinned') ? runs : 0, modes.includes('defaults') ? defaultRuns : 0);
    for (let r = 0; r < maxRuns; r++) {
      for (const k of workloads) {
        for (const mode of modes) {
          if (r >= (mode === 'pinned' ? runs : defaultRuns)) continue;
          // interleaved, and the order rotates from run to run so no client always goes first
          const order = clients.map((_, j) => clients[(j + r) % clients.length]);
          for (const c of order) {
            const load1 = loadavg()[0];
            const m = await measure(command(c, k, mode, ctx), work);
            samples.push({ hosts: n, workload: k, client: c, mode, run: r + 1, load1, ...m });
            say(`${n} hosts x ${k} cmd, ${mode}, ${c} run ${r + 1}: ${m.ok ? 'ok' : `FAILED (exit ${m.code}: ${m.err})`} ${m.wall.toFixed(2)} s wall, ${m.cpu.toFixed(2)} s cpu, ${m.rssMB.toFixed(0)} MB, load ${load1}`);
          }
        }
      }
    }
  }
} finally {
  if (!a.keep) for (const d of made) lab(['down', '--dir', d]);
}
const load1 = loadavg();
const cmdline = `scripts/bench ${process.argv.slice(2).join(' ')}`.trim();
const meta = {
  command: cmdline,
  started: started.toISOString(),
  ended: new Date().toISOString(),
  machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
  loadStart: load0,
  loadEnd: load1,
  versions: versions(),
};
const md = resultTables(samples, meta, { runs, defaultRuns });
process.stdout.write(md);
if (a.json) writeFileSync(a.json, JSON.stringify({ meta, samples }, null, 2) + '\n');
if (!a['no-write']) writeDoc(a.doc, md);
process.exit(samples.every((s) => s.ok) ? 0 : 1);

function versions() {
  const v = (sh) => spawnSync('sh', ['-c', sh], { encoding: 'utf8' }).stdout.trim().split('\n')[0] ?? '';
  return {
    node: process.version,
    openssh: spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim(),
    ansible: v('ansible --version 2>/dev/null'),
    pssh: v("dpkg-query -W -f='${Version}' pssh 2>/dev/null"),
    ssh2: JSON.parse(readFileSync(join(ROOT, 'node_modules/ssh2/package.json'), 'utf8')).version,
  };
}

/** Replaces the text between the bench:results markers of the doc (appends them when missing). */
function writeDoc(file, md) {
  const start = '<!-- bench:results:start -->';
  const end = '<!-- bench:results:end -->';
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const block = `${start}\n${md}${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  writeFileSync(file, i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n${block}\n`);
  say(`results written to ${file}`);
}
