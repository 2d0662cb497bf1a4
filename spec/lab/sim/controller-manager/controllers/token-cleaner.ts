/** tokencleaner: deletes bootstrap token secrets whose expiration has passed. */
import type { Context, Controller } from '../context.js';
import { BOOTSTRAP_TOKEN_TYPE, secretExpired } from './bootstrap-tokens.js';

/** Make the tokencleaner controller. */
export function tokenCleaner(ctx: Context): Controller {
  const log = ctx.log.child('tokencleaner');
  return {
    name: 'token-cleaner-controller',
    periodMs: ctx.opts.syncPeriodMs,
    async sync() {
      for (const s of await ctx.api.list('secrets in kube-system', '/api/v1/namespaces/kube-system/secrets')) {
        if (s.type !== BOOTSTRAP_TOKEN_TYPE || !secretExpired(s)) continue;
        log.info(`deleting expired secret kube-system/${s.metadata.name}`);
        await ctx.api.delete(`secret kube-system/${s.metadata.name}`, `/api/v1/namespaces/kube-system/secrets/${s.metadata.name}`);
      }
    },
  };
}
