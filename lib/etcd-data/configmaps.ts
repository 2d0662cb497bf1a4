/**
 * The two ConfigMaps kubeadm writes (kubeadm constants: `kubeadm-config` with data key
 * `ClusterConfiguration`, `kubelet-config` with data key `kubelet`), found in etcd's data under
 * the apiserver's default `--etcd-prefix` /registry, made into one kubeadm --config text.
 */
import { parseDocument } from 'yaml';
import { decodeConfigMap, type StoredConfigMap } from './decode.js';
import type { Decrypt } from './encryption.js';

/** etcd key of kube-system/kubeadm-config. */
export const KUBEADM_CONFIG_KEY = '/registry/configmaps/kube-system/kubeadm-config';
/** etcd key of kube-system/kubelet-config. */
export const KUBELET_CONFIG_KEY = '/registry/configmaps/kube-system/kubelet-config';

/** The ClusterConfiguration and KubeletConfiguration read from etcd's data. */
export interface ConfigFromEtcd {
  /** `ClusterConfiguration` (and `KubeletConfiguration` when found) as one multi-document YAML text. */
  text: string;
  clusterConfiguration: string;
  kubeletConfiguration?: string;
  /** mod_revision of each ConfigMap. */
  revisions: { kubeadmConfig: number; kubeletConfig?: number };
  /** How each was stored (json or protobuf). */
  encodings: string[];
}

/** Check that a decoded object is the ConfigMap expected under its key. */
function expect(cm: StoredConfigMap, name: string, key: string): StoredConfigMap {
  if (cm.name !== name || cm.namespace !== 'kube-system') throw new Error(`${key}: holds ${cm.namespace}/${cm.name}, not kube-system/${name}`);
  return cm;
}

/** Make the --config text from the stored values of kubeadm-config and (optionally) kubelet-config. */
export function configFromValues(
  kubeadm: { value: Buffer; modRevision: number },
  kubelet?: { value: Buffer; modRevision: number },
  decrypt?: Decrypt,
): ConfigFromEtcd {
  const kcm = expect(decodeConfigMap(KUBEADM_CONFIG_KEY, kubeadm.value, decrypt), 'kubeadm-config', KUBEADM_CONFIG_KEY);
  const cc = kcm.data.ClusterConfiguration;
  if (!cc) throw new Error(`${KUBEADM_CONFIG_KEY}: the ConfigMap has no ClusterConfiguration key (keys: ${Object.keys(kcm.data).join(', ') || 'none'})`);
  const kind = (parseDocument(cc).toJS() as { kind?: string } | null)?.kind;
  if (kind !== 'ClusterConfiguration')
    throw new Error(`${KUBEADM_CONFIG_KEY}: data.ClusterConfiguration is not kind ClusterConfiguration (${kind ?? 'no kind'})`);
  const out: ConfigFromEtcd = {
    text: cc.trimEnd() + '\n',
    clusterConfiguration: cc,
    revisions: { kubeadmConfig: kubeadm.modRevision },
    encodings: [kcm.encoding],
  };
  if (kubelet) {
    const lcm = expect(decodeConfigMap(KUBELET_CONFIG_KEY, kubelet.value, decrypt), 'kubelet-config', KUBELET_CONFIG_KEY);
    const kc = lcm.data.kubelet;
    if (!kc) throw new Error(`${KUBELET_CONFIG_KEY}: the ConfigMap has no "kubelet" key (keys: ${Object.keys(lcm.data).join(', ') || 'none'})`);
    out.kubeletConfiguration = kc;
    out.text += '---\n' + kc.trimEnd() + '\n';
    out.revisions.kubeletConfig = kubelet.modRevision;
    out.encodings.push(lcm.encoding);
  }
  return out;
}

/**
 * Parse `NAME {etcdctl get -w json}` lines (etcd's int64 fields quoted before JSON.parse rounds
 * them) into the stored values and the store's revision.
 */
export function parseGetLines(stdout: string): { got: Record<string, { value: Buffer; modRevision: number }>; revision: number } {
  const got: Record<string, { value: Buffer; modRevision: number }> = {};
  let revision = 0;
  for (const line of stdout.split('\n')) {
    const m = /^(kubeadm-config|kubelet-config) (\{.*\})\s*$/.exec(line);
    if (!m) continue;
    const j = JSON.parse(m[2]!.replace(/"(revision|mod_revision|create_revision|cluster_id|member_id|raft_term|version)":(\d+)/g, '"$1":"$2"')) as {
      header?: { revision?: string };
      kvs?: Array<{ value?: string; mod_revision?: string }>;
    };
    revision = Math.max(revision, Number(j.header?.revision ?? 0));
    const kv = j.kvs?.[0];
    if (kv) got[m[1]!] = { value: Buffer.from(kv.value ?? '', 'base64'), modRevision: Number(kv.mod_revision ?? 0) };
  }
  return { got, revision };
}
