/** recover's own: its options, the ClusterConfiguration and the repair path step 0 chose, and the selectors that follow from them. */
import { z } from 'zod';
import { backupPassphraseOption } from '../../lib/backup/encrypt.js';
import { countOrPercent, positiveCountOrPercent } from '../../lib/core/options.js';
import type { Host } from '../../lib/inventory/types.js';
import type { PhaseContext } from '../../lib/core/types.js';
import { sharedKey } from '../../lib/core/shared.js';
import type { ClusterDocs } from './config.js';
import { isKubespray } from '../shared/layout.js';

/** recover's options. */
export const recoverOptions = z
  .object({
    replaceCa: z.boolean().default(false).describe('replace the CA of a working cluster (compromised CA): old PKI moved aside, full rebuild'),
    batchSize: positiveCountOrPercent.default(1).describe('workers rejoined per batch (number or %)'),
    maxUnavailable: positiveCountOrPercent.optional().describe('workers of a batch worked on at once (number or %; default: the batch size)'),
    maxFailures: countOrPercent.default(0).describe('workers that may fail before the run stops (number or %)'),
    waitSeconds: z.number().int().min(10).default(300).describe('how long to wait for etcd, the apiserver and nodes at each step'),
    proofSeconds: z.number().int().min(0).max(3600).default(30).describe('how long the proof of health watches the workload pods stay Ready (0: one look)'),
    backupPassphraseFile: backupPassphraseOption,
    encryptionConfig: z
      .string()
      .optional()
      .describe("the apiserver's EncryptionConfiguration file, to read ConfigMaps encrypted at rest when step 0 reads etcd's data (aescbc, aesgcm keys)"),
    purgeOldPki: z
      .boolean()
      .default(false)
      .describe(
        'with --replace-ca: once the proof of health passed, remove the old, compromised PKI this run kept (host archives, the moved-aside /etc/kubernetes, the copies pulled here)',
      ),
  })
  .superRefine((o, ctx) => {
    if (o.purgeOldPki && !o.replaceCa)
      ctx.addIssue({ code: 'custom', path: ['purgeOldPki'], message: 'only with --replace-ca (other paths keep the old PKI: it is the current one)' });
  });

/** Validated recover options. */
export type RecoverOptions = z.infer<typeof recoverOptions>;

/** The four repair paths. */
export type RecoverPath = 'full-rebuild' | 'rebuild-one' | 'replace-ca' | 'nothing-to-do';

/** The path decision with what it rests on. */
export interface PathDecision {
  path: RecoverPath;
  /** Masters that lost their PKI (rebuild-one) or every master (full-rebuild, replace-ca). */
  lost: string[];
  /** A master that still holds the CA (rebuild-one: the source of the copies). */
  source?: string;
  /** Workers whose CA differs from the masters' (need a rejoin). */
  staleWorkers: string[];
  /** Fingerprint and PEM of the CA before the run (replace-ca: must be gone afterwards). */
  oldCa?: { fingerprint: string; pem: string };
  reason: string;
}

/** The path facts/path chose for this run. */
export const PATH_DECISION = sharedKey<PathDecision>('recover:path');

/** The ClusterConfiguration facts/config found for this run. */
export const RECOVER_CONFIG = sharedKey<ClusterDocs>('recover:config');

/** The ClusterConfiguration found by facts/config (throws when that phase has not run). */
export function recoverConfig(ctx: PhaseContext): ClusterDocs {
  const c = ctx.shared.get(RECOVER_CONFIG);
  if (!c) throw new Error('the ClusterConfiguration is unknown: phase facts/config must run first (it reruns on resume)');
  return c;
}

/** The path chosen by facts/path (throws when that phase has not run). */
export function decision(ctx: PhaseContext): PathDecision {
  const d = ctx.shared.get(PATH_DECISION);
  if (!d) throw new Error('the repair path is unknown: phase facts/path must run first (it reruns on resume)');
  return d;
}

/** The masters the chosen path rebuilds (every master on a full rebuild or CA replacement, the lost ones on rebuild-one), among the hosts still in the run. */
export const lostMasters = (ctx: PhaseContext): readonly Host[] => ctx.hosts.filter((h) => h.role === 'master' && decision(ctx).lost.includes(h.name));

/** True when the chosen path is one of `paths`. */
export const onPath =
  (...paths: RecoverPath[]) =>
  (ctx: PhaseContext): boolean =>
    paths.includes(decision(ctx).path);

/** Any path that repairs something (every path but nothing-to-do). */
export const repairs = (ctx: PhaseContext): boolean => decision(ctx).path !== 'nothing-to-do';

/** Full rebuild or CA replacement: every master rebuilt from a new CA. */
export const rebuildsAll = onPath('full-rebuild', 'replace-ca');

/**
 * Steps 2-4a (etcd CA, its copy, etcd certificates and static pods): on a full rebuild of kubeadm's
 * layout only. On kubespray's, etcd is its service with its own CA: kubeadm makes none of them with
 * etcd.external (cmd/kubeadm/app/cmd/phases/init/certs.go: "External etcd mode: Skipping ...";
 * phases/init/etcd.go runEtcdPhaseLocal writes no manifest), and recover keeps it as it is.
 */
export const rebuildsKubeadmEtcd = (ctx: PhaseContext): boolean => rebuildsAll(ctx) && !isKubespray(ctx);
