/**
 * kube-controller-manager's flags as kubeadm writes them, plus the lab's `--lab-eviction-timeout`;
 * timings default to the lab's short values (see spec/lab/README.md, "Timings").
 */
import { type Flags, boolFlag, durationFlag, parseFlags } from '../component-base/flags.js';

/** What the controller-manager was told to do. */
export interface Options {
  kubeconfig: string;
  controllers: string[];
  clusterSigningCertFile?: string;
  clusterSigningKeyFile?: string;
  /** `--cluster-signing-duration`: default certificate lifetime (1 year). */
  clusterSigningDurationMs: number;
  rootCaFile?: string;
  serviceAccountPrivateKeyFile?: string;
  leaderElect: boolean;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  nodeMonitorGracePeriodMs: number;
  nodeMonitorPeriodMs: number;
  evictionTimeoutMs: number;
  /** How often the polling controllers resync. */
  syncPeriodMs: number;
  /** Flags given but not used by this simulator (logged at start). */
  ignored: string[];
  /** All flags as given. */
  flags: Flags;
}

const BOOLS = new Set(['leader-elect', 'use-service-account-credentials', 'allocate-node-cidrs', 'profiling', 'configure-cloud-routes']);
const USED = new Set([
  'kubeconfig',
  'controllers',
  'cluster-signing-cert-file',
  'cluster-signing-key-file',
  'cluster-signing-duration',
  'root-ca-file',
  'service-account-private-key-file',
  'leader-elect',
  'leader-elect-lease-duration',
  'leader-elect-renew-deadline',
  'leader-elect-retry-period',
  'node-monitor-grace-period',
  'node-monitor-period',
  'lab-eviction-timeout',
  'lab-sync-period',
  'secure-port',
  'bind-address',
]);

/** Parse kube-controller-manager's argv. */
export function parseOptions(argv: readonly string[]): Options {
  const f: Flags = parseFlags(argv, BOOLS);
  const kubeconfig = f.get('kubeconfig');
  if (!kubeconfig) throw new Error('kube-controller-manager: --kubeconfig is required (the simulator has no in-cluster config)');
  return {
    kubeconfig,
    controllers: (f.get('controllers') ?? '*')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    clusterSigningCertFile: f.get('cluster-signing-cert-file'),
    clusterSigningKeyFile: f.get('cluster-signing-key-file'),
    clusterSigningDurationMs: durationFlag(f, 'cluster-signing-duration', 8760 * 3_600_000),
    rootCaFile: f.get('root-ca-file'),
    serviceAccountPrivateKeyFile: f.get('service-account-private-key-file'),
    leaderElect: boolFlag(f, 'leader-elect', true),
    leaseDurationMs: durationFlag(f, 'leader-elect-lease-duration', 6000),
    renewDeadlineMs: durationFlag(f, 'leader-elect-renew-deadline', 4000),
    retryPeriodMs: durationFlag(f, 'leader-elect-retry-period', 1000),
    nodeMonitorGracePeriodMs: durationFlag(f, 'node-monitor-grace-period', 10_000),
    nodeMonitorPeriodMs: durationFlag(f, 'node-monitor-period', 1000),
    evictionTimeoutMs: durationFlag(f, 'lab-eviction-timeout', 30_000),
    syncPeriodMs: durationFlag(f, 'lab-sync-period', 1000),
    ignored: [...f.keys()].filter((k) => !USED.has(k)),
    flags: f,
  };
}
