/**
 * `scripts/lab fault etcd-leader-change [--to HOST] [--dir DIR]`: moves the lab's etcd leader to
 * another member (HOST's, or the first member that is neither leader nor learner) with the
 * machine's real `etcdctl move-leader`, run from outside the hosts (a kubeadm host has no etcdctl)
 * against every master's etcd, with the certificates of a master that has them now. It waits until
 * the members name the new leader and prints `etcd leader moved: A -> B (term X -> Y)`.
 * A real cluster's leader moves like this after a member add, or when its leader is slow: the
 * apiservers' requests in flight meanwhile get `etcdserver: leader changed`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type EndpointStatus, parseEndpointStatus } from '../../../playbooks/recover/join-gate.js';
import { etcdUrl, etcdctlWitness, hostEtcdPki } from './etcdctl.js';
import { type Host, type LabDir, hostOf, parseArgs, readLab } from './labdir.js';

/** The members' status, asked with `via`'s certificates of every master's etcd. */
async function status(lab: LabDir, via: Host): Promise<EndpointStatus[]> {
  const r = await etcdctlWitness(lab.dir, via, ['endpoint', 'status', '-w', 'json'], 15_000, lab.masters.map(etcdUrl));
  return parseEndpointStatus(r.stdout);
}

/** Move the leader; returns the line it prints. */
export async function moveLeader(lab: LabDir, to?: string): Promise<string> {
  const via = lab.masters.find((m) => existsSync(join(hostEtcdPki(lab.dir, m.name), 'healthcheck-client.key')));
  if (!via) throw new Error('no master has etcd certificates (etc/kubernetes/pki/etcd/healthcheck-client.*) now');
  const before = await status(lab, via);
  const name = (s: EndpointStatus) => lab.masters.find((m) => s.endpoint === etcdUrl(m))?.name ?? s.endpoint;
  const leader = before.find((s) => s.memberId === s.leader);
  if (!leader) throw new Error(`etcd has no leader now (${before.map((s) => `${name(s)}: leader ${s.leader}`).join(', ') || 'no member answered'})`);
  const target = to ? before.find((s) => s.endpoint === etcdUrl(hostOf(lab, to))) : before.find((s) => s !== leader && !s.isLearner);
  if (!target) throw new Error(to ? `${to}'s etcd did not answer` : 'no other voting member to move the leader to');
  if (target === leader) return `etcd leader already on ${name(leader)}`;
  const moved = await etcdctlWitness(lab.dir, via, ['move-leader', BigInt(target.memberId).toString(16)], 30_000, lab.masters.map(etcdUrl));
  if (moved.code !== 0) throw new Error(`etcdctl move-leader: exit ${moved.code}: ${(moved.stderr || moved.stdout).trim().split('\n').pop()}`);
  for (let i = 0; i < 50; i++) {
    const now = await status(lab, via).catch(() => []);
    const l = now.find((s) => s.memberId === s.leader);
    if (l && l.memberId === target.memberId && now.every((s) => s.leader === l.memberId))
      return `etcd leader moved: ${name(leader)} -> ${name(l)} (term ${leader.raftTerm} -> ${l.raftTerm})`;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`etcdctl move-leader answered, but the members do not name ${name(target)} as leader after 10 s`);
}

async function main(): Promise<void> {
  const { flags, rest } = parseArgs(process.argv.slice(2), []);
  if (rest[0] !== 'etcd-leader-change') throw new Error('usage: scripts/lab fault etcd-leader-change [--to HOST] [--dir DIR]');
  const lab = readLab(flags.dir ?? '/tmp/kubemend-lab');
  process.stdout.write(`${await moveLeader(lab, flags.to)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  main().catch((e: Error) => {
    process.stderr.write(`lab fault etcd-leader-change: ${e.message}\n`);
    process.exit(1);
  });
