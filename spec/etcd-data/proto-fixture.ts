/**
 * A v1.ConfigMap encoded the way kube-apiserver stores it with protobuf storage: `k8s\0`, then
 * runtime.Unknown{typeMeta{apiVersion, kind}, raw: ConfigMap{metadata{name 1, namespace 3, uid 5,
 * resourceVersion 6}, data 2 (map entries: key 1, value 2)}, contentType 4}. Field numbers from
 * k8s.io/api/core/v1/generated.proto and apimachinery runtime/generated.proto.
 */
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/** The stored bytes of ConfigMap namespace/name with `data`. */
export function protoConfigMap(namespace: string, name: string, data: Record<string, string>, apiVersion = 'v1', kind = 'ConfigMap'): Buffer {
  const cm = new BinaryWriter();
  cm.tag(1, WireType.LengthDelimited)
    .fork()
    .tag(1, WireType.LengthDelimited)
    .string(name)
    .tag(3, WireType.LengthDelimited)
    .string(namespace)
    .tag(5, WireType.LengthDelimited)
    .string('0b6f2a4e-5d9c-4f3e-9a51-3c7d2e8b1f00')
    .join();
  for (const [k, v] of Object.entries(data)) {
    cm.tag(2, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string(k).tag(2, WireType.LengthDelimited).string(v).join();
  }
  const u = new BinaryWriter()
    .tag(1, WireType.LengthDelimited)
    .fork()
    .tag(1, WireType.LengthDelimited)
    .string(apiVersion)
    .tag(2, WireType.LengthDelimited)
    .string(kind)
    .join()
    .tag(2, WireType.LengthDelimited)
    .bytes(cm.finish())
    .tag(4, WireType.LengthDelimited)
    .string('')
    .finish();
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from(u)]);
}

/** The stored bytes of the same ConfigMap as JSON (what the lab's apiserver writes). */
export function jsonConfigMap(namespace: string, name: string, data: Record<string, string>): Buffer {
  return Buffer.from(
    JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name, namespace, uid: '0b6f2a4e-5d9c-4f3e-9a51-3c7d2e8b1f00' }, data }) + '\n',
  );
}

/** A ClusterConfiguration of kubeadm v1beta3 (extraArgs a map) or v1beta4 (a list of name/value). */
export function clusterConfigurationText(v: 'v1beta3' | 'v1beta4', endpoint = '10.0.1.1:6443'): string {
  const args =
    v === 'v1beta3'
      ? '  extraArgs:\n    authorization-mode: Node,RBAC\n    audit-log-maxage: "30"\n'
      : '  extraArgs:\n  - name: authorization-mode\n    value: Node,RBAC\n  - name: audit-log-maxage\n    value: "30"\n';
  return `apiServer:
  certSANs:
  - ${endpoint.split(':')[0]}
  - kubernetes.example.test
${args}apiVersion: kubeadm.k8s.io/${v}
clusterName: prod-eu
controlPlaneEndpoint: ${endpoint}
kind: ClusterConfiguration
kubernetesVersion: v1.32.4
networking:
  dnsDomain: cluster.local
  podSubnet: 10.244.0.0/16
  serviceSubnet: 10.96.0.0/12
`;
}

/** A KubeletConfiguration as kubeadm stores it in kubelet-config. */
export const KUBELET_CONFIGURATION = `apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
cgroupDriver: systemd
clusterDNS:
- 10.96.0.10
clusterDomain: cluster.local
kind: KubeletConfiguration
rotateCertificates: true
serverTLSBootstrap: true
staticPodPath: /etc/kubernetes/manifests
`;
