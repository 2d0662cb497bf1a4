/**
 * Authorization: a fixed rule set standing in for the Node authorizer and kubeadm's default RBAC
 * (cluster-admin for system:masters and kubeadm:cluster-admins, the system:kube-* components,
 * nodes, bootstrappers, service accounts, public info). Denials give the real 403 message.
 */
import { ApiError } from './status.js';
import type { UserInfo } from './user.js';

/** What a request does, as the apiserver's authorizer.Attributes. */
export interface Attributes {
  verb: string;
  /** Resource request fields (absent for non-resource paths). */
  resource?: string;
  subresource?: string;
  group?: string;
  namespace?: string;
  name?: string;
  /** Non-resource path (e.g. /healthz). */
  path?: string;
}

const PUBLIC_PATHS = ['/healthz', '/livez', '/readyz', '/version'];
const DISCOVERY_PATHS = ['/api', '/apis', '/openapi'];
const READ = ['get', 'list', 'watch'];
/** Service accounts the controller-manager uses with --use-service-account-credentials. */
const CONTROLLER_SA =
  /^system:serviceaccount:kube-system:(.+-controller|bootstrap-signer|token-cleaner|root-ca-cert-publisher|certificate-controller|generic-garbage-collector|pod-garbage-collector|daemon-set-controller|node-controller|service-account-controller)$/;

function pathMatches(path: string, prefixes: string[]): boolean {
  return prefixes.some((p) => path === p || path.startsWith(p + '/') || path.startsWith(p + '?'));
}

function isClusterInfo(a: Attributes): boolean {
  return a.resource === 'configmaps' && a.namespace === 'kube-public' && a.name === 'cluster-info' && a.verb === 'get';
}

/** True when `user` may do `a`. */
export function allowed(user: UserInfo, a: Attributes): boolean {
  const g = user.groups;
  if (g.includes('system:masters') || g.includes('kubeadm:cluster-admins')) return true;
  if (a.verb === 'impersonate') return false; // only admins (or stored RBAC) may impersonate
  if (a.path !== undefined) {
    if (pathMatches(a.path, PUBLIC_PATHS) && a.verb === 'get') return true;
    if (g.includes('system:authenticated') && pathMatches(a.path, DISCOVERY_PATHS) && a.verb === 'get') return true;
    return false;
  }
  if (isClusterInfo(a)) return true;
  if (!g.includes('system:authenticated')) return false;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource!;
  if (['selfsubjectreviews', 'selfsubjectaccessreviews', 'selfsubjectrulesreviews'].includes(res) && a.verb === 'create') return true;
  if (user.username === 'system:kube-controller-manager' || user.username === 'system:kube-scheduler') return true;
  if (CONTROLLER_SA.test(user.username)) return true;
  if (g.includes('system:nodes')) {
    if (['nodes', 'nodes/status'].includes(res)) return true;
    if (a.resource === 'leases' && a.namespace === 'kube-node-lease') return true;
    if (['pods', 'pods/status'].includes(res) && ['get', 'list', 'watch', 'create', 'delete', 'update', 'patch'].includes(a.verb)) return true;
    if (['secrets', 'configmaps', 'serviceaccounts', 'services', 'endpoints', 'namespaces'].includes(res) && READ.includes(a.verb)) return true;
    if (res === 'certificatesigningrequests' && ['create', ...READ].includes(a.verb)) return true;
    if (res === 'events' && ['create', 'patch', 'update'].includes(a.verb)) return true;
    // the Node authorizer lets a kubelet request tokens for the service accounts of its pods
    if (res === 'serviceaccounts/token' && a.verb === 'create') return true;
    return false;
  }
  if (g.includes('system:bootstrappers')) {
    if (res === 'certificatesigningrequests' && ['create', ...READ].includes(a.verb)) return true;
    // kubeadm's join RBAC: kubeadm:get-nodes, kubeadm:nodes-kubeadm-config, kubeadm:kubelet-config, kubeadm:kubeadm-certs
    if (a.verb !== 'get') return false;
    if (res === 'nodes') return true;
    if (res === 'configmaps' && a.namespace === 'kube-system' && ['kubeadm-config', 'kubelet-config'].includes(a.name ?? '')) return true;
    return res === 'secrets' && a.namespace === 'kube-system' && a.name === 'kubeadm-certs';
  }
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(user.username);
  if (sa) {
    return a.resource === 'pods' && !a.subresource && a.namespace === sa[1] && READ.includes(a.verb);
  }
  return false;
}

/** The 403 Forbidden error the real apiserver returns for a denied request. */
export function forbidden(user: UserInfo, a: Attributes): ApiError {
  const who = `User "${user.username}"`;
  if (a.path !== undefined) {
    return new ApiError(403, 'Forbidden', `forbidden: ${who} cannot ${a.verb} path "${a.path}"`, {});
  }
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource!;
  const qual = a.group ? `${a.resource}.${a.group}` : a.resource!;
  const subject = a.name ? `${qual} "${a.name}"` : qual;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  const details: Record<string, unknown> = { ...(a.name ? { name: a.name } : {}), ...(a.group ? { group: a.group } : {}), kind: a.resource };
  return new ApiError(403, 'Forbidden', `${subject} is forbidden: ${who} cannot ${a.verb} resource "${res}" in API group "${a.group ?? ''}" ${scope}`, details);
}
