/**
 * Where each entry of the kubeadm v1.32 command-line table comes from: the file read, and the
 * commit (or the search index's id of the stored version, when the index gave no commit) of the
 * text read. `verified: false` marks entries written from the v1.32 reference pages' structure
 * and the project's knowledge of the source without reading that file in this session: they are
 * the ones to re-check first when a real kubeadm disagrees.
 */

/** One source text. */
export interface Source {
  repo: string;
  path: string;
  /** Git commit of the text read, when known. */
  commit?: string;
  /** The search index's id of the stored version read (when it named no commit). */
  indexId?: string;
  /** What the text shows, and why this version is taken for v1.32. */
  note: string;
  verified: boolean;
}

const K8S = 'kubernetes/kubernetes';

/** Every source the table cites, by key. */
export const SOURCES = {
  cobra: {
    repo: 'spf13/cobra',
    path: 'command.go, args.go',
    commit: 'e94f6d0dd9a5e5738dca6bce03c4b1207ffbc0ec',
    verified: true,
    note: 'v1.8.1 (the version kubernetes v1.32 vendors): Find/stripFlags/argsMinusFirstX, legacyArgs ("unknown command %q for %q"), NoArgs, MaximumNArgs ("accepts at most %d arg(s), received %d"), execute() order (flags, help, runnable, args, pre-run, required flags "required flag(s) %q not set", run).',
  },
  pflag: {
    repo: 'spf13/pflag',
    path: 'flag.go',
    commit: '2e9d26c8c37aae03e3f9d4e90b7116f5accb7cab',
    verified: true,
    note: 'v1.0.5: "unknown flag: --%s", "unknown shorthand flag: %q in -%s", "flag needs an argument: %s" / "%q in -%s", "bad flag syntax: %s", "invalid argument %q for %q flag: %v"; Visit in lexicographical order.',
  },
  runner: {
    repo: K8S,
    path: 'cmd/kubeadm/app/cmd/phases/workflow/runner.go',
    indexId: '15353514846',
    verified: true,
    note: "BindToCommand: a phase with sub-phases gets cobra.NoArgs and prints its help when run; a leaf takes its ArgsValidator, else the parent command's Args; flags are inherited by name (InheritFlags); --skip-phases is added to the main command only.",
  },
  cmd: {
    repo: K8S,
    path: 'cmd/kubeadm/app/cmd/cmd.go',
    indexId: '34059862207',
    verified: true,
    note: "NewKubeadmCommand: SilenceErrors and SilenceUsage (errors printed once by kubeadmutil.CheckErr); --rootfs is the root's persistent flag (options.AddKubeadmOtherFlags). Read as quoted (1.2x text, unchanged since) in a source walk-through.",
  },
  kubeadmGo: {
    repo: K8S,
    path: 'cmd/kubeadm/app/kubeadm.go',
    indexId: '22489558',
    verified: true,
    note: 'Run(): of klog\'s flags only "v" and "vmodule" are added ("kubeadm only exposes the klog flags covered in https://features.k8s.io/2845"): --log-file, --add-dir-header, --skip-headers and the rest are gone (an older stored version, index id 7696736759, still had them). pflag.AddGoFlag gives -v its shorthand.',
  },
  checkErr: {
    repo: K8S,
    path: 'cmd/kubeadm/app/util/error.go',
    verified: false,
    note: 'CheckErr: prints the error and "To see the stack trace of this error execute with --v=5 or higher" on stderr; exit 1 (DefaultErrorExitCode), 2 for preflight errors, 3 for validation aggregates. Output form confirmed by real kubeadm transcripts in the index (ids 6268696869, 27779874744).',
  },
  cmdutil: {
    repo: K8S,
    path: 'cmd/kubeadm/app/cmd/util/cmdutil.go',
    indexId: '207077571',
    verified: true,
    note: 'SubCmdRunE(name): no sub-command: "missing subcommand; %q is not meant to be run on its own"; unknown one: "invalid subcommand: %q" (token, certs, certs renew, kubeconfig).',
  },
  validation: {
    repo: K8S,
    path: 'cmd/kubeadm/app/apis/kubeadm/validation/validation.go',
    indexId: '45066735',
    verified: true,
    note: 'ValidateMixedArguments: when --config is set, every other set flag must be config, ignore-preflight-errors, dry-run, kubeconfig, node-name, kubeconfig-dir, upload-certs, print-join-command, rootfs, v, log-file or skip-*; else "can not mix \'--config\' with arguments %v" (pflag Visit: sorted). The newest stored text (sets.New); an older one (index id 184369432) also allowed cri-socket.',
  },
  init: {
    repo: K8S,
    path: 'cmd/kubeadm/app/cmd/init.go',
    verified: false,
    note: 'newCmdInit: Args cobra.NoArgs; AddInitConfigFlags, AddClusterConfigFlags, AddInitOtherFlags; initRunner.SetAdditionalFlags adds kubeconfig, kubeconfig-dir and the three *-extra-args for the phases only; newInitData starts with ValidateMixedArguments.',
  },
  join: {
    repo: K8S,
    path: 'cmd/kubeadm/app/cmd/join.go',
    verified: false,
    note: 'newCmdJoin: Use "join [api-server-endpoint]", Args cobra.MaximumNArgs(1); addJoinConfigFlags, addJoinOtherFlags; newJoinData starts with ValidateMixedArguments.',
  },
  certsPhase: {
    repo: K8S,
    path: 'cmd/kubeadm/app/cmd/phases/init/certs.go',
    indexId: '457195454',
    verified: true,
    note: 'getCertPhaseFlags: cert-dir, config, kubernetes-version, dry-run; "all" and "apiserver" add apiserver-advertise-address, control-plane-endpoint, apiserver-cert-extra-sans, service-dns-domain, service-cidr (no node-name); the "sa" sub-phase inherits only cert-dir. The newest stored text (with options.DryRun).',
  },
  kubeconfigPhase: {
    repo: K8S,
    path: 'cmd/kubeadm/app/cmd/phases/init/kubeconfig.go',
    indexId: '316095056',
    verified: true,
    note: 'getKubeConfigPhaseFlags: apiserver-advertise-address, control-plane-endpoint, apiserver-bind-port, cert-dir, config, kubeconfig-dir, kubernetes-version, dry-run; node-name only for "all" and "kubelet". The newest stored text.',
  },
  uploadCerts: {
    repo: K8S,
    path: 'cmd/kubeadm/app/cmd/phases/init/uploadcerts.go',
    commit: '0ccffebcbcb82780138e4c43d9295ea3de40fde1',
    verified: true,
    note: 'InheritFlags: config, upload-certs, certificate-key, skip-certificate-key-print (no dry-run, no kubeconfig). Text with pkg/errors and util/log (1.31-1.32 era).',
  },
  uploadConfig: {
    repo: K8S,
    path: 'cmd/kubeadm/app/cmd/phases/init/uploadconfig.go',
    indexId: '35097525',
    verified: true,
    note: 'all, kubeadm, kubelet; getUploadConfigPhaseFlags: config, kubeconfig, dry-run; alias "uploadconfig". The newest stored text (an older one had cri-socket too).',
  },
  kubeletFinalize: {
    repo: K8S,
    path: 'cmd/kubeadm/app/cmd/phases/init/kubeletfinalize.go',
    indexId: '327859941',
    verified: true,
    note: 'kubelet-finalize: "all" and "enable-client-cert-rotation" (exists in v1.32), both InheritFlags config, cert-dir, dry-run.',
  },
  initPhases: {
    repo: K8S,
    path: 'cmd/kubeadm/app/cmd/phases/init/{preflight,etcd,controlplane,kubelet,waitcontrolplane,markcontrolplane,bootstraptoken,addons,showjoincommand}.go',
    verified: false,
    note: 'InheritFlags of these init phases as the v1.32 reference pages list them (kubeadm_init_phase_*.md); not re-read in this session.',
  },
  cpPrepare: {
    repo: K8S,
    path: 'cmd/kubeadm/app/cmd/phases/join/controlplaneprepare.go',
    commit: '04791b4906602ffda5ccf9bc4c84d3329f1d7080',
    verified: true,
    note: '"all [api-server-endpoint]", "download-certs [api-server-endpoint]", "certs [api-server-endpoint]", "kubeconfig [api-server-endpoint]" take the join command\'s MaximumNArgs(1); "control-plane" has cobra.NoArgs. getControlPlanePreparePhaseFlags per sub-phase (no dry-run in this text; download-certs and kubeconfig have no node-name).',
  },
  cpJoin: {
    repo: K8S,
    path: 'cmd/kubeadm/app/cmd/phases/join/controlplanejoin.go',
    indexId: '17474378362',
    verified: true,
    note: 'all, etcd, update-status, mark-control-plane, each cobra.NoArgs; getControlPlaneJoinPhaseFlags: config, control-plane, node-name (+patches for all/etcd, +apiserver-advertise-address except mark-control-plane, +dry-run except update-status). The pkg/errors text (<= v1.32); the newest text (index id 92597886) moved the etcd sub-phase to a top-level "etcd-join" phase.',
  },
  joinKubelet: {
    repo: K8S,
    path: 'cmd/kubeadm/app/cmd/phases/join/kubelet.go',
    indexId: '488198003',
    verified: true,
    note: '"kubelet-start [api-server-endpoint]" (join\'s MaximumNArgs(1)); InheritFlags config, cri-socket, node-name, discovery-file, discovery-token, discovery-token-ca-cert-hash, discovery-token-unsafe-skip-ca-verification, tls-bootstrap-token, token, patches, dry-run. Text with kubelet-wait-bootstrap (ControlPlaneKubeletLocalMode, 1.31+).',
  },
  joinPhases: {
    repo: K8S,
    path: 'cmd/kubeadm/app/cmd/phases/join/{preflight,waitcontrolplane}.go',
    verified: false,
    note: 'join phase preflight takes the endpoint (no ArgsValidator) and the discovery, control-plane and certificate-key flags; not re-read in this session.',
  },
  token: {
    repo: K8S,
    path: 'cmd/kubeadm/app/cmd/token.go',
    indexId: '236851769',
    verified: true,
    note: 'token: persistent --kubeconfig and --dry-run, RunE SubCmdRunE("token"); create [token]: no Args validator (args[0] is the token), ValidateMixedArguments, flags config, print-join-command, certificate-key and the bootstrap-token options (ttl, usages, groups, description); delete needs at least one token (checked in RunE); list has the output flags.',
  },
  otherCmds: {
    repo: K8S,
    path: 'cmd/kubeadm/app/cmd/{certs,kubeconfig,reset,version}.go',
    verified: false,
    note: 'certs renew <name> (cert-dir, config, kubeconfig), check-expiration (+ output flags), certificate-key; kubeconfig user (client-name required, org, token, validity-period, config); reset (cert-dir, cleanup-tmp-dir, config, cri-socket, dry-run, -f/--force, ignore-preflight-errors, kubeconfig, skip-phases); version (-o/--output). As the v1.32 reference pages list them; not re-read in this session.',
  },
  etcdClient: {
    repo: K8S,
    path: 'cmd/kubeadm/app/util/etcd/etcd.go',
    indexId: '54050095241',
    verified: true,
    note: 'The v1.31+ client (v1beta4 timeouts), read in a verbatim copy (deckhouse/deckhouse go_lib/controlplane/client/etcd): every call retried every constants.EtcdAPICallRetryInterval (500ms) until GetActiveTimeouts().EtcdAPICall (default 2m), each attempt with etcdTimeout 2s; addMember lists first and returns if the peer URL exists, treats ErrPeerURLExist as done, retries any other error (etcdserver: unhealthy cluster included); MemberPromote likewise; WaitForClusterAvailable: etcdHealthyCheckRetries 8 x etcdHealthyCheckInterval 5s of Status on every endpoint.',
  },
  etcdImage: {
    repo: K8S,
    path: 'cluster/images/etcd/Dockerfile',
    commit: '147581efd2a5c78d2d0b56e98ba68a9f82287da7',
    verified: true,
    note: 'registry.k8s.io/etcd: distroless runner with /bin/sh (bash-static), /bin/cp*, /usr/local/bin/etcd*, etcdctl*, migrate-if-needed.sh, migrate; nothing else (no ls, cat, grep).',
  },
} satisfies Record<string, Source>;

/** A source key. */
export type SourceKey = keyof typeof SOURCES;
