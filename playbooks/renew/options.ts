/** renew-certs' options and the run state its phases share (the certificates before, the mode). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { PhaseContext } from '../../lib/core/types.js';
import { writePrivate } from '../../lib/backup/archive.js';
import { backupPassphraseOption } from '../../lib/backup/encrypt.js';
import { runDirOf } from '../shared/run-files.js';
import type { CertInfo } from './certs.js';
import { sharedKey } from '../../lib/core/shared.js';

/** renew-certs' options. */
export const renewOptions = z.object({
  waitSeconds: z.number().int().min(10).default(300).describe('how long to wait for a static pod to stop or start, and for etcd, the apiserver and Nodes'),
  backupPassphraseFile: backupPassphraseOption,
});

/** Validated renew-certs options. */
export type RenewOptions = z.infer<typeof renewOptions>;

/**
 * How the masters are renewed: `rolling` (cluster healthy: one master at a time, each gated on
 * etcd and its apiserver healthy) or `all` (certificates already expired or etcd/API down: there
 * is no availability to keep, and etcd cannot get quorum until every master has valid certs).
 */
export type RenewMode = 'rolling' | 'all';

/** What renew/facts found, kept for the later phases. */
export interface RenewState {
  mode: RenewMode;
  reason: string;
  /** etcd members healthy at the start (what each rolling gate waits for). */
  etcdMembers: number;
  /** Per master: its certificates before the renewal. */
  before: Record<string, CertInfo[]>;
}

const KEY = sharedKey<RenewState>('renew:state');
const FILE = 'renew-before.json';

/** The state renew/facts recorded (throws when it has not run). */
export function renewState(ctx: PhaseContext): RenewState {
  const s = ctx.shared.get(KEY);
  if (!s) throw new Error('renew-certs: phase renew/facts must run first (it reruns on resume)');
  return s;
}

/**
 * Keep `s` for this run. In a real run the certificates seen before are also written to the run's
 * folder, and a resumed run keeps the ones its first attempt saw (so its final check still
 * compares with the certificates before any renewal).
 */
export function keepState(ctx: PhaseContext, s: RenewState): RenewState {
  const dir = runDirOf(ctx);
  if (dir) {
    const file = join(dir, FILE);
    if (existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, CertInfo[]>;
      s = { ...s, before: { ...s.before, ...saved } };
    }
    writePrivate(file, JSON.stringify(s.before, null, 2) + '\n');
  }
  ctx.shared.set(KEY, s);
  return s;
}
