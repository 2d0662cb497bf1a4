/** prune's options: what to remove (--keep, --older-than, --runs), where (--where), and unfinished runs. */
import { z } from 'zod';
import { RUN_ID, parseRetention } from './retention.js';

/** prune's options; at least one of keep, olderThan, runs. */
export const pruneOptions = z
  .object({
    keep: z.number().int().min(0).optional().describe('keep the N newest runs (on each host, and of this cluster on this machine); older ones are removed'),
    olderThan: z
      .string()
      .refine((s) => parseRetention(s) !== undefined, 'must be an age like 30d, 2w, 12h or 90m')
      .optional()
      .describe('remove only runs older than this (30d, 2w, 12h); with --keep, only runs beyond the N newest AND older'),
    runs: z
      .string()
      .refine((s) => s.split(',').every((id) => RUN_ID.test(id.trim())), 'must be run ids (20261129-052000-a1b2), comma-separated')
      .optional()
      .describe('remove these runs (comma-separated run ids), whatever --keep and --older-than say'),
    includeUnfinished: z
      .boolean()
      .default(false)
      .describe('also remove runs this machine knows as unfinished (failed, interrupted, running): their backups may be the way back'),
    where: z
      .enum(['both', 'hosts', 'laptop'], 'must be both, hosts or laptop')
      .default('both')
      .describe('prune the hosts (/var/backups/kubemend), this machine (run folders), or both'),
  })
  .superRefine((o, ctx) => {
    if (o.keep === undefined && o.olderThan === undefined && o.runs === undefined) {
      ctx.addIssue({ code: 'custom', path: ['keep'], message: 'say what to remove: --keep N, --older-than AGE or --runs RUN_ID[,RUN_ID]' });
    }
  });

/** Validated prune options. */
export type PruneOptions = z.infer<typeof pruneOptions>;

/** The rule of validated options. */
export function ruleOf(o: PruneOptions): { keep?: number; olderThanMs?: number; runs?: string[]; includeUnfinished: boolean } {
  return {
    ...(o.keep !== undefined ? { keep: o.keep } : {}),
    ...(o.olderThan !== undefined ? { olderThanMs: parseRetention(o.olderThan)! } : {}),
    ...(o.runs !== undefined ? { runs: o.runs.split(',').map((s) => s.trim()) } : {}),
    includeUnfinished: o.includeUnfinished,
  };
}
