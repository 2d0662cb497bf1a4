/** The validated, typed inventory: what every other part of kubemend reads. */

/** A host's role in the cluster. */
export type Role = 'master' | 'worker';

/** How commands get root: none (log in as root), nopasswd (`sudo -n`), password (asked once, fed on stdin). */
export type SudoMode = 'none' | 'nopasswd' | 'password';

/** A jump host (ProxyJump), one hop. */
export interface JumpHost {
  host: string;
  port: number;
  user: string;
  identityFile?: string;
}

/** One host, with every SSH setting resolved (inventory defaults, per-host overrides, ~/.ssh/config). */
export interface Host {
  name: string;
  address: string;
  role: Role;
  port: number;
  user: string;
  identityFile?: string;
  sudo: SudoMode;
  jump?: JumpHost;
  labels: Record<string, string>;
  /** Further names and addresses of this node its kubelet serving certificate may hold (besides name and address), canonical. */
  servingSANs?: string[];
  /** True for the one master rebuilt first. */
  first: boolean;
}

/** SSH settings shared by all hosts of an inventory. */
export interface SshDefaults {
  user: string;
  port: number;
  identityFile?: string;
  /** known_hosts file used to check host keys (absolute path). */
  knownHosts: string;
  sudo: SudoMode;
  jump?: JumpHost;
  /** Connect timeout in ms. */
  connectTimeoutMs: number;
  /** Default per-command timeout in ms. */
  commandTimeoutMs: number;
}

/** A validated inventory. */
export interface Inventory {
  /** Absolute path of the file it came from. */
  file: string;
  cluster: string;
  /** host:port of the API endpoint (load balancer or first master). */
  controlPlaneEndpoint: string;
  /** Absolute path of a kubeadm ClusterConfiguration file, when given. */
  kubeadmConfig?: string;
  ssh: SshDefaults;
  hosts: Host[];
  /** Non-fatal findings (for example an even number of masters). */
  warnings: string[];
  /** The file format it was read from (kubemend YAML, Ansible YAML or Ansible INI). */
  format?: 'kubemend' | 'ansible-yaml' | 'ansible-ini';
}
