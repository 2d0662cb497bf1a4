/** Step 15: blank the token of every service-account-token Secret (merge patch, never delete); wait for the controller-manager to refill them. */
import type { ClusterPhase } from '../../lib/core/types.js';
import { type RecoverOptions, rebuildsAll } from './common.js';
import { waitFor } from '../shared/wait-for.js';
import { kubeFor } from '../../lib/kube/session.js';

/** The legacy service-account token Secret type. */
export const SA_TOKEN_TYPE = 'kubernetes.io/service-account-token';

/** Step 15 of recover (cluster phase); only when the CA and sa.key were made anew (full-rebuild, replace-ca): on rebuild-one every token still holds. */
export const saTokens: ClusterPhase<RecoverOptions> = {
  id: 'api/sa-tokens',
  title: `Blank the token of every ${SA_TOKEN_TYPE} Secret and wait until the controller-manager refilled it`,
  scope: 'cluster',
  shouldRun: rebuildsAll,
  async run(ctx) {
    const blanked = await ctx.wet(`blank the token of every ${SA_TOKEN_TYPE} Secret ({"data":{"token":null}})`, async () => {
      const kube = await kubeFor(ctx);
      const done: string[] = [];
      for (const s of await kube.secretsOfType(SA_TOKEN_TYPE)) {
        const ns = s.metadata!.namespace!;
        const name = s.metadata!.name!;
        await kube.mergePatchSecret(ns, name, { data: { token: null } });
        done.push(`${ns}/${name}`);
      }
      ctx.log(`blanked the token of ${done.length} secrets`);
      return done;
    }, []);
    let waiting = blanked;
    // as long as the run's --wait-seconds (the controller-manager's token controller refills them
    // from its queue: seconds, or longer on a cluster with many namespaces)
    await waitFor(ctx, 'the controller-manager refilling every blanked token', async () => {
      const kube = await kubeFor(ctx);
      const still: string[] = [];
      for (const id of waiting) {
        const [ns, name] = id.split('/');
        const s = await kube.secret(ns, name);
        if (s && !s.data?.token) still.push(id);
      }
      waiting = still;
      return still.length === 0 || `${still.length} not refilled yet: ${still.slice(0, 5).join(', ')}${still.length > 5 ? ', ...' : ''}`;
    });
  },
};
