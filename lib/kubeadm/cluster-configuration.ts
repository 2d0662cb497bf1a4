/**
 * The fields of a kubeadm ClusterConfiguration that kubemend reads (the same in v1beta3 and
 * v1beta4: cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go ClusterConfiguration, Etcd, LocalEtcd,
 * ExternalEtcd), as the YAML parser gives them: every field may be missing.
 */
import { parseAllDocuments } from 'yaml';

/** A ClusterConfiguration as read from YAML: only the fields kubemend looks at, each optional. */
export interface ClusterConfigurationFields {
  kind?: string;
  controlPlaneEndpoint?: string;
  certificatesDir?: string;
  kubernetesVersion?: string;
  etcd?: {
    local?: { dataDir?: string };
    external?: { endpoints?: string[]; caFile?: string; certFile?: string; keyFile?: string };
  };
}

/** The ClusterConfiguration document of a kubeadm config (one or several YAML documents), or undefined when it has none. */
export function findClusterConfiguration(yaml: string): ClusterConfigurationFields | undefined {
  return (
    parseAllDocuments(yaml)
      .map((d) => d.toJS() as ClusterConfigurationFields | null)
      .find((o) => o?.kind === 'ClusterConfiguration') ?? undefined
  );
}
