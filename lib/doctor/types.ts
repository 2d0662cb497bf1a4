/** What `kubemend doctor` gathers from a cluster (the input of diagnose) and what it concludes. */
import type { Role } from '../inventory/types.js';
import type { EtcdHealth, PkiState } from '../facts/index.js';
import type { ClusterShape } from '../facts/shape.js';
import type { EtcdTopology } from '../inventory/types.js';

/** One certificate or kubeconfig client certificate on a host. */
export interface CertFile {
  path: string;
  /** notAfter as an ISO date, or null when it could not be read. */
  expires: string | null;
  /** SHA-256 fingerprint of the CA it chains to (checked on the host), null when none of the known CAs. */
  ca: string | null;
  /** The chain check's result (`absent`: file missing; `unchecked`: not a file chained to the cluster CA). */
  chain: 'ok' | 'bad' | 'absent' | 'unchecked';
}

/** Everything doctor knows about one host. */
export interface HostFacts {
  name: string;
  role: Role;
  /** Why the host could not be read (SSH down...), or undefined. */
  error?: string;
  pki: PkiState | null;
  kubelet: boolean | null;
  files: CertFile[];
  /** The Node object's Ready state, or null when the API did not answer or has no such Node. */
  node: { ready: boolean } | 'absent' | null;
  /** kubeadm's layout or kubespray's, from the files on the host (lib/facts/shape.ts); absent when not read. */
  shape?: ClusterShape;
}

/** The facts of the whole cluster. */
export interface ClusterFacts {
  hosts: HostFacts[];
  /** etcd health seen from the first master that has its PKI, or null. */
  etcd: EtcdHealth | null;
  /** Whether the API answered through the first master's admin.conf. */
  api: 'ok' | 'unreachable';
  /** When the facts were read (ISO), for days left. */
  now: string;
  /** The inventory's kubeadmConfig file, when it has one (recover's first source of the ClusterConfiguration). */
  kubeadmConfig?: string;
  /** Where the inventory says etcd runs (its etcd group, kubespray's etcd_deployment_type), when it says. */
  inventoryEtcd?: EtcdTopology;
  /** Per master: its etcd data and how recover could read the ClusterConfiguration from it (issue 20). */
  etcdData?: EtcdDataFacts[];
}

/** A master's etcd data as a source of the cluster's configuration. */
export interface EtcdDataFacts {
  host: string;
  /** Size of member/snap/db, or undefined when there is none. */
  dbBytes?: number;
  /** `throwaway etcd from IMAGE`, or `offline reader (why no throwaway etcd)`, or kubespray's etcd service. */
  reader?: string;
  /** The ClusterConfiguration already read through a running etcd (kubespray's service): its revision and its layout fields in words. */
  config?: { revision: number; summary: string };
}

/** One problem found, in words. */
export interface Finding {
  severity: 'problem' | 'warning' | 'info';
  message: string;
}

/** A playbook to run, with its limit. */
export interface Recommendation {
  playbook: 'recover' | 'rejoin-workers' | 'renew-certs';
  limit?: string[];
  command: string;
}

/** The cluster's layout as the doctor found it (lib/doctor/layout.ts). */
export interface Layout {
  /** kubeadm's, kubespray's, or unknown when no host could be read and the inventory does not say. */
  name: 'kubeadm' | 'kubespray' | 'unknown';
  /** Where and how etcd runs, in words. */
  etcd: string;
  /** What says so: the inventory's vars, each host's kubespray files (`m1: /etc/ssl/etcd/ssl (...)`). */
  evidence: string[];
}

/** The diagnosis. */
export interface Diagnosis {
  healthy: boolean;
  /** The layout found (also a line of the findings). */
  layout: Layout;
  /** The scenario the facts look like (pki-wipe, pki-wipe-one, worker-pki, expired, healthy, mixed), or unknown when hosts that could not be read may hide it. */
  state: string;
  /** Hosts that could not be read (SSH down...). */
  unreachable?: string[];
  findings: Finding[];
  recommendations: Recommendation[];
}
