/** The validated, typed inventory: what every other part of kubemend reads. */

/** A host's role in the cluster: `etcd` is a member of a separate etcd cluster that is neither master nor node (Ansible inventories only). */
export type Role = 'master' | 'worker' | 'etcd';

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
  /** True for the one master rebuilt first: written `first: true`, else the first master listed (recover may choose another: lib/core/hosts.ts). */
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
  /** The master written `first: true` in the inventory, when one is (otherwise the first master listed is first). */
  firstGiven?: string;
  ssh: SshDefaults;
  hosts: Host[];
  /** Non-fatal findings (for example an even number of masters). */
  warnings: string[];
  /** The file format it was read from (kubemend YAML, Ansible YAML or Ansible INI). */
  format?: 'kubemend' | 'ansible-yaml' | 'ansible-ini';
  /** Where etcd runs (absent: stacked on the masters, kubeadm's default). */
  etcd?: EtcdTopology;
  /** Ansible groups: name -> every host in it (through child groups too), in Ansible's order; for --limit. */
  groups?: Record<string, string[]>;
  /** Ansible groups as written: own hosts and child groups; for `kubemend inventory`. */
  groupTree?: Record<string, { hosts: string[]; children: string[] }>;
  /** Where each value came from: `file:line`, `ssh -G`, `default`, ... */
  origins?: InventoryOrigins;
  /** Who read an Ansible inventory (`ansible-inventory` or kubemend's reader) and the group_vars/host_vars files read. */
  reader?: { reference: string; varsFiles: string[] };
}

/** Where etcd runs. */
export interface EtcdTopology {
  /** `stacked`: a member on every master and nowhere else (kubeadm's default); `separate`: otherwise. */
  placement: 'stacked' | 'separate';
  /** Names of the hosts that run an etcd member, in inventory order. */
  members: string[];
  /** Why this placement, in words. */
  reason: string;
  /** kubespray's etcd_deployment_type when the inventory sets it (`host`: a systemd service, kubespray's default). */
  deploymentType?: string;
}

/** The per-host settings whose origin is recorded. */
export type HostField = 'role' | 'address' | 'port' | 'user' | 'identityFile' | 'sudo' | 'jump' | 'labels';

/** Where values came from: `inventory.ini:12`, `group_vars/all/all.yml:3`, `ssh -G`, `~/.ssh/config`, `default`, `--cluster-name`. */
export interface InventoryOrigins {
  cluster: string;
  controlPlaneEndpoint: string;
  etcd: string;
  hosts: Record<string, Partial<Record<HostField, string>>>;
}
