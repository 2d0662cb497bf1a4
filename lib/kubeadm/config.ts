/**
 * kubeadm configuration files kubemend writes for a host: the API version its kubeadm reads, the
 * node's registration (kubelet flags kept from /var/lib/kubelet/kubeadm-flags.env), and the
 * InitConfiguration / JoinConfiguration documents. Fields are those of the kubeadm API types
 * (cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go and v1beta3/types.go): InitConfiguration
 * `bootstrapTokens`, `nodeRegistration`, `localAPIEndpoint`, `certificateKey`; JoinConfiguration
 * `nodeRegistration`, `discovery.bootstrapToken.{apiServerEndpoint,token,caCertHashes}`,
 * `controlPlane.{localAPIEndpoint,certificateKey}`. Both versions have every one of them; only
 * `nodeRegistration.kubeletExtraArgs` differs (v1beta3 a map, v1beta4 a list of {name, value}).
 */
import { stringify } from 'yaml';
import type { Fact } from '../core/types.js';
import type { Secret } from '../shell/secret.js';

/** The kubeadm config API versions kubemend writes. */
export type KubeadmApi = 'kubeadm.k8s.io/v1beta3' | 'kubeadm.k8s.io/v1beta4';

/** A kubeadm version as `kubeadm version -o short` prints it (`v1.32.4`). */
export interface KubeadmVersion {
  major: number;
  minor: number;
  text: string;
}

/** `kubeadm version -o short` (read-only); null when the output is not a version (a dry run's fake host). */
export const kubeadmVersion: Fact<KubeadmVersion | null> = {
  id: 'kubemend:kubeadm-version',
  argv: ['kubeadm', 'version', '-o', 'short'],
  parse: (out) => {
    const m = /^v(\d+)\.(\d+)\.\d+\S*$/m.exec(out.trim());
    return m ? { major: Number(m[1]), minor: Number(m[2]), text: m[0] } : null;
  },
};

/** True when the kubeadm version is at least 1.`minor`. */
export function atLeast(v: KubeadmVersion | null, minor: number): boolean {
  return !!v && (v.major > 1 || (v.major === 1 && v.minor >= minor));
}

/**
 * The config API version to write for a kubeadm: v1beta4 from 1.31 (where it was introduced),
 * v1beta3 before. v1beta3 is read by every kubeadm kubemend supports (1.22 to 1.33; its doc.go says
 * "deprecated in favor of v1beta4 and will be removed in a future release, 1.34 or later"), so an
 * unknown version gets v1beta3.
 */
export function apiFor(v: KubeadmVersion | null): KubeadmApi {
  return atLeast(v, 31) ? 'kubeadm.k8s.io/v1beta4' : 'kubeadm.k8s.io/v1beta3';
}

/** One kubelet flag (`--name=value`). */
export interface KubeletFlag {
  name: string;
  value: string;
}

/** The kubelet flags file kubeadm's kubelet-start writes (and rewrites). */
export const KUBEADM_FLAGS_ENV = '/var/lib/kubelet/kubeadm-flags.env';

/**
 * The flags of `KUBELET_KUBEADM_ARGS="--a=b --c"` (kubeadm writes `--name=value` words joined by
 * spaces, cmd/kubeadm/app/phases/kubelet/flags.go WriteKubeletDynamicEnvFile); other lines ignored.
 */
export function parseKubeletFlagsEnv(text: string): KubeletFlag[] {
  const line = text.split('\n').find((l) => /^\s*KUBELET_KUBEADM_ARGS=/.test(l));
  if (!line) return [];
  let v = line.replace(/^\s*KUBELET_KUBEADM_ARGS=/, '').trim();
  if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
  const out: KubeletFlag[] = [];
  for (const w of v.split(/\s+/).filter(Boolean)) {
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(w);
    if (m) out.push({ name: m[1]!, value: m[2] ?? 'true' });
  }
  return out;
}

/** The host's kubeadm-flags.env (read-only; empty when the file is absent). */
export const kubeletFlagsEnv: Fact<KubeletFlag[]> = {
  id: 'kubemend:kubeadm-flags-env',
  argv: ['sh', '-c', 'cat "$1" 2>/dev/null; exit 0', 'sh', KUBEADM_FLAGS_ENV],
  parse: (out) => parseKubeletFlagsEnv(out),
};

/** A node's registration as kubemend writes it: its name, its CRI socket and its kubelet's own flags. */
export interface NodeRegistration {
  name: string;
  criSocket?: string;
  kubeletExtraArgs: KubeletFlag[];
}

/**
 * The registration that keeps the node's kubelet flags: kubeadm writes kubeadm-flags.env from
 * what it computes (container-runtime-endpoint from criSocket, pod-infra-container-image,
 * hostname-override) overridden by nodeRegistration.kubeletExtraArgs, so every earlier flag
 * (node-ip, node-labels, ...) is given back as an extra arg and the runtime endpoint as criSocket.
 */
export function keepRegistration(name: string, flags: readonly KubeletFlag[]): NodeRegistration {
  const cri = flags.find((f) => f.name === 'container-runtime-endpoint')?.value;
  return { name, ...(cri ? { criSocket: cri } : {}), kubeletExtraArgs: flags.filter((f) => f.name !== 'container-runtime-endpoint') };
}

/** nodeRegistration in the shape of `api`. */
function registrationDoc(api: KubeadmApi, r: NodeRegistration): Record<string, unknown> {
  const doc: Record<string, unknown> = { name: r.name };
  if (r.criSocket) doc.criSocket = r.criSocket;
  if (r.kubeletExtraArgs.length) {
    doc.kubeletExtraArgs =
      api === 'kubeadm.k8s.io/v1beta4'
        ? r.kubeletExtraArgs.map((f) => ({ name: f.name, value: f.value }))
        : Object.fromEntries(r.kubeletExtraArgs.map((f) => [f.name, f.value]));
  }
  return doc;
}

/** What an InitConfiguration for one master holds. */
export interface InitOptions {
  api: KubeadmApi;
  registration: NodeRegistration;
  advertiseAddress: string;
  bindPort?: number;
  /** `bootstrapTokens` for `init phase bootstrap-token` (token left out: kubeadm generates it). */
  bootstrapTokens?: Array<{ description: string; ttl: string }>;
  /** The certificate key for `init phase upload-certs` (a secret: the text is for a host's stdin only). */
  certificateKey?: Secret;
}

/** The InitConfiguration document (YAML). With a certificate key the text holds a secret: give it to kubeadmWithConfig only. */
export function initConfiguration(o: InitOptions): string {
  const doc: Record<string, unknown> = {
    apiVersion: o.api,
    kind: 'InitConfiguration',
    ...(o.bootstrapTokens?.length ? { bootstrapTokens: o.bootstrapTokens } : {}),
    localAPIEndpoint: { advertiseAddress: o.advertiseAddress, bindPort: o.bindPort ?? 6443 },
    nodeRegistration: registrationDoc(o.api, o.registration),
    ...(o.certificateKey ? { certificateKey: o.certificateKey.reveal() } : {}),
  };
  return stringify(doc);
}

/** What a JoinConfiguration holds. */
export interface JoinOptions {
  api: KubeadmApi;
  registration: NodeRegistration;
  /** discovery.bootstrapToken: the API endpoint, the token (secret) and the CA pin (`sha256:...`). */
  endpoint: string;
  token: Secret;
  caCertHash: string;
  /** A control-plane join: this node's API endpoint and the certificate key (secret). */
  controlPlane?: { advertiseAddress: string; bindPort?: number; certificateKey: Secret };
  /** Where the join writes the cluster CA (JoinConfiguration caCertPath; kubeadm's default /etc/kubernetes/pki/ca.crt, kubespray's /etc/kubernetes/ssl/ca.crt). */
  caCertPath?: string;
}

/** The JoinConfiguration document (YAML). It holds secrets: give it to kubeadmWithConfig only. */
export function joinConfiguration(o: JoinOptions): string {
  const doc: Record<string, unknown> = {
    apiVersion: o.api,
    kind: 'JoinConfiguration',
    ...(o.caCertPath ? { caCertPath: o.caCertPath } : {}),
    discovery: { bootstrapToken: { apiServerEndpoint: o.endpoint, token: o.token.reveal(), caCertHashes: [o.caCertHash] } },
    nodeRegistration: registrationDoc(o.api, o.registration),
    ...(o.controlPlane
      ? {
          controlPlane: {
            localAPIEndpoint: { advertiseAddress: o.controlPlane.advertiseAddress, bindPort: o.controlPlane.bindPort ?? 6443 },
            certificateKey: o.controlPlane.certificateKey.reveal(),
          },
        }
      : {}),
  };
  return stringify(doc);
}
