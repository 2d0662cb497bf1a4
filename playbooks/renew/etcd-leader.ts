/**
 * Before a master's etcd restarts in a rolling renewal: if its member leads, hand leadership to
 * another started member (`etcdctl move-leader`, run in the etcd container: lib/facts/etcd.ts), so the restart costs no leader election (an
 * election is a moment in which every apiserver's etcd check fails and /readyz says 500).
 */
import type { HostContext } from '../../lib/core/types.js';
import { ETCDCTL, ETCDCTL_FN } from '../../lib/facts/etcd.js';
import type { RenewOptions } from './options.js';
import { waitFor } from '../shared/wait-for.js';

/** `endpoint status -w simple` of the local member: its id and whether it leads, or null. */
export function parseLocalStatus(out: string): { id: string; leader: boolean } | null {
  const cols = out
    .split('\n')
    .find((l) => l.startsWith('https://'))
    ?.split(',')
    .map((c) => c.trim());
  return cols && cols.length >= 5 && /^[0-9a-f]+$/.test(cols[1]!) ? { id: cols[1]!, leader: cols[4] === 'true' } : null;
}

/** Started voting members other than `self`, from `member list -w simple`; members named in `prefer` first. */
export function otherMembers(out: string, self: string, prefer: readonly string[] = []): string[] {
  const rows = out
    .split('\n')
    .map((l) => l.split(',').map((c) => c.trim()))
    .filter((c) => c.length >= 6 && c[1] === 'started' && c[5] === 'false' && c[0] !== self);
  return [...rows.filter((c) => prefer.includes(c[2]!)), ...rows.filter((c) => !prefer.includes(c[2]!))].map((c) => c[0]!);
}

async function localStatus(h: HostContext) {
  return parseLocalStatus(
    (await h.read(['sh', '-c', `${ETCDCTL}${ETCDCTL_FN} endpoint status -w simple 2>/dev/null; exit 0`], { what: 'etcdctl endpoint status' })).stdout,
  );
}

/**
 * Move etcd leadership off this master's member when it leads (mutating: move-leader; a no-op
 * otherwise), preferably to a member of a master in `done` (already restarted: no second hand-off).
 */
export async function moveLeaderAway(h: HostContext<RenewOptions>, done: readonly string[]): Promise<void> {
  const me = await localStatus(h);
  if (!me?.leader) return;
  const others = otherMembers(
    (await h.read(['sh', '-c', `${ETCDCTL}${ETCDCTL_FN} member list -w simple; exit 0`], { what: 'etcdctl member list' })).stdout,
    me.id,
    done,
  );
  if (others.length === 0) return;
  await h.run(['sh', '-c', `${ETCDCTL}${ETCDCTL_FN} move-leader "$1"`, 'sh', others[0]!], { what: `etcdctl move-leader ${others[0]}` });
  h.log(`etcd leadership moved from ${me.id} (this master) to ${others[0]} before the restart`);
  await waitFor(h, `${h.host.name}'s etcd member no longer leads`, async () => {
    const s = await localStatus(h);
    return s && !s.leader ? true : 'still the leader';
  });
}
