/**
 * Every kubeadm v1.32 flag the table uses, by name (cmd/kubeadm/app/cmd/options/constant.go and
 * the commands that define them), with its pflag type: whether it takes a value and how the value
 * is parsed. Which command has which flag is in commands.ts.
 */
import type { SourceKey } from './sources.js';

/**
 * pflag value types: bool takes no value (`--x` or `--x=false`); the others need one (`--x v`,
 * `--x=v`, `-xv` for a shorthand). `level` is klog's -v (int32); `moduleSpec` klog's --vmodule.
 */
export type FlagType = 'bool' | 'string' | 'stringSlice' | 'duration' | 'int32' | 'level' | 'moduleSpec' | 'mapStringString';

/** One flag. */
export interface FlagDef {
  type: FlagType;
  /** One-letter shorthand (`-f`). */
  short?: string;
  /** Default shown by --help (informative; the simulator applies its own defaults). */
  default?: string;
  source: SourceKey;
}

/** The flags, by long name. */
export const FLAGS = {
  // global: root persistent flag and the klog flags kubeadm keeps (cmd/kubeadm/app/kubeadm.go)
  rootfs: { type: 'string', source: 'cmd' },
  v: { type: 'level', short: 'v', default: '0', source: 'kubeadmGo' },
  vmodule: { type: 'moduleSpec', source: 'kubeadmGo' },
  help: { type: 'bool', short: 'h', source: 'cobra' },

  // init / cluster configuration flags (options.Add* in cmd/kubeadm/app/cmd/options/generic.go, init.go)
  'apiserver-advertise-address': { type: 'string', source: 'init' },
  'apiserver-bind-port': { type: 'int32', default: '6443', source: 'init' },
  'apiserver-cert-extra-sans': { type: 'stringSlice', source: 'init' },
  'apiserver-extra-args': { type: 'mapStringString', source: 'init' },
  'controller-manager-extra-args': { type: 'mapStringString', source: 'init' },
  'scheduler-extra-args': { type: 'mapStringString', source: 'init' },
  'cert-dir': { type: 'string', default: '/etc/kubernetes/pki', source: 'init' },
  'certificate-key': { type: 'string', source: 'init' },
  config: { type: 'string', source: 'init' },
  'control-plane-endpoint': { type: 'string', source: 'init' },
  'cri-socket': { type: 'string', source: 'init' },
  'dry-run': { type: 'bool', source: 'init' },
  'feature-gates': { type: 'string', source: 'init' },
  'ignore-preflight-errors': { type: 'stringSlice', source: 'init' },
  'image-repository': { type: 'string', default: 'registry.k8s.io', source: 'init' },
  kubeconfig: { type: 'string', default: '/etc/kubernetes/admin.conf', source: 'init' },
  'kubeconfig-dir': { type: 'string', default: '/etc/kubernetes', source: 'init' },
  'kubernetes-version': { type: 'string', default: 'stable-1', source: 'init' },
  'node-name': { type: 'string', source: 'init' },
  patches: { type: 'string', source: 'init' },
  'pod-network-cidr': { type: 'string', source: 'init' },
  'service-cidr': { type: 'string', default: '10.96.0.0/12', source: 'init' },
  'service-dns-domain': { type: 'string', default: 'cluster.local', source: 'init' },
  'skip-certificate-key-print': { type: 'bool', source: 'init' },
  'skip-phases': { type: 'stringSlice', source: 'runner' },
  'skip-token-print': { type: 'bool', source: 'init' },
  token: { type: 'string', source: 'init' },
  'token-ttl': { type: 'duration', default: '24h0m0s', source: 'init' },
  'upload-certs': { type: 'bool', source: 'init' },
  'print-manifest': { type: 'bool', source: 'initPhases' },

  // join
  'control-plane': { type: 'bool', source: 'join' },
  'discovery-file': { type: 'string', source: 'join' },
  'discovery-token': { type: 'string', source: 'join' },
  'discovery-token-ca-cert-hash': { type: 'stringSlice', source: 'join' },
  'discovery-token-unsafe-skip-ca-verification': { type: 'bool', source: 'join' },
  'tls-bootstrap-token': { type: 'string', source: 'join' },

  // token
  'print-join-command': { type: 'bool', source: 'token' },
  description: { type: 'string', source: 'token' },
  groups: { type: 'stringSlice', default: '[system:bootstrappers:kubeadm:default-node-token]', source: 'token' },
  ttl: { type: 'duration', default: '24h0m0s', source: 'token' },
  usages: { type: 'stringSlice', default: '[signing,authentication]', source: 'token' },

  // printers (token list, certs check-expiration, version)
  output: { type: 'string', short: 'o', source: 'otherCmds' },
  'allow-missing-template-keys': { type: 'bool', default: 'true', source: 'otherCmds' },
  'show-managed-fields': { type: 'bool', source: 'otherCmds' },

  // kubeconfig user
  'client-name': { type: 'string', source: 'otherCmds' },
  org: { type: 'stringSlice', source: 'otherCmds' },
  'validity-period': { type: 'duration', source: 'otherCmds' },

  // reset
  force: { type: 'bool', short: 'f', source: 'otherCmds' },
  'cleanup-tmp-dir': { type: 'bool', source: 'otherCmds' },
} satisfies Record<string, FlagDef>;

/** A flag name of the table. */
export type FlagName = keyof typeof FLAGS;

/** The flag `name`'s definition (undefined for names kubeadm v1.32 does not have). */
export function flagDef(name: string): FlagDef | undefined {
  return (FLAGS as Record<string, FlagDef>)[name];
}
