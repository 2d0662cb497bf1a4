/** `rejoin-workers`: the rolling worker rejoin alone (step 13), with a fresh 2-hour join token made on the first master (deleted in its clean-up). */
import { z } from 'zod';
import { countOrPercent, positiveCountOrPercent } from '../lib/core/options.js';
import { definePlaybook } from '../lib/core/types.js';
import { workersRejoinPhase } from './shared/workers-rejoin.js';

/** rejoin-workers' options (batching, unavailability, failure budget, Ready timeout). */
const options = z.object({
  batchSize: positiveCountOrPercent.default(1).describe('workers rejoined per batch (number or %)'),
  maxUnavailable: positiveCountOrPercent.optional().describe('workers of a batch worked on at once (number or %; default: the batch size)'),
  maxFailures: countOrPercent.default(0).describe('workers that may fail before the run stops (number or %)'),
  readyTimeout: z.number().int().positive().default(180).describe("seconds to wait for a batch's Nodes to be Ready"),
});

type Options = z.infer<typeof options>;

/** The playbook: one rolling phase; the token is minted on the first master when the first worker needs it. */
export default definePlaybook<Options>({
  name: 'rejoin-workers',
  description: 'Rejoin the selected workers (--limit) batch by batch with a fresh token; healthy workers are skipped',
  destructive: true,
  subset: { roles: ['worker'], preselect: 'not-ready' },
  options,
  phases: [workersRejoinPhase<Options>('workers/rejoin', { closeApi: true })],
});
