/** Before the workers are touched: record every workload pod (uid, start times) so the proof can show which ones the repair restarted. */
import type { ClusterPhase } from '../../lib/core/types.js';
import { kubeFor } from '../../lib/kube/session.js';
import type { RecoverOptions } from './common.js';
import { recordPodsBefore } from './pods.js';

/** Read-only: the record is kept in the run folder (a resumed run keeps the first one). */
export const podsBeforePhase: ClusterPhase<RecoverOptions> = {
  id: 'api/pods-before',
  title: 'Record the workload pods and their start times before the workers are touched (read-only)',
  scope: 'cluster',
  async run(ctx) {
    await ctx.wet('record workload pods (uid, container start times) to prove later which ones were restarted', async () => {
      const marks = recordPodsBefore(ctx, await (await kubeFor(ctx)).pods());
      ctx.log(`recorded ${marks.length} workload pods`);
    }, undefined);
  },
};
