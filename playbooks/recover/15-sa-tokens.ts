/** Step 15: blank the token of every service-account-token Secret (merge patch, never delete); wait for the controller-manager to refill them. */
import type { ClusterPhase } from '../../lib/core/types.js';
import { type RecoverOptions, rebuildsAll } from './common.js';
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
    await ctx.wet(`blank the token of every ${SA_TOKEN_TYPE} Secret ({"data":{"token":null}}), wait for the refill`, async () => {
      const kube = await kubeFor(ctx);
      const secrets = await kube.secretsOfType(SA_TOKEN_TYPE);
      const blanked: string[] = [];
      for (const s of secrets) {
        const ns = s.metadata!.namespace!;
        const name = s.metadata!.name!;
        await kube.mergePatchSecret(ns, name, { data: { token: null } });
        blanked.push(`${ns}/${name}`);
      }
      ctx.log(`blanked the token of ${blanked.length} secrets`);
      const deadline = Date.now() + 120_000;
      let waiting = blanked;
      while (waiting.length && Date.now() < deadline && !ctx.signal.aborted) {
        const still: string[] = [];
        for (const id of waiting) {
          const [ns, name] = id.split('/');
          const s = await kube.secret(ns, name);
          if (s && !s.data?.token) still.push(id);
        }
        waiting = still;
        if (waiting.length) await new Promise((r) => setTimeout(r, 1000));
      }
      if (waiting.length) throw new Error(`controller-manager did not refill ${waiting.length} token secrets within 120s: ${waiting.slice(0, 5).join(', ')}`);
    }, undefined);
  },
};
