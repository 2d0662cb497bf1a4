// The lab hosts of the benchmarks (bench/bench.mjs, bench/startup.mjs): made or reused, and the
// lab's inventory with the benchmark's connect timeout.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
/** The SSH connect timeout every client gets (kubemend's and Ansible's default of 10 s fails hosts on a loaded machine). */
export const CONNECT_TIMEOUT_S = 120;

/** Runs scripts/lab with args; its output captured. */
export const lab = (args) => spawnSync(join(ROOT, 'scripts/lab'), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** A lab of n hosts in dir: reused when it is up with n hosts, made otherwise; throws when it cannot be made. */
export function ensureLab(n, net, dir, say) {
  if (existsSync(join(dir, 'hosts.json')) && lab(['check', '--dir', dir]).status === 0) {
    const hosts = JSON.parse(readFileSync(join(dir, 'hosts.json'), 'utf8'));
    if (hosts.length === n) return { dir, made: false };
    say(`${dir} has ${hosts.length} hosts, not ${n}: taking it down`);
  }
  if (existsSync(join(dir, 'lab.env'))) lab(['down', '--dir', dir]);
  say(`scripts/lab up --hosts ${n} --dir ${dir} --net ${net}`);
  const r = lab(['up', '--hosts', String(n), '--dir', dir, '--net', String(net)]);
  if (r.status !== 0)
    throw new Error(`scripts/lab up --hosts ${n} --dir ${dir} --net ${net}: exit ${r.status}: ${r.stderr.trim().split('\n').slice(-5).join(' / ')}`);
  return { dir, made: true };
}

/** Takes a lab down. */
export function labDown(dir) {
  lab(['down', '--dir', dir]);
}

/** The lab's inventory with the benchmark's connect timeout, written next to it (its paths are relative); returns its path. */
export function benchInventory(dir) {
  const inv = readFileSync(join(dir, 'inventory.yaml'), 'utf8').replace(/^ssh:\n/m, `ssh:\n  connectTimeout: ${CONNECT_TIMEOUT_S}s\n`);
  const file = join(dir, 'bench-inventory.yaml');
  writeFileSync(file, inv);
  return file;
}
