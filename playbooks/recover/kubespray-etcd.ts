/**
 * kubespray's etcd, kept as it is by recover (shared/layout.ts): what it was before any change (step 0:
 * its members, asked with kubespray's own etcdctl and /etc/etcd.env, lib/etcd-data/kubespray.ts;
 * the sha256 of every file of etcd_cert_dir /etc/ssl/etcd/ssl on each master and each etcd member), kept in the run's
 * folder so a resumed run compares with the first attempt's; and the proof's rows that it still is
 * (step 17): the same member ids, the same certificates, every member healthy.
 */
import type { PhaseContext } from '../../lib/core/types.js';
import { sharedKey } from '../../lib/core/shared.js';
import type { Host } from '../../lib/inventory/types.js';
import type { EtcdMember } from '../../lib/facts/etcd.js';
import { kubesprayEtcdHealth, kubesprayEtcdMembers } from '../../lib/etcd-data/kubespray.js';
import { ETCD_CERT_DIR, etcdAskHost, etcdMemberCount } from '../shared/layout.js';
import { readRunFile, writeRunFile } from '../shared/run-files.js';
import type { Check } from './17-verify.js';
import { inventoryEtcdMembers, inventoryMasters } from '../../lib/core/hosts.js';

/** What kubespray's etcd was at step 0. */
export interface KubesprayEtcdState {
  /** `id name peerURLs` of each member, sorted. */
  members: string[];
  /** Per master and etcd member: `sha256  path` of every file under /etc/ssl/etcd/ssl, sorted. */
  certs: Record<string, string[]>;
}

/** The run file that keeps it. */
const STATE_FILE = 'kubespray-etcd.json';
const KEY = sharedKey<KubesprayEtcdState>('recover:kubespray-etcd');

/** sha256 of every file of kubespray's etcd_cert_dir (read-only; an empty list when there is none). */
const CERT_SUMS = ['sh', '-c', 'find "$1" -type f -exec sha256sum {} + 2>/dev/null | sort -k 2; exit 0', 'sh', ETCD_CERT_DIR];

/** A member as one comparable line. */
export const memberLine = (m: EtcdMember): string => `${m.id} ${m.name} ${m.peerURLs.join(',')}`;

/** The hosts that hold kubespray's etcd certificates: every master (its node pair) and every etcd member, each once. */
export function etcdCertHolders(ctx: PhaseContext): Host[] {
  const out = inventoryMasters(ctx);
  for (const e of inventoryEtcdMembers(ctx)) if (!out.some((h) => h.name === e.name)) out.push(e);
  return out;
}

/** Read kubespray's etcd as it is now: members asked for `first` (on an etcd member: layout.ts etcdAskHost), certificate sums on each holder. */
async function readState(ctx: PhaseContext, first: Host): Promise<KubesprayEtcdState> {
  const members = (await kubesprayEtcdMembers(ctx.on(etcdAskHost(ctx, first)))).map(memberLine).sort();
  const certs: Record<string, string[]> = {};
  for (const m of etcdCertHolders(ctx))
    certs[m.name] = (await ctx.on(m).read(CERT_SUMS, { what: `sha256 of ${ETCD_CERT_DIR}` })).stdout.split('\n').filter(Boolean);
  return { members, certs };
}

/** Step 0: record kubespray's etcd before anything changes (a resumed run keeps what its first attempt recorded). */
export async function recordKubesprayEtcd(ctx: PhaseContext, first: Host): Promise<KubesprayEtcdState> {
  const earlier = readRunFile<KubesprayEtcdState>(ctx, STATE_FILE);
  const state = earlier ?? (await readState(ctx, first));
  if (!earlier) writeRunFile(ctx, STATE_FILE, state);
  ctx.shared.set(KEY, state);
  const n = Object.values(state.certs).reduce((a, c) => a + c.length, 0);
  ctx.log(
    `kubespray's etcd before the repair: ${state.members.length} member${state.members.length === 1 ? '' : 's'} (${state.members.join('; ')}), ${n} files in ${ETCD_CERT_DIR} on ${Object.keys(state.certs).join(', ')}; kept as they are${earlier ? ' (recorded when this run started)' : ''}`,
  );
  return state;
}

/** The proof's rows (pure): the members and the certificates as at step 0. */
export function keptRows(before: KubesprayEtcdState | undefined, now: KubesprayEtcdState): Check[] {
  if (!before) return [{ check: "kubespray's etcd kept", ok: false, detail: 'step 0 recorded nothing to compare with' }];
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const rows: Check[] = [];
  rows.push({
    check: "kubespray's etcd members unchanged",
    ok: same(before.members, now.members),
    detail: same(before.members, now.members)
      ? `${now.members.length} members, same ids (${now.members.map((m) => m.split(' ')[0]).join(', ')})`
      : `before: ${before.members.join('; ')}; now: ${now.members.join('; ') || 'none'}`,
  });
  const changed = Object.keys(before.certs).filter((m) => !same(before.certs[m], now.certs[m] ?? []));
  const files = Object.values(now.certs).reduce((a, c) => a + c.length, 0);
  rows.push({
    check: `etcd certificates in ${ETCD_CERT_DIR} unchanged`,
    ok: changed.length === 0 && files > 0,
    detail: changed.length
      ? `changed on ${changed.join(', ')}`
      : files
        ? `${files} files, same sha256 on ${Object.keys(now.certs).length} host(s) (${Object.keys(now.certs).join(', ')})`
        : 'no file found',
  });
  return rows;
}

/** Step 17 on kubespray's layout: members healthy, and the members and certificates as at step 0. */
export async function kubesprayEtcdRows(ctx: PhaseContext, first: Host): Promise<Check[]> {
  const nm = etcdMemberCount(ctx);
  const eh = await kubesprayEtcdHealth(ctx.on(etcdAskHost(ctx, first)));
  const health: Check = {
    check: 'etcd members healthy',
    ok: eh.healthy.length >= nm && eh.unhealthy.length === 0,
    detail: `${eh.healthy.length}/${nm} healthy (kubespray's etcd service, its etcdctl)${eh.unhealthy.length ? `; unhealthy ${eh.unhealthy.join(', ')}` : ''}`,
  };
  const before = ctx.shared.get(KEY) ?? readRunFile<KubesprayEtcdState>(ctx, STATE_FILE);
  const now = await readState(ctx, first);
  return [health, ...keptRows(before, now)];
}
