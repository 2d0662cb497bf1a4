/**
 * The ServiceAccount admission plugin on pod create, as kube-apiserver 1.32 runs it
 * (plugin/pkg/admission/serviceaccount/admission.go): the service account (default `default`)
 * must exist, and unless automounting is off (pod first, then service account), every container
 * mounts a projected `kube-api-access-<5>` volume at /var/run/secrets/kubernetes.io/serviceaccount
 * holding a bound token (TokenVolumeSource: 3607 s), the `kube-root-ca.crt` ConfigMap's `ca.crt`
 * and the namespace. Mirror pods are left as they are.
 */
import { randomInt } from 'node:crypto';
import { findResource } from './resources.js';
import { ApiError } from './status.js';
import type { Obj, Store } from './store.js';

/** Where the token volume is mounted (DefaultAPITokenMountPath). */
export const API_TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The prefix of the injected volume's name (ServiceAccountVolumeName). */
export const API_ACCESS_VOLUME = 'kube-api-access';
/** The injected token's lifetime (pkg/serviceaccount WarnOnlyBoundTokenExpirationSeconds = 1 h 7 s). */
export const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 60 * 60 + 7;

const serviceaccounts = findResource('', 'v1', 'serviceaccounts')!;
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The projected source the plugin injects (TokenVolumeSource, defaultMode 0644). */
export function tokenVolumeSource(): Obj {
  return {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { expirationSeconds: WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  };
}

/** shouldAutomount: the pod's automountServiceAccountToken, else the service account's, else true. */
export function shouldAutomount(sa: Obj, pod: Obj): boolean {
  if (typeof pod.spec?.automountServiceAccountToken === 'boolean') return pod.spec.automountServiceAccountToken;
  if (typeof sa.automountServiceAccountToken === 'boolean') return sa.automountServiceAccountToken;
  return true;
}

/** mountServiceAccountToken: every container without a mount at the token path mounts the kube-api-access volume. */
export function mountServiceAccountToken(pod: Obj): void {
  const spec = pod.spec;
  const volumes: Obj[] = (spec.volumes = spec.volumes ?? []);
  let name = volumes.find((v) => typeof v.name === 'string' && v.name.startsWith(`${API_ACCESS_VOLUME}-`))?.name as string | undefined;
  const hasVolume = !!name;
  name ??= `${API_ACCESS_VOLUME}-${Array.from({ length: 5 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')}`;
  let needed = false;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if ((c.volumeMounts ?? []).some((m: Obj) => m.mountPath === API_TOKEN_MOUNT_PATH)) continue;
    c.volumeMounts = [...(c.volumeMounts ?? []), { name, readOnly: true, mountPath: API_TOKEN_MOUNT_PATH }];
    needed = true;
  }
  if (!hasVolume && needed) volumes.push({ name, projected: tokenVolumeSource() });
}

/** Admit a pod being created in `ns` (mutates it); throws the real 403 when its service account does not exist. */
export async function admitPod(store: Store, pod: Obj, ns: string): Promise<void> {
  if (pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) return;
  const spec = (pod.spec = pod.spec ?? {});
  if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
  spec.serviceAccount = spec.serviceAccountName;
  const sa = await store.tryGet(serviceaccounts, ns, spec.serviceAccountName);
  if (!sa) {
    const name = pod.metadata?.name;
    // admission.NewForbidden: without a name yet (generateName) the message has no quoted name
    throw new ApiError(
      403,
      'Forbidden',
      `pods ${name ? `"${name}" ` : ''}is forbidden: error looking up service account ${ns}/${spec.serviceAccountName}: serviceaccount "${spec.serviceAccountName}" not found`,
      { ...(name ? { name } : {}), kind: 'pods' },
    );
  }
  if (shouldAutomount(sa, pod)) mountServiceAccountToken(pod);
}
