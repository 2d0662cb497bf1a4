/**
 * The `addon` phase: kube-proxy and CoreDNS with service accounts that use LEGACY token Secrets
 * (`kubernetes.io/service-account-token`), so a lost sa.key breaks them as it breaks real add-ons.
 */
import type { Api } from './api.js';
import { type Config, controlPlaneURL } from './config.js';
import { say } from './out.js';

const NS = '/api/v1/namespaces/kube-system';

async function serviceAccountWithLegacyToken(api: Api, name: string): Promise<string> {
  const secretName = `${name}-token`;
  await api.createIfMissing(`${NS}/serviceaccounts`, {
    apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'kube-system' }, secrets: [{ name: secretName }],
  });
  await api.createIfMissing(`${NS}/secrets`, {
    apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token',
    metadata: { name: secretName, namespace: 'kube-system', annotations: { 'kubernetes.io/service-account.name': name } },
  });
  return secretName;
}

function podSpec(c: Config, app: string, sa: string, secret: string, nodeName?: string) {
  return {
    ...(nodeName ? { nodeName } : {}),
    serviceAccountName: sa,
    priorityClassName: 'system-node-critical',
    tolerations: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }, { operator: 'Exists', key: 'CriticalAddonsOnly' }],
    containers: [{
      name: app,
      image: app === 'coredns' ? `${c.cluster.imageRepository}/coredns/coredns:v1.11.3` : `${c.cluster.imageRepository}/kube-proxy:${c.cluster.kubernetesVersion}`,
      volumeMounts: [{ name: 'sa-token', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true }],
    }],
    volumes: [{ name: 'sa-token', secret: { secretName: secret } }],
  };
}

/** Run `addon coredns`: ConfigMap, service account + legacy token, Deployment, and two pods (the lab has no Deployment controller). */
export async function runCoreDNS(api: Api, c: Config): Promise<void> {
  const secret = await serviceAccountWithLegacyToken(api, 'coredns');
  await api.createIfMissing(`${NS}/configmaps`, {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns', namespace: 'kube-system' },
    data: { Corefile: `.:53 {\n    errors\n    health\n    kubernetes ${c.cluster.networking.dnsDomain} in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n    }\n    forward . /etc/resolv.conf\n    cache 30\n    loop\n    reload\n}\n` },
  });
  const labels = { 'k8s-app': 'kube-dns' };
  await api.createIfMissing('/apis/apps/v1/namespaces/kube-system/deployments', {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'coredns', namespace: 'kube-system', labels },
    spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec(c, 'coredns', 'coredns', secret) } },
  });
  for (const suffix of ['1', '2']) {
    await api.createIfMissing(`${NS}/pods`, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: `coredns-${suffix}`, namespace: 'kube-system', labels },
      spec: podSpec(c, 'coredns', 'coredns', secret, c.nodeName),
    });
  }
  say('[addons] Applied essential addon: CoreDNS');
}

/** Run `addon kube-proxy`: ConfigMap, service account + legacy token, DaemonSet (the controller-manager makes its pods). */
export async function runKubeProxy(api: Api, c: Config): Promise<void> {
  const secret = await serviceAccountWithLegacyToken(api, 'kube-proxy');
  await api.createIfMissing(`${NS}/configmaps`, {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-proxy', namespace: 'kube-system', labels: { app: 'kube-proxy' } },
    data: {
      'config.conf': `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclusterCIDR: ${c.cluster.networking.podSubnet ?? ''}\nmode: ""\n`,
      'kubeconfig.conf': `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt\n    server: ${controlPlaneURL(c)}\n  name: default\n`,
    },
  });
  const labels = { 'k8s-app': 'kube-proxy' };
  await api.createIfMissing('/apis/apps/v1/namespaces/kube-system/daemonsets', {
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'kube-proxy', namespace: 'kube-system', labels },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec(c, 'kube-proxy', 'kube-proxy', secret) } },
  });
  say('[addons] Applied essential addon: kube-proxy');
}
