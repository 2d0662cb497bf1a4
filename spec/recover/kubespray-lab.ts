/**
 * What the kubespray lab tests share (spec/recover/kubespray.test.ts, kubespray-etcd-group.test.ts):
 * etcd asked through kubespray's etcdctl.sh, a HOME that knows the lab's host keys (kubespray's
 * inventory has none), the workloads and kubespray's etcd files before and after, doctor then
 * recover from kubespray's inventory, and the cluster CA a host trusts.
 */
import type { ExecutionContext } from 'ava';
import { copyFileSync, mkdirSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import type { Lab } from '../helpers/lab.js';
import { MAIN, cli } from '../cli/run-cli.js';
import { LAB_PROOF } from './recover-lab.js';

/** kubespray's etcdctl wrapper, at the local member. */
const ETCDCTL = ['etcdctl.sh', '--endpoints=https://127.0.0.1:2379'];

/** etcd's member list (ids and names) on `host` (m1 by default), through kubespray's etcdctl.sh and admin cert. */
export async function etcdMembers(lab: Lab, host = 'm1'): Promise<string> {
  const r = await lab.exec(host, ['sh', '-c', `${ETCDCTL.join(' ')} member list -w simple 2>&1`]);
  if (r.code !== 0) throw new Error(`etcdctl.sh member list on ${host}: exit ${r.code}: ${r.stdout}${r.stderr}`);
  return r.stdout
    .split('\n')
    .map((l) => l.split(',').slice(0, 3).join(','))
    .filter(Boolean)
    .sort()
    .join('\n');
}

/** A HOME whose ~/.ssh/known_hosts holds the lab's host keys: kubespray's inventory has none of its own, and kubemend (as Ansible) reads ~/.ssh/known_hosts. */
export function homeWithKnownHosts(lab: Lab): string {
  const home = tempDir('/tmp/kubemend-kubespray-home-');
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  copyFileSync(join(lab.dir, 'known_hosts'), join(home, '.ssh', 'known_hosts'));
  return home;
}

/** sha256 of kubespray's etcd certificates and its units on a host, and what /var/backups/kubemend holds. */
export async function untouched(lab: Lab, host: string): Promise<string> {
  const r = await lab.exec(host, [
    'sh',
    '-c',
    'find /etc/ssl/etcd /etc/etcd.env /etc/systemd/system /etc/nginx -type f -exec sha256sum {} + 2>/dev/null | sort; ls -A /var/backups/kubemend 2>/dev/null; ls -A /var/lib/kubemend 2>/dev/null; true',
  ]);
  return r.stdout;
}

/** The lab's workload pods (`ns/name` -> when their container started), from its own status. */
export async function workloads(lab: Lab): Promise<Record<string, string>> {
  const r = await lab.lab(['status', '--json']);
  const s = JSON.parse(r.stdout) as { workloads: Record<string, { startedAt: string }> };
  return Object.fromEntries(Object.entries(s.workloads).map(([k, v]) => [k, v.startedAt]));
}

/** The workload pods without in-cluster credentials (apps/plain-*, apps/static-*) kept running (the same container start), and none lost. */
export async function workloadsKept(t: ExecutionContext, lab: Lab, before: Record<string, string>): Promise<void> {
  const now = await workloads(lab);
  for (const [id, startedAt] of Object.entries(before)) {
    if (/^apps\/(plain|static)-/.test(id)) t.is(now[id], startedAt, `${id} kept running`);
  }
  t.is(Object.keys(now).length, Object.keys(before).length, 'as many workload pods as before');
}

/** sha256 of kubespray's etcd certificates, its env file and units on a host (recover must not touch them). */
export async function etcdFiles(lab: Lab, host: string): Promise<string> {
  return (
    await lab.exec(host, [
      'sh',
      '-c',
      'find /etc/ssl/etcd /etc/etcd.env /etc/systemd/system/etcd.service /etc/nginx -type f -exec sha256sum {} + 2>/dev/null | sort',
    ])
  ).stdout;
}

/** The same with each file's mode, owner and link target (a joining master's download-certs writes etcd.external's files in place: their mode must stay kubespray's). */
export async function etcdFilesAndModes(lab: Lab, host: string): Promise<string> {
  const modes = (
    await lab.exec(host, ['sh', '-c', 'find /etc/ssl/etcd /etc/etcd.env /etc/systemd/system/etcd.service -printf "%m %u %y %l %p\\n" 2>/dev/null | sort'])
  ).stdout;
  return `${await etcdFiles(lab, host)}${modes}`;
}

/**
 * doctor on a wiped kubespray lab (exit 1: problems, recover recommended, no refusal), then `kubemend run
 * recover -i INV --yes` with kubespray's inventory (exit 0, every proof row PASS): both outputs, and the run's state folder.
 */
export async function doctorThenRecover(t: ExecutionContext, inv: string, home: string): Promise<{ doctor: string; out: string; state: string }> {
  const d = await cli(MAIN, ['doctor', '-i', inv], { env: { HOME: home } });
  t.is(d.code, 1, d.stdout + d.stderr);
  t.regex(d.stdout, /^run: kubemend run recover -i INVENTORY/m);
  t.notRegex(d.stdout, /does not repair/);
  const state = tempDir('/tmp/kubemend-kubespray-');
  const r = await cli(MAIN, ['run', 'recover', '-i', inv, '--yes', '--state-dir', state, ...LAB_PROOF], { env: { HOME: home } });
  const out = r.stdout + r.stderr;
  t.is(r.code, 0, out.slice(-6000));
  const proof = out.split('\n').filter((l) => /^(PASS|FAIL) /.test(l));
  t.true(proof.length > 10 && proof.every((l) => l.startsWith('PASS')), proof.join('\n'));
  return { doctor: d.stdout, out, state };
}

/** sha256 fingerprint of the cluster CA in a host's kube_cert_dir. */
export async function caOf(lab: Lab, host: string): Promise<string> {
  return (await lab.exec(host, ['openssl', 'x509', '-noout', '-fingerprint', '-sha256', '-in', '/etc/kubernetes/ssl/ca.crt'])).stdout.trim();
}
