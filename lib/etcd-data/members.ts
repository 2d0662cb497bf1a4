/** The etcd members recorded in a master's data, checked against the inventory's masters. */
import type { Host } from '../inventory/types.js';
import type { StoredMember } from './mvcc.js';
import type { EtcdMember } from '../facts/etcd.js';

/** Host part of a URL (`https://10.0.1.1:2380` -> `10.0.1.1`; IPv6 brackets removed). */
function urlHost(u: string): string {
  try {
    return new URL(u).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return '';
  }
}

/**
 * The mismatches between etcd's members (name = kubeadm's node name, peer URL on the node's
 * advertise address, port 2380) and the inventory's masters; empty when they agree. A member the
 * inventory does not have, a master that is no member, or a peer address that is not the master's
 * address would make the rebuilt control plane join the wrong etcd members.
 */
export function memberMismatches(members: readonly StoredMember[], masters: readonly Host[]): string[] {
  const out: string[] = [];
  const voting = members.filter((m) => !m.isLearner);
  for (const m of voting) {
    const h = masters.find((x) => x.name === m.name);
    const peers = m.peerURLs.map(urlHost);
    if (!h) {
      const byAddr = masters.find((x) => peers.includes(x.address));
      out.push(
        `etcd member "${m.name}" (${m.peerURLs.join(', ')}) is not a master of the inventory${byAddr ? ` (its address is ${byAddr.name}'s: renamed?)` : ''}`,
      );
    } else if (!peers.includes(h.address)) {
      out.push(`etcd member "${m.name}" has peer URL ${m.peerURLs.join(', ')}, but the inventory gives ${h.name} the address ${h.address}`);
    }
  }
  for (const h of masters) {
    if (!voting.some((m) => m.name === h.name))
      out.push(`master ${h.name} (${h.address}) is not an etcd member in the data (members: ${voting.map((m) => m.name).join(', ') || 'none'})`);
  }
  return out;
}

/**
 * The mismatches between kubespray's etcd members and the inventory's etcd group (pure): `group` is
 * its etcd hosts (kubespray's `etcd` group, which may hold hosts that are not masters and leave masters
 * out), or its masters when the inventory names no etcd group (`fromGroup` false). kubespray names
 * members by etcd_member_name (`etcd1`, ...: roles/etcd/templates/etcd.env.j2 ETCD_NAME), not by node
 * name, so they are matched by their peer URL's address: every member on a group host's address, every
 * group host a member.
 */
export function kubesprayMemberMismatches(members: readonly EtcdMember[], group: readonly Host[], fromGroup = true): string[] {
  const out: string[] = [];
  const which = fromGroup ? "the inventory's etcd group" : "the inventory's masters (it names no etcd group)";
  for (const m of members) {
    if (!group.some((h) => m.peerURLs.map(urlHost).includes(h.address)))
      out.push(
        `etcd member "${m.name}" (${m.peerURLs.join(', ')}) is on the address of no host of ${which}${fromGroup ? '' : ": list kubespray's etcd hosts in the inventory (its etcd group), as kubespray's own inventory does"}`,
      );
  }
  for (const h of group) {
    if (!members.some((m) => m.peerURLs.map(urlHost).includes(h.address)))
      out.push(
        `${h.role === 'master' ? 'master' : 'etcd host'} ${h.name} (${h.address}) of ${which} is no etcd member (members: ${members.map((m) => `${m.name} ${m.peerURLs.join(',')}`).join('; ') || 'none'})`,
      );
  }
  return out;
}
