/** Step 13 of recover: the workers rejoined, rolling (the phase is playbooks/shared/workers-rejoin.ts, rejoin-workers' too). */
import type { HostPhase } from '../../lib/core/types.js';
import { type RecoverOptions, repairs } from './common.js';
import { workersRejoinPhase } from '../shared/workers-rejoin.js';

/** Step 13 of recover, on any path that repairs something (eviction put back by phase eviction/restore, not here). */
export const workersRejoin: HostPhase<RecoverOptions> = {
  ...workersRejoinPhase<RecoverOptions>('workers/rejoin', { restoreEviction: false }),
  shouldRun: repairs,
};
