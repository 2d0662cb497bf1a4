/**
 * The `bootstrap-token` phase: bootstrap tokens, the RBAC that lets tokens join, and
 * `kube-public/cluster-info` holding the cluster CA (the bootstrap signer adds JWS signatures).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as pki from '../pki.js';
import { paths } from '../paths.js';
import { join } from 'node:path';
import YAML from 'yaml';
import type { Api } from './api.js';
import { type Config, controlPlaneURL } from './config.js';
import { say } from './out.js';
import { createToken, generateToken } from './tokens.js';

const RBAC = '/apis/rbac.authorization.k8s.io/v1';

function crb(name: string, role: string, group: string) {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
  };
}

/** The cluster-info kubeconfig text: only the cluster (server and CA), as kubeadm writes it. */
export function clusterInfoKubeconfig(server: string, caPem: string): string {
  return YAML.stringify({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': Buffer.from(caPem).toString('base64'), server }, name: '' }],
    contexts: null,
    'current-context': '',
    kind: 'Config',
    preferences: {},
    users: null,
  });
}

/** Create the init-time bootstrap tokens (generating one when none is set); returns them. */
export async function createInitTokens(api: Api, c: Config, print: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const t of c.bootstrapTokens) {
    if (!t.token) t.token = generateToken();
    if (print) say(`[bootstrap-token] Using token: ${t.token}`);
    await createToken(api, t).catch((e) => {
      throw new Error(`error updating or creating token: ${e.message}`);
    });
    out.push(t.token);
  }
  return out;
}

/** Run `bootstrap-token`: tokens, RBAC, cluster-info. */
export async function runBootstrapToken(api: Api, c: Config, print = true): Promise<string[]> {
  const tokens = await createInitTokens(api, c, print);
  say('[bootstrap-token] Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles');
  await api.createIfMissing(`${RBAC}/clusterroles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'kubeadm:get-nodes' },
    rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }],
  });
  await api.createIfMissing(`${RBAC}/clusterrolebindings`, crb('kubeadm:get-nodes', 'kubeadm:get-nodes', 'system:bootstrappers:kubeadm:default-node-token'));
  say('[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to get nodes');
  await api.createIfMissing(
    `${RBAC}/clusterrolebindings`,
    crb('kubeadm:kubelet-bootstrap', 'system:node-bootstrapper', 'system:bootstrappers:kubeadm:default-node-token'),
  );
  say('[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to post CSRs in order for nodes to get long term certificate credentials');
  await api.createIfMissing(
    `${RBAC}/clusterrolebindings`,
    crb(
      'kubeadm:node-autoapprove-bootstrap',
      'system:certificates.k8s.io:certificatesigningrequests:nodeclient',
      'system:bootstrappers:kubeadm:default-node-token',
    ),
  );
  say('[bootstrap-token] Configured RBAC rules to allow the csrapprover controller automatically approve CSRs from a Node Bootstrap Token');
  await api.createIfMissing(
    `${RBAC}/clusterrolebindings`,
    crb('kubeadm:node-autoapprove-certificate-rotation', 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', 'system:nodes'),
  );
  say('[bootstrap-token] Configured RBAC rules to allow certificate rotation for all node client certificates in the cluster');
  say('[bootstrap-token] Creating the "cluster-info" ConfigMap in the "kube-public" namespace');
  const caPem = readFileSync(join(c.certDir, 'ca.crt'), 'utf8');
  // like kubeadm, the server comes from admin.conf (the kubeconfig the phase runs with)
  const server = existsSync(paths.adminConf) ? pki.parseKubeconfig(readFileSync(paths.adminConf, 'utf8')).server || controlPlaneURL(c) : controlPlaneURL(c);
  await api.createOrUpdate('/api/v1/namespaces/kube-public/configmaps', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cluster-info', namespace: 'kube-public' },
    data: { kubeconfig: clusterInfoKubeconfig(server, caPem) },
  });
  await api.createIfMissing(`${RBAC}/namespaces/kube-public/roles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'kubeadm:bootstrap-signer-clusterinfo', namespace: 'kube-public' },
    rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['cluster-info'], verbs: ['get'] }],
  });
  await api.createIfMissing(`${RBAC}/namespaces/kube-public/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'kubeadm:bootstrap-signer-clusterinfo', namespace: 'kube-public' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kubeadm:bootstrap-signer-clusterinfo' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:anonymous' }],
  });
  return tokens;
}
