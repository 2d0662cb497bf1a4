/** The kube-apiserver flags the lab understands, parsed from argv as kubeadm writes them. */
import { warn } from './log.js';

/** Parsed kube-apiserver flags. */
export interface ApiserverFlags {
  advertiseAddress?: string;
  securePort: number;
  bindAddress: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCaFile?: string;
  etcdServers: string[];
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
  serviceAccountKeyFiles: string[];
  serviceAccountSigningKeyFile?: string;
  serviceAccountIssuers: string[];
  /** `--service-account-extend-token-expiration` (default true). */
  serviceAccountExtendTokenExpiration: boolean;
  /** `--service-account-max-token-expiration` in seconds (0: not set). */
  serviceAccountMaxTokenExpirationSeconds: number;
  apiAudiences: string[];
  requestheaderClientCaFile?: string;
  requestheaderAllowedNames: string[];
  requestheaderUsernameHeaders: string[];
  requestheaderGroupHeaders: string[];
  requestheaderExtraHeadersPrefix: string[];
  proxyClientCertFile?: string;
  kubeletClientCertificate?: string;
  enableBootstrapTokenAuth: boolean;
  anonymousAuth: boolean;
  authorizationModes: string[];
  /** Lab only: how often the extension-apiserver-authentication ConfigMap is re-synced (seconds). */
  labTrustSyncSeconds: number;
}

const KNOWN_IGNORED = new Set([
  'allow-privileged',
  'enable-admission-plugins',
  'kubelet-client-key',
  'kubelet-preferred-address-types',
  'proxy-client-key-file',
  'service-cluster-ip-range',
  'v',
  'feature-gates',
  'profiling',
  'audit-log-path',
]);

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const UNIT_S: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
/** A Go duration (`24h`, `1h30m`, `3600s`) in whole seconds. */
const seconds = (v: string) => Math.floor([...v.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)].reduce((a, m) => a + Number(m[1]) * UNIT_S[m[2]], 0));

/** Parse argv (`--name=value` or `--name value`); unknown flags are logged and ignored. */
export function parseFlags(argv: string[]): ApiserverFlags {
  const f: ApiserverFlags = {
    securePort: 6443,
    bindAddress: '0.0.0.0',
    etcdServers: [],
    serviceAccountKeyFiles: [],
    serviceAccountIssuers: [],
    serviceAccountExtendTokenExpiration: true,
    serviceAccountMaxTokenExpirationSeconds: 0,
    apiAudiences: [],
    requestheaderAllowedNames: [],
    requestheaderUsernameHeaders: [],
    requestheaderGroupHeaders: [],
    requestheaderExtraHeadersPrefix: [],
    enableBootstrapTokenAuth: false,
    anonymousAuth: true,
    authorizationModes: ['AlwaysAllow'],
    labTrustSyncSeconds: 10,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      warn(`ignoring argument ${JSON.stringify(a)}`);
      continue;
    }
    let name = a.slice(2);
    let value: string;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    } else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
      value = argv[++i];
    } else value = 'true';
    switch (name) {
      case 'advertise-address':
        f.advertiseAddress = value;
        break;
      case 'secure-port':
        f.securePort = Number(value);
        break;
      case 'bind-address':
        f.bindAddress = value;
        break;
      case 'tls-cert-file':
        f.tlsCertFile = value;
        break;
      case 'tls-private-key-file':
        f.tlsPrivateKeyFile = value;
        break;
      case 'client-ca-file':
        f.clientCaFile = value;
        break;
      case 'etcd-servers':
        f.etcdServers = list(value);
        break;
      case 'etcd-cafile':
        f.etcdCafile = value;
        break;
      case 'etcd-certfile':
        f.etcdCertfile = value;
        break;
      case 'etcd-keyfile':
        f.etcdKeyfile = value;
        break;
      case 'service-account-key-file':
        f.serviceAccountKeyFiles.push(value);
        break;
      case 'service-account-signing-key-file':
        f.serviceAccountSigningKeyFile = value;
        break;
      case 'service-account-issuer':
        f.serviceAccountIssuers.push(value);
        break;
      case 'service-account-extend-token-expiration':
        f.serviceAccountExtendTokenExpiration = value !== 'false';
        break;
      case 'service-account-max-token-expiration':
        f.serviceAccountMaxTokenExpirationSeconds = seconds(value);
        break;
      case 'api-audiences':
        f.apiAudiences = list(value);
        break;
      case 'requestheader-client-ca-file':
        f.requestheaderClientCaFile = value;
        break;
      case 'requestheader-allowed-names':
        f.requestheaderAllowedNames = list(value);
        break;
      case 'requestheader-username-headers':
        f.requestheaderUsernameHeaders = list(value);
        break;
      case 'requestheader-group-headers':
        f.requestheaderGroupHeaders = list(value);
        break;
      case 'requestheader-extra-headers-prefix':
        f.requestheaderExtraHeadersPrefix = list(value);
        break;
      case 'proxy-client-cert-file':
        f.proxyClientCertFile = value;
        break;
      case 'kubelet-client-certificate':
        f.kubeletClientCertificate = value;
        break;
      case 'enable-bootstrap-token-auth':
        f.enableBootstrapTokenAuth = value !== 'false';
        break;
      case 'anonymous-auth':
        f.anonymousAuth = value !== 'false';
        break;
      case 'authorization-mode':
        f.authorizationModes = list(value);
        break;
      case 'lab-trust-sync-seconds':
        f.labTrustSyncSeconds = Number(value);
        break;
      default:
        if (!KNOWN_IGNORED.has(name)) warn(`flag --${name} is not simulated by the lab apiserver; ignored`);
    }
  }
  if (f.apiAudiences.length === 0) f.apiAudiences = [...f.serviceAccountIssuers];
  return f;
}
