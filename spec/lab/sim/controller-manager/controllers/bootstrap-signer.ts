/**
 * bootstrapsigner: keeps `kube-public/cluster-info` signed for token discovery. For each valid,
 * unexpired bootstrap token with usage-bootstrap-signing, `data["jws-kubeconfig-<id>"]` is the
 * detached JWS of `data.kubeconfig` keyed by the token secret; signatures of gone tokens are removed.
 */
import type { KObject } from '../../client/api.js';
import type { Context, Controller } from '../context.js';
import { detachedJws } from '../jws.js';
import { BOOTSTRAP_TOKEN_TYPE, isExpired, parseBootstrapToken } from './bootstrap-tokens.js';

const CM = '/api/v1/namespaces/kube-public/configmaps/cluster-info';
const CLUSTER_INFO_LIST = '/api/v1/namespaces/kube-public/configmaps?fieldSelector=metadata.name%3Dcluster-info';
const PREFIX = 'jws-kubeconfig-';

/** The data cluster-info should hold given the bootstrap token secrets. */
export function signedData(data: Record<string, string>, secrets: KObject[], now = new Date()): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) if (!k.startsWith(PREFIX)) out[k] = v;
  const content = data.kubeconfig;
  if (content === undefined) return data;
  for (const s of secrets) {
    const t = parseBootstrapToken(s);
    if (!t || isExpired(t, now) || !t.usages.has('signing')) continue;
    out[PREFIX + t.id] = detachedJws(content, t.id, t.secret);
  }
  return out;
}

function same(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** Make the bootstrapsigner controller. */
export function bootstrapSigner(ctx: Context): Controller {
  const log = ctx.log.child('bootstrapsigner');
  return {
    name: 'bootstrap-signer-controller',
    watches: ['secrets', 'configmaps'],
    periodMs: ctx.opts.syncPeriodMs,
    async sync() {
      // from a watch-fed list of that one ConfigMap, as the real signer's ConfigMap lister (bootstrapsigner.go)
      const cm = (await ctx.api.list('configmap kube-public/cluster-info', CLUSTER_INFO_LIST))[0];
      if (!cm) return;
      const secrets = (await ctx.api.list('secrets in kube-system', '/api/v1/namespaces/kube-system/secrets')).filter((s) => s.type === BOOTSTRAP_TOKEN_TYPE);
      const data = cm.data ?? {};
      const next = signedData(data, secrets);
      if (same(data, next)) return;
      await ctx.api.update('configmap kube-public/cluster-info', CM, { ...cm, data: next });
      const ids = Object.keys(next)
        .filter((k) => k.startsWith(PREFIX))
        .map((k) => k.slice(PREFIX.length));
      log.info(`updated cluster-info signatures for tokens [${ids.join(' ')}]`);
    },
  };
}
