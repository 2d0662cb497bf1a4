/**
 * root-ca-cert-publisher: ConfigMap `kube-root-ca.crt` (key `ca.crt`) in every namespace holds
 * the `--root-ca-file` content read at start.
 */
import type { Context, Controller } from '../context.js';

const NAME = 'kube-root-ca.crt';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

/** Make the root-ca-cert-publisher controller (runs only with a root CA). */
export function rootCAPublisher(ctx: Context): Controller {
  const log = ctx.log.child('root-ca-cert-publisher');
  return {
    name: 'root-ca-certificate-publisher-controller',
    watches: ['namespaces', 'configmaps'],
    periodMs: ctx.opts.syncPeriodMs,
    async sync() {
      const ca = ctx.rootCA;
      if (!ca) return;
      const existing = new Map(
        (await ctx.api.list(`configmaps ${NAME}`, `/api/v1/configmaps?fieldSelector=${encodeURIComponent(`metadata.name=${NAME}`)}`))
          .filter((c) => c.metadata.name === NAME)
          .map((c) => [c.metadata.namespace, c]),
      );
      for (const ns of await ctx.api.list('namespaces', '/api/v1/namespaces')) {
        if (ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') continue;
        const n = ns.metadata.name;
        const path = `/api/v1/namespaces/${n}/configmaps/${NAME}`;
        const cm = existing.get(n);
        if (!cm) {
          await ctx.api.create(`configmap ${n}/${NAME}`, `/api/v1/namespaces/${n}/configmaps`, {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: NAME, namespace: n, annotations: { 'kubernetes.io/description': DESCRIPTION } },
            data: { 'ca.crt': ca },
          });
          log.info(`published ${n}/${NAME}`);
        } else if (cm.data?.['ca.crt'] !== ca || Object.keys(cm.data ?? {}).length !== 1) {
          await ctx.api.update(`configmap ${n}/${NAME}`, path, { ...cm, data: { 'ca.crt': ca } });
          log.info(`updated ${n}/${NAME}`);
        }
      }
    },
  };
}
