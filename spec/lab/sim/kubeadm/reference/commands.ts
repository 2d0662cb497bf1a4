/**
 * The kubeadm v1.32 command tree as data: every command kubemend (playbooks/, lib/,
 * spec/lab/solve-by-hand.sh), the lab (spec/lab/cluster, the lab's tests) and the recovery
 * procedure use, with its flags, positional-argument rule, what it does when run, and whether the
 * `--config` mixed-arguments rule applies. Each entry names its source (sources.ts).
 *
 * Global flags every command has: --rootfs (the root's persistent flag), -v/--v and --vmodule
 * (klog's, added to the root by kubeadm.go), -h/--help (cobra). kubeadm v1.31+ has no --log-file.
 */
import type { FlagName } from './flags.js';
import type { SourceKey } from './sources.js';

/** A positional-argument rule as cobra applies it. */
export type ArgsRule =
  /** cobra.NoArgs: `unknown command "X" for "kubeadm ..."`. */
  | { kind: 'none' }
  /** cobra.MaximumNArgs(n): `accepts at most n arg(s), received m`. */
  | { kind: 'max'; n: number }
  /** No validator: any number (the command reads what it needs). */
  | { kind: 'any' };

/**
 * What running the command does: `run` does its work; `phase-group` (a phase with sub-phases)
 * prints its help and exits 0; `subcmd` (SubCmdRunE) fails with "missing subcommand" or "invalid
 * subcommand"; `help` (no Run at all: `kubeadm`, `init phase`) prints its help, exit 0, whatever
 * follows; `unmodelled` exists in kubeadm v1.32 but not in the lab's table.
 */
export type Behaviour = 'run' | 'phase-group' | 'subcmd' | 'help' | 'unmodelled';

/** One command. */
export interface CommandDef {
  /** Words after `kubeadm` ('' for the root). */
  path: string;
  aliases?: string[];
  /** Local flags (for phases: those inherited by name from init/join). */
  flags: FlagName[];
  /** Persistent flags this command gives to itself and every command under it. */
  persistent?: FlagName[];
  args: ArgsRule;
  behaviour: Behaviour;
  /** ValidateMixedArguments runs before the command's work. */
  mixedConfig?: boolean;
  /** cobra MarkFlagRequired. */
  required?: FlagName[];
  source: SourceKey;
}

const NONE: ArgsRule = { kind: 'none' };
const ANY: ArgsRule = { kind: 'any' };
/** join's cobra.MaximumNArgs(1): the API server endpoint. */
const ENDPOINT: ArgsRule = { kind: 'max', n: 1 };

// ---- init phases (cmd/kubeadm/app/cmd/phases/init/*.go); leaves take init's cobra.NoArgs

const CERT_BASE: FlagName[] = ['cert-dir', 'config', 'kubernetes-version', 'dry-run'];
const CERT_APISERVER: FlagName[] = [
  ...CERT_BASE,
  'apiserver-advertise-address',
  'control-plane-endpoint',
  'apiserver-cert-extra-sans',
  'service-dns-domain',
  'service-cidr',
];
const CERT_LEAVES = [
  'ca',
  'apiserver-kubelet-client',
  'front-proxy-ca',
  'front-proxy-client',
  'etcd-ca',
  'etcd-server',
  'etcd-peer',
  'etcd-healthcheck-client',
  'apiserver-etcd-client',
];

const KUBECONFIG_BASE: FlagName[] = [
  'apiserver-advertise-address',
  'control-plane-endpoint',
  'apiserver-bind-port',
  'cert-dir',
  'config',
  'kubeconfig-dir',
  'kubernetes-version',
  'dry-run',
];

const CONTROL_PLANE_BASE: FlagName[] = ['config', 'cert-dir', 'kubernetes-version', 'image-repository', 'patches', 'dry-run'];
const CP_APISERVER: FlagName[] = [
  'apiserver-advertise-address',
  'control-plane-endpoint',
  'apiserver-bind-port',
  'apiserver-extra-args',
  'feature-gates',
  'service-cidr',
];
const CP_CONTROLLER_MANAGER: FlagName[] = ['controller-manager-extra-args', 'pod-network-cidr'];
const CP_SCHEDULER: FlagName[] = ['scheduler-extra-args'];

const ADDON_BASE: FlagName[] = ['config', 'kubeconfig', 'kubernetes-version', 'image-repository', 'dry-run'];
const ADDON_COREDNS: FlagName[] = ['feature-gates', 'service-dns-domain', 'service-cidr'];
const ADDON_PROXY: FlagName[] = ['apiserver-advertise-address', 'control-plane-endpoint', 'apiserver-bind-port', 'pod-network-cidr'];

const UPLOAD_CONFIG: FlagName[] = ['config', 'kubeconfig', 'dry-run'];
const KUBELET_FINALIZE: FlagName[] = ['config', 'cert-dir', 'dry-run'];

const initLeaf = (path: string, flags: FlagName[], source: SourceKey, aliases?: string[]): CommandDef => ({
  path: `init phase ${path}`,
  flags,
  args: NONE,
  behaviour: 'run',
  mixedConfig: true,
  source,
  ...(aliases ? { aliases } : {}),
});
const initGroup = (path: string, source: SourceKey, aliases?: string[]): CommandDef => ({
  path: `init phase ${path}`,
  flags: [],
  args: NONE,
  behaviour: 'phase-group',
  source,
  ...(aliases ? { aliases } : {}),
});

const INIT: CommandDef[] = [
  {
    path: 'init',
    flags: [
      'apiserver-advertise-address',
      'apiserver-bind-port',
      'apiserver-cert-extra-sans',
      'cert-dir',
      'certificate-key',
      'config',
      'control-plane-endpoint',
      'cri-socket',
      'dry-run',
      'feature-gates',
      'ignore-preflight-errors',
      'image-repository',
      'kubernetes-version',
      'node-name',
      'patches',
      'pod-network-cidr',
      'service-cidr',
      'service-dns-domain',
      'skip-certificate-key-print',
      'skip-phases',
      'skip-token-print',
      'token',
      'token-ttl',
      'upload-certs',
    ],
    args: NONE,
    behaviour: 'run',
    mixedConfig: true,
    source: 'init',
  },
  { path: 'init phase', flags: [], args: ANY, behaviour: 'help', source: 'runner' },
  initLeaf('preflight', ['config', 'cri-socket', 'dry-run', 'ignore-preflight-errors', 'image-repository'], 'initPhases'),
  initGroup('certs', 'certsPhase'),
  initLeaf('certs all', CERT_APISERVER, 'certsPhase'),
  initLeaf('certs apiserver', CERT_APISERVER, 'certsPhase'),
  ...CERT_LEAVES.map((c) => initLeaf(`certs ${c}`, CERT_BASE, 'certsPhase')),
  initLeaf('certs sa', ['cert-dir'], 'certsPhase'),
  initGroup('kubeconfig', 'kubeconfigPhase'),
  initLeaf('kubeconfig all', [...KUBECONFIG_BASE, 'node-name'], 'kubeconfigPhase'),
  initLeaf('kubeconfig kubelet', [...KUBECONFIG_BASE, 'node-name'], 'kubeconfigPhase'),
  ...['admin', 'super-admin', 'controller-manager', 'scheduler'].map((k) => initLeaf(`kubeconfig ${k}`, KUBECONFIG_BASE, 'kubeconfigPhase')),
  initGroup('etcd', 'initPhases'),
  initLeaf('etcd local', ['cert-dir', 'config', 'image-repository', 'patches', 'dry-run'], 'initPhases'),
  initGroup('control-plane', 'initPhases', ['controlplane']),
  initLeaf('control-plane all', [...CONTROL_PLANE_BASE, ...CP_APISERVER, ...CP_CONTROLLER_MANAGER, ...CP_SCHEDULER], 'initPhases'),
  initLeaf('control-plane apiserver', [...CONTROL_PLANE_BASE, ...CP_APISERVER], 'initPhases'),
  initLeaf('control-plane controller-manager', [...CONTROL_PLANE_BASE, ...CP_CONTROLLER_MANAGER], 'initPhases'),
  initLeaf('control-plane scheduler', [...CONTROL_PLANE_BASE, ...CP_SCHEDULER], 'initPhases'),
  initLeaf('kubelet-start', ['config', 'cri-socket', 'node-name', 'patches', 'dry-run'], 'initPhases'),
  initLeaf('wait-control-plane', [], 'initPhases'),
  initGroup('upload-config', 'uploadConfig', ['uploadconfig']),
  ...['all', 'kubeadm', 'kubelet'].map((s) => initLeaf(`upload-config ${s}`, UPLOAD_CONFIG, 'uploadConfig')),
  initLeaf('upload-certs', ['config', 'upload-certs', 'certificate-key', 'skip-certificate-key-print'], 'uploadCerts'),
  initLeaf('mark-control-plane', ['config', 'node-name', 'dry-run'], 'initPhases', ['markcontrolplane']),
  initLeaf('bootstrap-token', ['config', 'kubeconfig', 'skip-token-print', 'dry-run'], 'initPhases', ['bootstraptoken']),
  initGroup('kubelet-finalize', 'kubeletFinalize'),
  initLeaf('kubelet-finalize all', KUBELET_FINALIZE, 'kubeletFinalize'),
  initLeaf('kubelet-finalize enable-client-cert-rotation', KUBELET_FINALIZE, 'kubeletFinalize'),
  initGroup('addon', 'initPhases'),
  initLeaf('addon all', [...ADDON_BASE, ...ADDON_COREDNS, ...ADDON_PROXY, 'print-manifest'], 'initPhases'),
  initLeaf('addon coredns', [...ADDON_BASE, ...ADDON_COREDNS, 'print-manifest'], 'initPhases'),
  initLeaf('addon kube-proxy', [...ADDON_BASE, ...ADDON_PROXY, 'print-manifest'], 'initPhases'),
  initLeaf('show-join-command', [], 'initPhases'),
];

// ---- join and its phases (cmd/kubeadm/app/cmd/join.go, phases/join/*.go)

const DISCOVERY: FlagName[] = [
  'discovery-file',
  'discovery-token',
  'discovery-token-ca-cert-hash',
  'discovery-token-unsafe-skip-ca-verification',
  'tls-bootstrap-token',
  'token',
];

const joinPhase = (path: string, flags: FlagName[], args: ArgsRule, source: SourceKey): CommandDef => ({
  path: `join phase ${path}`,
  flags,
  args,
  behaviour: 'run',
  mixedConfig: true,
  source,
});

const JOIN: CommandDef[] = [
  {
    path: 'join',
    flags: [
      'apiserver-advertise-address',
      'apiserver-bind-port',
      'certificate-key',
      'config',
      'control-plane',
      'cri-socket',
      ...DISCOVERY,
      'dry-run',
      'ignore-preflight-errors',
      'node-name',
      'patches',
      'skip-phases',
    ],
    args: ENDPOINT,
    behaviour: 'run',
    mixedConfig: true,
    source: 'join',
  },
  { path: 'join phase', flags: [], args: ANY, behaviour: 'help', source: 'runner' },
  joinPhase(
    'preflight',
    [
      'config',
      'ignore-preflight-errors',
      'control-plane',
      'apiserver-advertise-address',
      'apiserver-bind-port',
      'cri-socket',
      'node-name',
      ...DISCOVERY,
      'certificate-key',
      'dry-run',
    ],
    ENDPOINT,
    'joinPhases',
  ),
  { path: 'join phase control-plane-prepare', flags: [], args: NONE, behaviour: 'phase-group', source: 'cpPrepare' },
  joinPhase(
    'control-plane-prepare all',
    ['apiserver-advertise-address', 'apiserver-bind-port', 'config', 'control-plane', 'node-name', ...DISCOVERY, 'certificate-key', 'patches'],
    ENDPOINT,
    'cpPrepare',
  ),
  joinPhase('control-plane-prepare download-certs', ['config', 'control-plane', ...DISCOVERY, 'certificate-key'], ENDPOINT, 'cpPrepare'),
  joinPhase('control-plane-prepare certs', ['apiserver-advertise-address', 'config', 'control-plane', 'node-name', ...DISCOVERY], ENDPOINT, 'cpPrepare'),
  joinPhase('control-plane-prepare kubeconfig', ['config', 'control-plane', ...DISCOVERY, 'certificate-key'], ENDPOINT, 'cpPrepare'),
  joinPhase(
    'control-plane-prepare control-plane',
    ['apiserver-advertise-address', 'apiserver-bind-port', 'config', 'control-plane', 'patches'],
    NONE,
    'cpPrepare',
  ),
  joinPhase('kubelet-start', ['config', 'cri-socket', 'node-name', ...DISCOVERY, 'patches', 'dry-run'], ENDPOINT, 'joinKubelet'),
  { path: 'join phase control-plane-join', flags: [], args: NONE, behaviour: 'phase-group', source: 'cpJoin' },
  joinPhase('control-plane-join all', ['config', 'control-plane', 'node-name', 'patches', 'apiserver-advertise-address', 'dry-run'], NONE, 'cpJoin'),
  joinPhase('control-plane-join etcd', ['config', 'control-plane', 'node-name', 'patches', 'apiserver-advertise-address', 'dry-run'], NONE, 'cpJoin'),
  joinPhase('control-plane-join update-status', ['config', 'control-plane', 'node-name', 'apiserver-advertise-address'], NONE, 'cpJoin'),
  joinPhase('control-plane-join mark-control-plane', ['config', 'control-plane', 'node-name', 'dry-run'], NONE, 'cpJoin'),
  { path: 'join phase kubelet-wait-bootstrap', flags: [], args: ENDPOINT, behaviour: 'unmodelled', source: 'joinKubelet' },
  joinPhase('wait-control-plane', [], ENDPOINT, 'joinPhases'),
];

// ---- the other commands

const RENEWABLE = [
  'all',
  'admin.conf',
  'apiserver',
  'apiserver-etcd-client',
  'apiserver-kubelet-client',
  'controller-manager.conf',
  'etcd-healthcheck-client',
  'etcd-peer',
  'etcd-server',
  'front-proxy-client',
  'scheduler.conf',
  'super-admin.conf',
];
const PRINT: FlagName[] = ['output', 'allow-missing-template-keys', 'show-managed-fields'];

const OTHERS: CommandDef[] = [
  { path: 'token', flags: [], persistent: ['dry-run', 'kubeconfig'], args: ANY, behaviour: 'subcmd', source: 'token' },
  {
    path: 'token create',
    flags: ['certificate-key', 'config', 'description', 'groups', 'print-join-command', 'ttl', 'usages'],
    args: ANY,
    behaviour: 'run',
    mixedConfig: true,
    source: 'token',
  },
  { path: 'token delete', flags: [], args: ANY, behaviour: 'run', source: 'token' },
  { path: 'token generate', flags: [], args: ANY, behaviour: 'run', source: 'token' },
  { path: 'token list', flags: PRINT, args: ANY, behaviour: 'run', source: 'token' },
  { path: 'certs', flags: [], args: ANY, behaviour: 'subcmd', source: 'otherCmds' },
  { path: 'certs certificate-key', flags: [], args: ANY, behaviour: 'run', source: 'otherCmds' },
  { path: 'certs check-expiration', flags: ['cert-dir', 'config', 'kubeconfig', ...PRINT], args: ANY, behaviour: 'run', source: 'otherCmds' },
  { path: 'certs generate-csr', flags: ['cert-dir', 'config', 'kubeconfig-dir'], args: ANY, behaviour: 'unmodelled', source: 'otherCmds' },
  { path: 'certs renew', flags: [], args: ANY, behaviour: 'subcmd', source: 'otherCmds' },
  ...RENEWABLE.map(
    (c): CommandDef => ({ path: `certs renew ${c}`, flags: ['cert-dir', 'config', 'kubeconfig'], args: ANY, behaviour: 'run', source: 'otherCmds' }),
  ),
  { path: 'kubeconfig', flags: [], args: ANY, behaviour: 'subcmd', source: 'otherCmds' },
  {
    path: 'kubeconfig user',
    flags: ['client-name', 'config', 'org', 'token', 'validity-period'],
    args: ANY,
    behaviour: 'run',
    required: ['client-name'],
    source: 'otherCmds',
  },
  {
    path: 'reset',
    flags: ['cert-dir', 'cleanup-tmp-dir', 'config', 'cri-socket', 'dry-run', 'force', 'ignore-preflight-errors', 'kubeconfig', 'skip-phases'],
    args: NONE,
    behaviour: 'run',
    source: 'otherCmds',
  },
  { path: 'reset phase', flags: [], args: ANY, behaviour: 'unmodelled', source: 'otherCmds' },
  { path: 'version', flags: ['output'], args: ANY, behaviour: 'run', source: 'otherCmds' },
  // present in kubeadm v1.32, outside what kubemend and the lab use
  { path: 'config', flags: [], args: ANY, behaviour: 'unmodelled', source: 'cmd' },
  { path: 'upgrade', flags: [], args: ANY, behaviour: 'unmodelled', source: 'cmd' },
  { path: 'completion', flags: [], args: ANY, behaviour: 'unmodelled', source: 'cmd' },
];

/** The root command: `kubeadm` alone prints its help; an unknown first word is an error. */
export const ROOT: CommandDef = { path: '', flags: [], persistent: ['rootfs', 'v', 'vmodule'], args: ANY, behaviour: 'help', source: 'cmd' };

/** Every command of the table. */
export const COMMANDS: readonly CommandDef[] = [ROOT, ...INIT, ...JOIN, ...OTHERS];

/** The command at `path` (words after `kubeadm`), or undefined. */
export function commandAt(path: string): CommandDef | undefined {
  return COMMANDS.find((c) => c.path === path);
}

/** The direct sub-commands of `parent`. */
export function childrenOf(parent: CommandDef): CommandDef[] {
  const depth = parent.path === '' ? 1 : parent.path.split(' ').length + 1;
  const prefix = parent.path === '' ? '' : `${parent.path} `;
  return COMMANDS.filter((c) => c !== ROOT && c.path.startsWith(prefix) && c.path.split(' ').length === depth);
}

/** The last word of a command's path (its cobra name). */
export function nameOf(c: CommandDef): string {
  return c.path === '' ? 'kubeadm' : c.path.slice(c.path.lastIndexOf(' ') + 1);
}
