/**
 * serviceaccount-token (the legacy TokensController): every `kubernetes.io/service-account-token`
 * secret gets a JWT signed with the sa.key read at start when its `token` is empty or absent,
 * `ca.crt` = the root CA read at start when it differs, and `namespace`. A secret whose service
 * account is gone (or has another uid) is deleted, as the real controller does.
 */
import type { KObject } from '../../client/api.js';
import type { Context, Controller } from '../context.js';
import { signJwt } from '../jws.js';
import type { KeyObject } from 'node:crypto';

/** The secret type this controller fills. */
export const SA_TOKEN_TYPE = 'kubernetes.io/service-account-token';
const NAME_KEY = 'kubernetes.io/service-account.name';
const UID_KEY = 'kubernetes.io/service-account.uid';

/** The claims of a legacy (secret-based) service-account token. */
export function legacyClaims(ns: string, secretName: string, saName: string, saUid: string): Record<string, string> {
  return {
    iss: 'kubernetes/serviceaccount',
    'kubernetes.io/serviceaccount/namespace': ns,
    'kubernetes.io/serviceaccount/secret.name': secretName,
    'kubernetes.io/serviceaccount/service-account.name': saName,
    'kubernetes.io/serviceaccount/service-account.uid': saUid,
    sub: `system:serviceaccount:${ns}:${saName}`,
  };
}

/** The secret as it should be (or undefined when nothing needs doing). */
export function filledSecret(secret: KObject, sa: KObject, key: KeyObject, rootCA?: string): KObject | undefined {
  const data: Record<string, string> = { ...(secret.data ?? {}) };
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const ns = secret.metadata.namespace!;
  const needsCA = !!rootCA && data['ca.crt'] !== b64(rootCA);
  const needsNs = !data.namespace;
  const needsToken = !data.token;
  if (!needsCA && !needsNs && !needsToken) return undefined;
  if (needsCA) data['ca.crt'] = b64(rootCA!);
  if (needsNs) data.namespace = b64(ns);
  if (needsToken) data.token = b64(signJwt(legacyClaims(ns, secret.metadata.name, sa.metadata.name, sa.metadata.uid ?? ''), key));
  const annotations = { ...(secret.metadata.annotations ?? {}), [NAME_KEY]: sa.metadata.name, [UID_KEY]: sa.metadata.uid ?? '' };
  return { ...secret, metadata: { ...secret.metadata, annotations }, data };
}

/** Make the serviceaccount-token controller (runs only with a service-account private key). */
export function serviceAccountToken(ctx: Context): Controller {
  const log = ctx.log.child('serviceaccount-token');
  return {
    name: 'serviceaccount-token-controller',
    watches: ['serviceaccounts', 'secrets'],
    periodMs: ctx.opts.syncPeriodMs,
    async sync() {
      if (!ctx.saKey) return;
      const secrets = (await ctx.api.list('secrets', '/api/v1/secrets')).filter((s) => s.type === SA_TOKEN_TYPE && !s.metadata.deletionTimestamp);
      if (!secrets.length) return;
      const accounts = new Map(
        (await ctx.api.list('serviceaccounts', '/api/v1/serviceaccounts')).map((a) => [`${a.metadata.namespace}/${a.metadata.name}`, a]),
      );
      for (const s of secrets) {
        const ns = s.metadata.namespace!;
        const saName = s.metadata.annotations?.[NAME_KEY] ?? '';
        const saUid = s.metadata.annotations?.[UID_KEY] ?? '';
        const path = `/api/v1/namespaces/${ns}/secrets/${s.metadata.name}`;
        let sa = accounts.get(`${ns}/${saName}`);
        // not in the list: look it up live before deleting anything, as the real controller does
        if (!sa && saName) sa = await ctx.api.get(`serviceaccount ${ns}/${saName}`, `/api/v1/namespaces/${ns}/serviceaccounts/${saName}`);
        if (!sa || (saUid && sa.metadata.uid !== saUid)) {
          log.info(`deleting secret ${ns}/${s.metadata.name}: its service account ${saName || '(none)'}${saUid ? ` uid ${saUid}` : ''} does not exist`);
          await ctx.api.delete(`secret ${ns}/${s.metadata.name}`, path);
          continue;
        }
        const next = filledSecret(s, sa, ctx.saKey, ctx.rootCA);
        if (!next) continue;
        await ctx.api.update(`secret ${ns}/${s.metadata.name}`, path, next);
        log.info(`filled secret ${ns}/${s.metadata.name} for service account ${saName}`);
      }
    },
  };
}
