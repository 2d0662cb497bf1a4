// The clients the benchmarks compare (bench/bench.mjs, bench/counts.mjs): kubemend, the bare ssh2
// floor (bench/floor.mjs), Ansible and parallel-ssh; their files, command lines and one measured run.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CONNECT_TIMEOUT_S, benchInventory } from './lab.mjs';
import { parseTimeV } from './stats.mjs';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
/** The key exchange of the pinned mode. */
export const KEX = 'curve25519-sha256';
/** Every client, in the tables' order. */
export const ALL_CLIENTS = ['kubemend', 'floor', 'ansible', 'pssh'];

/** The tool a client needs on PATH (none for kubemend and the floor). */
export const toolOf = (c) => (c === 'ansible' ? 'ansible' : c === 'pssh' ? 'parallel-ssh' : null);

/** Files each client needs for one lab: Ansible inventory and config, pssh host list, playbooks of each workload. */
export function clientFiles(dir, work, n, workloads) {
  const hosts = JSON.parse(readFileSync(join(dir, 'hosts.json'), 'utf8'));
  const key = join(dir, 'id_ed25519');
  const kh = join(dir, 'known_hosts');
  benchInventory(dir);
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
export function command(client, k, mode, ctx) {
  const { work, dir, n, files } = ctx;
  const env = { ...process.env };
  if (client === 'kubemend') {
    if (mode === 'pinned') env.KUBEMEND_SSH_KEX = KEX;
    else delete env.KUBEMEND_SSH_KEX;
    const main = join(ROOT, 'dist/bin/kubemend.js'); // the bundle: what bin and scripts/kubemend run
    const inv = join(dir, 'bench-inventory.yaml');
    if (k === 1) return { argv: ['node', main, 'exec', '-i', inv, '--limit', 'all', '--concurrency', String(n), '--', 'echo', 'bench', '1'], env };
    return {
      argv: ['node', main, 'run', 'bench-seq', '-i', inv, '--yes', '--concurrency', String(n), '--state-dir', join(work, 'runs'), '--count', String(k)],
      env,
    };
  }
  if (client === 'floor') {
    const argv = [
      'node',
      join(ROOT, 'bench/floor.mjs'),
      '--hosts-json',
      join(dir, 'hosts.json'),
      '--key',
      files.key,
      '--known-hosts',
      files.kh,
      '--count',
      String(k),
      '--timeout',
      String(CONNECT_TIMEOUT_S),
    ];
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
export function measure(spec, work) {
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
      res({
        ok: code === 0,
        code,
        wall,
        cpu: (t.user ?? NaN) + (t.sys ?? NaN),
        rssMB: (t.maxRssKB ?? NaN) / 1024,
        err: code === 0 ? '' : err.trim().split('\n').slice(-3).join(' / '),
      });
    });
  });
}

/** Ends the ControlPersist masters Ansible left (outside the measured time). */
export function closeControlMasters(d) {
  for (const f of readdirSync(d)) spawnSync('ssh', ['-O', 'exit', '-o', `ControlPath=${join(d, f)}`, 'x'], { stdio: 'ignore' });
  rmSync(d, { recursive: true, force: true });
}
