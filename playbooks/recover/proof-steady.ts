/**
 * Proof rows that look across masters and across time (issue 13): one shared PKI on every master
 * (a split sa.key or CA passes every per-host row), and workload pods that stay Ready over a
 * window rather than at one instant (a restart caused by the repair itself shows up there).
 */
import type { V1Pod } from '@kubernetes/client-node';
import { MASTER_CA_FILES, PKI } from '../../lib/facts/paths.js';
import { isWorkload, podReady } from './pods.js';
import type { Check } from './17-verify.js';

/** How long the workload pods must stay Ready by default (recover's --proof-seconds), and how often they are looked at. */
export const PROOF_WINDOW_MS = 30_000;
export const PROOF_SAMPLE_MS = 3_000;

/** The sha256 of every shared CA/key file on a master (read-only; a missing file is reported by sha256sum on stderr). */
export const SHARED_PKI_ARGV = ['sh', '-c', 'cd "$1" || exit 1; shift; sha256sum -- "$@" 2>/dev/null; exit 0', 'sh', PKI, ...MASTER_CA_FILES];

/** Parse sha256sum's lines into file → hash. */
export function parseSha256(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const r = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
    if (r) m.set(r[2], r[1]);
  }
  return m;
}

/**
 * 'shared PKI identical on masters': every file of MASTER_CA_FILES has one sha256 on every master.
 * A file absent on every master (e.g. etcd/ca.* where etcd is not kubeadm's) is named, not failed;
 * absent on some masters only, or different anywhere, fails.
 */
export function sharedPkiRow(byMaster: ReadonlyMap<string, ReadonlyMap<string, string>>): Check {
  const check = 'shared PKI identical on masters';
  const masters = [...byMaster.keys()];
  const bad: string[] = [];
  const absent: string[] = [];
  let same = 0;
  for (const f of MASTER_CA_FILES) {
    const missing = masters.filter((m) => !byMaster.get(m)!.has(f));
    if (missing.length === masters.length) {
      absent.push(f);
      continue;
    }
    if (missing.length) bad.push(`${f} missing on ${missing.join(', ')}`);
    const hashes = new Map<string, string[]>();
    for (const m of masters) {
      const h = byMaster.get(m)!.get(f);
      if (h) hashes.set(h, [...(hashes.get(h) ?? []), m]);
    }
    if (hashes.size > 1) bad.push(`${f} differs: ${[...hashes].map(([h, ms]) => `${ms.join(',')} ${h.slice(0, 12)}`).join(' / ')}`);
    else if (!missing.length) same++;
  }
  if (masters.length === 0) return { check, ok: false, detail: 'no master answered' };
  const note = absent.length ? `; not on any master: ${absent.join(', ')}` : '';
  return { check, ok: bad.length === 0, detail: bad.length ? bad.join('; ') + note : `${same} files, one sha256 each on ${masters.length} masters${note}` };
}

/** What one look at the pods saw: the workload pods, or why the list failed. */
export type PodSample = { atMs: number; pods: V1Pod[] } | { atMs: number; error: string };

/** Look at the pods every `everyMs` until `windowMs` has passed (the first look at once, the last at the window's end). */
export async function samplePods(
  list: () => Promise<V1Pod[]>,
  windowMs = PROOF_WINDOW_MS,
  everyMs = PROOF_SAMPLE_MS,
  sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)),
): Promise<PodSample[]> {
  const t0 = Date.now();
  const out: PodSample[] = [];
  for (;;) {
    const atMs = Date.now() - t0;
    try {
      out.push({ atMs, pods: (await list()).filter(isWorkload) });
    } catch (e) {
      out.push({ atMs, error: (e as Error).message.split('\n')[0] });
    }
    const left = windowMs - (Date.now() - t0);
    if (left <= 0) return out;
    await sleep(Math.min(everyMs, left));
  }
}

/**
 * 'workload pods stay Ready': over every sample, no workload pod was not Ready, none was deleted or
 * replaced (a uid of the first look terminating or gone, or a new one), and the API answered every
 * look. Pods already terminating at the first look (the tail of a rollout) are left out.
 */
export function steadyPodsRow(samples: PodSample[], windowMs = PROOF_WINDOW_MS): Check {
  const check = `workload pods stay Ready for ${Math.round(windowMs / 1000)} s`;
  // one entry per pod and kind of trouble, at the first look that saw it
  const bad = new Map<string, string>();
  const add = (key: string, text: string) => void (bad.has(key) || bad.set(key, text));
  const name = (p: V1Pod) => `${p.metadata?.namespace}/${p.metadata?.name}`;
  const first = samples.find((s): s is { atMs: number; pods: V1Pod[] } => 'pods' in s);
  // a pod already terminating at the first look (the end of a rollout) is not part of the steady set
  const terminating = (p: V1Pod) => !!p.metadata?.deletionTimestamp;
  const firstUids = new Map((first?.pods ?? []).filter((p) => !terminating(p)).map((p) => [p.metadata?.uid ?? '', name(p)]));
  for (const s of samples) {
    const at = `+${Math.round(s.atMs / 1000)} s`;
    if ('error' in s) {
      add(`api${at}`, `API did not answer at ${at}: ${s.error}`);
      continue;
    }
    const live = s.pods.filter((p) => firstUids.has(p.metadata?.uid ?? '') || !terminating(p));
    for (const p of live) if (terminating(p)) add(`del:${p.metadata?.uid}`, `${name(p)} being deleted at ${at}`);
    for (const p of live) if (!podReady(p)) add(`nr:${name(p)}`, `${name(p)} not Ready at ${at}`);
    const uids = new Set(live.map((p) => p.metadata?.uid ?? ''));
    for (const [uid, n] of firstUids) if (!uids.has(uid)) add(`gone:${uid}`, `${n} gone by ${at}`);
    for (const p of live) if (!firstUids.has(p.metadata?.uid ?? '')) add(`new:${p.metadata?.uid}`, `${name(p)} new at ${at}`);
  }
  if (!first) return { check, ok: false, detail: [...bad.values()].join('; ') || 'no look at the pods' };
  return {
    check,
    ok: bad.size === 0,
    detail: bad.size
      ? [...bad.values()].slice(0, 8).join('; ') + (bad.size > 8 ? ` (+${bad.size - 8} more)` : '')
      : `${firstUids.size} pods, ${samples.length} looks over ${Math.round(samples.at(-1)!.atMs / 1000)} s`,
  };
}
