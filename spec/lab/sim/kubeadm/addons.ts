/**
 * The `addon` phase as kubeadm 1.32 applies it (cmd/kubeadm/app/phases/addons/{dns,proxy}): the
 * CoreDNS Deployment (2 replicas, RollingUpdate maxUnavailable 1) and the kube-proxy DaemonSet
 * (tolerating every taint), each with its ServiceAccount and no token Secret: since 1.24 their
 * pods get projected tokens and `kube-root-ca.crt` from the ServiceAccount admission plugin, so a
 * new CA or sa.key breaks them as it breaks real add-ons, until they are restarted.
 */
import type { Api } from './api.js';
import { type Config, controlPlaneURL } from './config.js';
import { say } from './out.js';

const NS = '/api/v1/namespaces/kube-system';

async function serviceAccount(api: Api, name: string): Promise<void> {
  await api.createIfMissing(`${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'kube-system' } });
}

/** Run `addon coredns`: ConfigMap, service account, Deployment (the controller-manager makes its pods). */
export async function runCoreDNS(api: Api, c: Config): Promise<void> {
  await serviceAccount(api, 'coredns');
  await api.createIfMissing(`${NS}/configmaps`, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'coredns', namespace: 'kube-system' },
    data: {
      Corefile: `.:53 {\n    errors\n    health\n    kubernetes ${c.cluster.networking.dnsDomain} in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n    }\n    forward . /etc/resolv.conf\n    cache 30\n    loop\n    reload\n}\n`,
    },
  });
  const labels = { 'k8s-app': 'kube-dns' };
  await api.createIfMissing('/apis/apps/v1/namespaces/kube-system/deployments', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'coredns', namespace: 'kube-system', labels },
    spec: {
      replicas: 2,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          priorityClassName: 'system-cluster-critical',
          serviceAccountName: 'coredns',
          tolerations: [
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
            { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
          ],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          containers: [
            {
              name: 'coredns',
              image: `${c.cluster.imageRepository}/coredns/coredns:v1.11.3`,
              args: ['-conf', '/etc/coredns/Corefile'],
              volumeMounts: [{ name: 'config-volume', mountPath: '/etc/coredns', readOnly: true }],
            },
          ],
          dnsPolicy: 'Default',
          volumes: [{ name: 'config-volume', configMap: { name: 'coredns', items: [{ key: 'Corefile', path: 'Corefile' }] } }],
        },
      },
    },
  });
  say('[addons] Applied essential addon: CoreDNS');
}

/** Run `addon kube-proxy`: ConfigMap (its kubeconfig reads the projected token and CA), service account, DaemonSet. */
export async function runKubeProxy(api: Api, c: Config): Promise<void> {
  await serviceAccount(api, 'kube-proxy');
  await api.createIfMissing(`${NS}/configmaps`, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'kube-proxy', namespace: 'kube-system', labels: { app: 'kube-proxy' } },
    data: {
      'config.conf': `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclientConnection:\n  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\nclusterCIDR: ${c.cluster.networking.podSubnet ?? ''}\nmode: ""\n`,
      'kubeconfig.conf': `apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt\n    server: ${controlPlaneURL(c)}\n  name: default\ncontexts:\n- context:\n    cluster: default\n    namespace: default\n    user: default\n  name: default\ncurrent-context: default\nusers:\n- name: default\n  user:\n    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token\n`,
    },
  });
  const labels = { 'k8s-app': 'kube-proxy' };
  await api.createIfMissing('/apis/apps/v1/namespaces/kube-system/daemonsets', {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'kube-proxy', namespace: 'kube-system', labels },
    spec: {
      selector: { matchLabels: labels },
      updateStrategy: { type: 'RollingUpdate' },
      template: {
        metadata: { labels },
        spec: {
          priorityClassName: 'system-node-critical',
          containers: [
            {
              name: 'kube-proxy',
              image: `${c.cluster.imageRepository}/kube-proxy:${c.cluster.kubernetesVersion}`,
              command: ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf', '--hostname-override=$(NODE_NAME)'],
              env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
              securityContext: { privileged: true },
              volumeMounts: [
                { mountPath: '/var/lib/kube-proxy', name: 'kube-proxy' },
                { mountPath: '/run/xtables.lock', name: 'xtables-lock' },
                { mountPath: '/lib/modules', name: 'lib-modules', readOnly: true },
              ],
            },
          ],
          hostNetwork: true,
          serviceAccountName: 'kube-proxy',
          volumes: [
            { name: 'kube-proxy', configMap: { name: 'kube-proxy' } },
            { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } },
            { name: 'lib-modules', hostPath: { path: '/lib/modules' } },
          ],
          tolerations: [{ operator: 'Exists' }],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
        },
      },
    },
  });
  say('[addons] Applied essential addon: kube-proxy');
}
