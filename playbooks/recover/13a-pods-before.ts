/**
 * Record every workload pod (uid, start times) so the proof can show which ones the repair
 * restarted, and that none was lost: as soon as the new apiserver answers on a full rebuild (step 6,
 * before any master or worker comes back, so before the node lifecycle controller could evict
 * anything), else before the workers are touched. The first record of a run is the one kept.
 */
import type { ClusterPhase } from '../../lib/core/types.js';
import { kubeFor } from '../../lib/kube/session.js';
import { type RecoverOptions, rebuildsAll, repairs } from './common.js';
import { recordPodsBefore } from './pods.js';

/** Read-only: the record is kept in the run folder (a resumed run keeps the first one); on any path that repairs something. */
export const podsBeforePhase: ClusterPhase<RecoverOptions> = {
  id: 'api/pods-before',
  title: 'Record the workload pods and their start times before the workers are touched (read-only)',
  scope: 'cluster',
  shouldRun: repairs,
  async run(ctx) {
    await ctx.wet(
      'record workload pods (uid, container start times) to prove later which ones were restarted',
      async () => {
        const marks = recordPodsBefore(ctx, await (await kubeFor(ctx)).pods());
        ctx.log(`recorded ${marks.length} workload pods`);
      },
      undefined,
    );
  },
};

/** On a full rebuild or CA replacement: the record made right after step 6 (the new apiserver answers, every node is still NotReady). */
export const podsBeforeEarlyPhase: ClusterPhase<RecoverOptions> = {
  ...podsBeforePhase,
  id: 'api/pods-before-early',
  title: '6. Record the workload pods and their start times as soon as the new apiserver answers, before any node is back (read-only)',
  shouldRun: rebuildsAll,
};
