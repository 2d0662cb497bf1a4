/**
 * The API-backed volumes the lab's kubelet mounts for a pod, as files under
 * /var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~<plugin>/<volume>/: `secret`, `configMap` and
 * `projected` (serviceAccountToken from the TokenRequest API bound to the pod, configMap, secret,
 * downwardAPI). The kubelet sets them up before the pod starts and sets them up again every sync
 * period (a refreshed token, an updated ConfigMap), writing a file only when its content changed
 * (atomically, like the real AtomicWriter). A pod's in-cluster credentials are the volume mounted
 * at /var/run/secrets/kubernetes.io/serviceaccount (or, for legacy pods, a mounted token Secret).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { paths } from '../paths.js';

/** Where service-account credentials are mounted in a container (DefaultAPITokenMountPath). */
export const SA_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The legacy token Secret type. */
export const SA_TOKEN_TYPE = 'kubernetes.io/service-account-token';

/** What setting up a volume needs from the API. */
export interface VolumeSources {
  secret(ns: string, name: string): Promise<any | undefined>;
  configMap(ns: string, name: string): Promise<any | undefined>;
  /** A projected token for the pod's service account: `{token}` from the token manager. */
  token(pod: any, source: { audience?: string; expirationSeconds?: number }): Promise<string>;
}

/** The plugin folder of a volume (`kubernetes.io~projected`), or undefined for volumes the lab does not materialise. */
export function pluginOf(v: any): string | undefined {
  if (v?.projected) return 'kubernetes.io~projected';
  if (v?.secret) return 'kubernetes.io~secret';
  if (v?.configMap) return 'kubernetes.io~configmap';
  return undefined;
}

/** The folder of a pod's volume on the node. */
export function volumeDir(podUid: string, v: any): string {
  return join(paths.kubeletDir, 'pods', podUid, 'volumes', pluginOf(v) ?? 'kubernetes.io~empty-dir', v.name);
}

function keyFiles(data: Record<string, string> | undefined, items: any[] | undefined, decode: boolean, what: string): Record<string, string> {
  const d = data ?? {};
  const val = (k: string) => (decode ? Buffer.from(d[k], 'base64').toString('utf8') : d[k]);
  if (!items?.length) return Object.fromEntries(Object.keys(d).map((k) => [k, val(k)]));
  const out: Record<string, string> = {};
  for (const it of items) {
    if (!(it.key in d))
      throw new Error(`${what}: ${decode ? 'references non-existent secret key' : 'configmap references non-existent config key'}: ${it.key}`);
    out[it.path] = val(it.key);
  }
  return out;
}

function fieldOf(pod: any, fieldPath: string): string {
  switch (fieldPath) {
    case 'metadata.namespace':
      return pod.metadata.namespace;
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.uid':
      return pod.metadata.uid;
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    default:
      throw new Error(`unsupported fieldPath ${fieldPath}`);
  }
}

/** The files of one volume of `pod` (setUp), or undefined for a volume kind the lab does not materialise. */
export async function volumeFiles(pod: any, v: any, src: VolumeSources): Promise<Record<string, string> | undefined> {
  const ns = pod.metadata.namespace;
  const failed = (why: string) => new Error(`MountVolume.SetUp failed for volume "${v.name}" : ${why}`);
  /** The keys of a Secret or ConfigMap as files ({} when it is optional and absent). */
  const keysOf = async (
    kind: 'secret' | 'configmap',
    name: string,
    items: any[] | undefined,
    optional: boolean | undefined,
  ): Promise<Record<string, string>> => {
    const o = kind === 'secret' ? await src.secret(ns, name) : await src.configMap(ns, name);
    if (!o) {
      if (optional) return {};
      throw failed(`${kind} "${name}" not found`);
    }
    // a legacy token Secret the tokens controller has not filled yet: wait, so the workload never starts without its CA
    if (kind === 'secret' && o.type === SA_TOKEN_TYPE && !o.data?.token) throw failed(`secret "${name}" has no token yet`);
    return keyFiles(o.data, items, kind === 'secret', `${kind} ${name}`);
  };
  if (v.secret) return keysOf('secret', v.secret.secretName, v.secret.items, v.secret.optional);
  if (v.configMap) return keysOf('configmap', v.configMap.name, v.configMap.items, v.configMap.optional);
  if (!v.projected) return undefined;
  const out: Record<string, string> = {};
  for (const s of v.projected.sources ?? []) {
    if (s.serviceAccountToken) {
      try {
        out[s.serviceAccountToken.path] = await src.token(pod, s.serviceAccountToken);
      } catch (e) {
        throw failed((e as Error).message);
      }
    } else if (s.configMap) Object.assign(out, await keysOf('configmap', s.configMap.name, s.configMap.items, s.configMap.optional));
    else if (s.secret) Object.assign(out, await keysOf('secret', s.secret.name, s.secret.items, s.secret.optional));
    else if (s.downwardAPI) for (const it of s.downwardAPI.items ?? []) if (it.fieldRef) out[it.path] = fieldOf(pod, it.fieldRef.fieldPath);
  }
  return out;
}

/** Write a volume's files where they changed (tmp file + rename); returns the folder. */
export function writeVolume(podUid: string, v: any, files: Record<string, string>, mode = 0o644): string {
  const dir = volumeDir(podUid, v);
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    const f = join(dir, name);
    let old: string | undefined;
    try {
      old = readFileSync(f, 'utf8');
    } catch {
      old = undefined;
    }
    if (old === content) continue;
    const tmp = join(dir, `..${name}.tmp`);
    writeFileSync(tmp, content, { mode });
    renameSync(tmp, f);
  }
  return dir;
}

/**
 * The volume holding a pod's in-cluster credentials: the one its first container mounts at
 * /var/run/secrets/kubernetes.io/serviceaccount, else a mounted Secret of the legacy token type
 * (`isTokenSecret` tells).
 */
export function credentialVolume(pod: any, isTokenSecret: (name: string) => boolean): any | undefined {
  const mounts: any[] = pod.spec?.containers?.[0]?.volumeMounts ?? [];
  const vols: any[] = pod.spec?.volumes ?? [];
  const at = mounts.find((m) => m.mountPath === SA_MOUNT_PATH);
  if (at) return vols.find((v) => v.name === at.name);
  return vols.find((v) => v.secret?.secretName && mounts.some((m) => m.name === v.name) && isTokenSecret(v.secret.secretName));
}
