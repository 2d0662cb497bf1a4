/**
 * The gate before each master joins (steps 7-8): a member add moves etcd's leader more often than
 * not, and an apiserver answers `etcdserver: leader changed` while it moves, so a join started
 * right after the previous one can fail for a blip (issue 21). Before `control-plane-prepare` the
 * gate waits, polling (not sleeping), until, over GATE_STREAK reads in a row 2 s apart:
 * - etcd, asked on the first master, or on kubespray's layout on an etcd member when the first master is
 *   none (layout.ts etcdAskHost) (`etcdctl endpoint status --cluster`, `endpoint health
 *   --cluster`: in its etcd container on kubeadm's layout, with kubespray's own etcdctl and
 *   /etc/etcd.env on kubespray's, where etcd is a host service and no container exists: shared/layout.ts
 *   etcdAsk), has one leader that every member names, the same leader and raft term in every read,
 *   no learner (a member add half done), and every member healthy. On kubespray's layout a join
 *   adds no member (etcd.external), but the apiservers still answer `leader changed` while its
 *   leader moves, so the gate holds there too;
 * - the apiserver of every master already rebuilt answers /readyz, each asked at its own address
 *   with its admin.conf's credentials and CA.
 * All read-only; a gate that does not pass within the run's waitSeconds fails the join, named,
 * before anything changed on the joining master.
 */
import type { Host } from '../../lib/inventory/types.js';
import type { HostContext } from '../../lib/core/types.js';
import { inventoryEtcdMembers, inventoryFirst, otherMasters } from '../../lib/core/hosts.js';
import { parseEtcdHealth } from '../../lib/facts/etcd.js';
import { ADMIN_CONF } from '../../lib/facts/paths.js';
import { ownApiserverFlags } from '../../lib/kube/own-apiserver.js';
import type { RecoverOptions } from './common.js';
import { waitFor } from '../shared/wait-for.js';
import { type EtcdAsk, etcdAsk, etcdAskHost, layoutOf } from '../shared/layout.js';

/** Reads in a row that must agree before a master joins. */
export const GATE_STREAK = 3;
/** The reads' spacing: the gate proves a leader steady over GATE_STREAK reads this far apart. */
export const GATE_READ_MS = 2000;

/** One member's answer to `etcdctl endpoint status`. */
export interface EndpointStatus {
  endpoint: string;
  /** Member ids in decimal text (uint64: never JS numbers). */
  memberId: string;
  leader: string;
  raftTerm: string;
  isLearner: boolean;
}

/** Parse `etcdctl endpoint status -w json` (an array; the uint64 ids kept as text); an error names what etcdctl said instead. */
export function parseEndpointStatus(out: string): EndpointStatus[] {
  // -w json prints the array on one line; etcdctl's own warnings (stderr, merged) are other lines
  const line = out.split('\n').find((l) => l.trimStart().startsWith('[{'));
  if (!line) throw new Error(`etcdctl endpoint status printed no JSON: ${out.trim().split('\n').pop()?.slice(0, 200) ?? ''}`);
  const safe = line.replace(/"(member_id|leader|raft_term|raftTerm|cluster_id)"\s*:\s*(\d+)/g, '"$1":"$2"');
  const rows = JSON.parse(safe) as Array<{
    Endpoint: string;
    Status?: { header?: { member_id?: string; raft_term?: string }; leader?: string; raftTerm?: string; isLearner?: boolean };
  }>;
  return rows.map((r) => ({
    endpoint: r.Endpoint,
    memberId: r.Status?.header?.member_id ?? '',
    leader: r.Status?.leader ?? '0',
    raftTerm: r.Status?.raftTerm ?? r.Status?.header?.raft_term ?? '',
    isLearner: !!r.Status?.isLearner,
  }));
}

/** One read of the gate: why it does not pass, or the leader it saw. */
export type GateRead = { ok: true; leader: string; term: string; members: number } | { ok: false; why: string };

/** Judge one read of etcd: a leader every member names, no learner, every member healthy. */
export function judgeEtcd(status: EndpointStatus[], healthOut: string, name: (endpoint: string) => string): GateRead {
  if (status.length === 0) return { ok: false, why: 'etcd: no member answered endpoint status' };
  const learners = status.filter((s) => s.isLearner);
  if (learners.length) return { ok: false, why: `etcd: ${learners.map((s) => name(s.endpoint)).join(', ')} still a learner (a member add is not finished)` };
  const leaders = new Set(status.map((s) => s.leader));
  const leader = status[0]!.leader;
  if (leaders.size > 1 || leader === '0' || leader === '')
    return {
      ok: false,
      why: `etcd: the members do not agree on a leader (${status.map((s) => `${name(s.endpoint)}: ${s.leader === '0' ? 'none' : s.leader}`).join(', ')})`,
    };
  const at = status.find((s) => s.memberId === leader);
  if (!at) return { ok: false, why: `etcd: the leader ${leader} is not among the members that answered` };
  const health = parseEtcdHealth(healthOut);
  if (health.unhealthy.length || health.healthy.length < status.length) {
    return {
      ok: false,
      why: `etcd: ${health.healthy.length} of ${status.length} members healthy${health.unhealthy.length ? `, unhealthy: ${health.unhealthy.map(name).join(', ')}` : ''}`,
    };
  }
  return { ok: true, leader: name(at.endpoint), term: at.raftTerm, members: status.length };
}

/** The name of the inventory's etcd member whose address is in `endpoint` (the URL itself when none). */
function memberName(members: readonly Host[]): (endpoint: string) => string {
  return (endpoint) => members.find((m) => new RegExp(`//\\[?${m.address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\]?:`).test(endpoint))?.name ?? endpoint;
}

/** kubectl /readyz of `m`'s own apiserver (lib/kube/own-apiserver.ts), with its admin.conf's credentials and CA; 5 s per try, the gate polls. */
function readyzArgv(m: Host): string[] {
  return ['kubectl', '--kubeconfig', ADMIN_CONF, ...ownApiserverFlags(m), '--request-timeout=5s', 'get', '--raw', '/readyz'];
}

/** The masters whose apiservers already run the new PKI when `joining` joins: the first, and the others before it in the phase's order. */
export function rebuiltBefore(h: HostContext, joining: Host): Host[] {
  const others = otherMasters(h);
  return [
    inventoryFirst(h),
    ...others.slice(
      0,
      Math.max(
        0,
        others.findIndex((m) => m.name === joining.name),
      ),
    ),
  ];
}

/** The gate before `h`'s master joins (see the file's comment). */
export async function joinGate(h: HostContext<RecoverOptions>): Promise<void> {
  const first = h.on(etcdAskHost(h, inventoryFirst(h)));
  const name = memberName(inventoryEtcdMembers(h));
  const apiservers = rebuiltBefore(h, h.host);
  const ask = etcdAsk(layoutOf(h));
  let streak = 0;
  let last: { leader: string; term: string } | undefined;
  let passed: GateRead | undefined;
  await waitFor(
    h,
    `the join gate for ${h.host.name}: etcd's leader steady and every member healthy, the apiservers of ${apiservers.map((m) => m.name).join(', ')} ready, ${GATE_STREAK} reads in a row`,
    async () => {
      const read = await readOnce(h, first, ask, apiservers, name);
      if (!read.ok) {
        streak = 0;
        return read.why;
      }
      if (last && (last.leader !== read.leader || last.term !== read.term)) {
        h.log(`etcd's leader moved (${last.leader}, term ${last.term} -> ${read.leader}, term ${read.term}) while the gate watched: it waits until it stays`);
        streak = 0;
      }
      last = { leader: read.leader, term: read.term };
      passed = read;
      return ++streak >= GATE_STREAK ? true : `${streak} of ${GATE_STREAK} reads in a row so far`;
    },
    { everyMs: GATE_READ_MS },
  );
  if (passed?.ok)
    h.log(
      `join gate passed: etcd leader ${passed.leader} (term ${passed.term}) over ${GATE_STREAK} reads, ${passed.members} of ${passed.members} members healthy; /readyz ok on ${apiservers.map((m) => m.name).join(', ')}`,
    );
}

/** One read of etcd (on the first master, or the etcd member asked instead) and of each rebuilt apiserver. */
async function readOnce(h: HostContext, first: HostContext, ask: EtcdAsk, apiservers: Host[], name: (e: string) => string): Promise<GateRead> {
  const [status, health] = await Promise.all([
    first.read(ask.status, { what: `etcdctl endpoint status --cluster (${ask.where})` }),
    first.read(ask.health, { what: `etcdctl endpoint health --cluster (${ask.where})` }),
  ]);
  const etcd = judgeEtcd(parseEndpointStatus(status.stdout), health.stdout, name);
  if (!etcd.ok) return etcd;
  for (const m of apiservers) {
    const r = await h.on(m).read(readyzArgv(m), { allowFail: true, what: `kubectl get --raw /readyz (${m.name}'s own apiserver)` });
    if (r.exitCode !== 0) return { ok: false, why: `${m.name}'s apiserver: ${r.stderr.trim().split('\n').pop() || `exit ${r.exitCode}`}` };
  }
  return etcd;
}
