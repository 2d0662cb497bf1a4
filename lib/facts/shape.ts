/**
 * Fact: the files that tell a kubespray-built host from a kubeadm one (read-only). kubespray
 * (kubernetes-sigs/kubespray, roles/kubespray_defaults/defaults/main/main.yml at commit 46dbdd39)
 * keeps its certificates in kube_cert_dir `/etc/kubernetes/ssl`, its kubeadm config in
 * `/etc/kubernetes/kubeadm-config.yaml`, runs etcd as a systemd service by default
 * (`etcd_deployment_type: host`: roles/etcd, `/etc/etcd.env`, `/etc/systemd/system/etcd.service`,
 * certificates in etcd_cert_dir `/etc/ssl/etcd/ssl`), its own kubelet unit reading
 * `/etc/kubernetes/kubelet.env` (roles/kubernetes/node/templates/kubelet.service.j2), and on nodes
 * that are not control planes a local API proxy static pod (`nginx-proxy.yml`, or `haproxy.yml`).
 * The etcd files and the units live outside /etc/kubernetes: they survive a wiped /etc/kubernetes.
 */
import type { Fact } from '../core/types.js';

/** One marker: a path, and what it means when it is there. */
export interface ShapeMarker {
  path: string;
  meaning: string;
}

/** The markers of kubespray's layout, in the order they are reported. */
export const KUBESPRAY_MARKERS: readonly ShapeMarker[] = [
  { path: '/etc/systemd/system/etcd.service', meaning: 'etcd as a systemd service (kubespray etcd_deployment_type host or docker)' },
  { path: '/etc/etcd.env', meaning: "kubespray's etcd environment file" },
  { path: '/etc/ssl/etcd/ssl', meaning: "kubespray's etcd certificates (etcd_cert_dir)" },
  { path: '/etc/kubernetes/ssl', meaning: "kubespray's certificatesDir (kube_cert_dir)" },
  { path: '/etc/kubernetes/kubeadm-config.yaml', meaning: "kubespray's kubeadm config file" },
  { path: '/etc/kubernetes/kubelet.env', meaning: "kubespray's kubelet environment (its own kubelet unit)" },
  { path: '/etc/kubernetes/manifests/nginx-proxy.yml', meaning: "kubespray's nginx-proxy (the node reaches the apiserver through localhost)" },
  { path: '/etc/kubernetes/manifests/haproxy.yml', meaning: "kubespray's haproxy local API proxy" },
];

/** What a host's layout looks like. */
export interface ClusterShape {
  /** `kubespray` when any marker is there, else `kubeadm`. */
  layout: 'kubeadm' | 'kubespray';
  /** The markers found. */
  found: ShapeMarker[];
}

/** Parse the output of clusterShape's script (one present path a line). */
export function parseShape(out: string): ClusterShape {
  const present = new Set(out.split('\n').map((l) => l.trim()).filter(Boolean));
  const found = KUBESPRAY_MARKERS.filter((m) => present.has(m.path));
  return { layout: found.length ? 'kubespray' : 'kubeadm', found };
}

/** Which of KUBESPRAY_MARKERS exist on the host (files, folders or links). */
export const clusterShape: Fact<ClusterShape> = {
  id: 'kubemend:cluster-shape',
  argv: ['sh', '-c', 'for f; do if [ -e "$f" ] || [ -L "$f" ]; then echo "$f"; fi; done; exit 0', 'sh', ...KUBESPRAY_MARKERS.map((m) => m.path)],
  parse: (out) => parseShape(out),
};

/** The shapes found per host, in words for an error or a report (`m1: PATH (meaning), ...`); empty when every host is kubeadm's. */
export function describeShapes(shapes: ReadonlyArray<{ host: string; shape: ClusterShape }>): string[] {
  return shapes.filter((s) => s.shape.found.length).map((s) => `${s.host}: ${s.shape.found.map((m) => `${m.path} (${m.meaning})`).join(', ')}`);
}
