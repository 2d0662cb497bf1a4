/**
 * serviceaccount-controller: every active namespace has the `default` ServiceAccount (the
 * ServiceAccount admission plugin refuses pods whose service account does not exist).
 */
import { ApiError } from '../../client/api.js';
import type { Context, Controller } from '../context.js';

/** Make the serviceaccount controller. */
export function serviceAccounts(ctx: Context): Controller {
  const log = ctx.log.child('serviceaccount');
  return {
    name: 'serviceaccount-controller',
    watches: ['namespaces', 'serviceaccounts'],
    periodMs: ctx.opts.syncPeriodMs,
    async sync() {
      const namespaces = await ctx.api.list('namespaces', '/api/v1/namespaces');
      const have = new Set(
        (await ctx.api.list('serviceaccounts default', `/api/v1/serviceaccounts?fieldSelector=${encodeURIComponent('metadata.name=default')}`))
          .filter((a) => a.metadata.name === 'default')
          .map((a) => a.metadata.namespace),
      );
      for (const ns of namespaces) {
        const n = ns.metadata.name;
        if (have.has(n) || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') continue;
        try {
          await ctx.api.create(`serviceaccount ${n}/default`, `/api/v1/namespaces/${n}/serviceaccounts`, {
            apiVersion: 'v1',
            kind: 'ServiceAccount',
            metadata: { name: 'default', namespace: n },
          });
          log.info(`created serviceaccount ${n}/default`);
        } catch (e) {
          if (!(e instanceof ApiError && e.status === 409)) throw e;
        }
      }
    },
  };
}
