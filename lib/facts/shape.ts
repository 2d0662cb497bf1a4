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
import type { Role } from '../inventory/types.js';

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
  const present = new Set(
    out
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );
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

const has = (s: ClusterShape, path: string): boolean => s.found.some((m) => m.path === path);
/** What a kubespray-built master must hold for recover to keep its etcd: the service, its settings and certificates. */
const ETCD_SERVICE = ['/etc/systemd/system/etcd.service', '/etc/etcd.env', '/etc/ssl/etcd/ssl'];

/**
 * The layout recover repairs on these hosts, or why it cannot (pure): kubeadm's when no host shows
 * a kubespray file; kubespray's default when every etcd member runs kubespray's etcd service, no other
 * host runs it, and the workers' local proxy is nginx-proxy (or none). The etcd members are
 * `etcdGroup` (the inventory's etcd group, which may hold hosts that are not masters), else the
 * masters. A master outside the etcd group must hold /etc/ssl/etcd/ssl (kubespray gives it ca.pem and
 * its node pair: roles/etcd/tasks/gen_nodes_certs_script.yml; step 8 joins it without download-certs:
 * playbooks/recover/join-prepare.ts). The other kubespray shapes are refused, each reason naming its host.
 */
export function repairableLayout(
  shapes: ReadonlyArray<{ host: string; role: Role; shape: ClusterShape }>,
  etcdGroup: readonly string[] = [],
): { layout: 'kubeadm' | 'kubespray' } | { refused: string[] } {
  if (shapes.every((s) => s.shape.layout === 'kubeadm')) return { layout: 'kubeadm' };
  const why: string[] = [];
  const grouped = etcdGroup.length > 0;
  const member = (s: { host: string; role: Role }) => (grouped ? etcdGroup.includes(s.host) : s.role === 'master');
  const masters = shapes.filter((s) => s.role === 'master');
  for (const m of shapes.filter(member)) {
    const missing = ETCD_SERVICE.filter((p) => !has(m.shape, p));
    if (missing.length)
      why.push(
        `${m.host} (${m.role === 'master' ? 'a master' : m.role}${grouped ? ", in the inventory's etcd group" : ''}) has no ${missing.join(', ')}: kubespray's etcd service is not there to be kept (etcd_deployment_type kubeadm or docker is not repaired on kubespray's layout)`,
      );
    if (m.role === 'worker')
      why.push(
        `${m.host} is a worker and an etcd member: a Kubernetes node that is also kubespray's etcd member is not repaired yet (only masters and etcd-only hosts)`,
      );
  }
  const outside = masters.filter((m) => !member(m));
  for (const m of outside) {
    if (!has(m.shape, '/etc/ssl/etcd/ssl'))
      why.push(`${m.host} (a master outside the inventory's etcd group) has no /etc/ssl/etcd/ssl: the etcd client certificate its apiserver uses is not there`);
  }
  for (const o of shapes.filter((s) => !member(s) && has(s.shape, '/etc/systemd/system/etcd.service'))) {
    why.push(
      grouped
        ? `${o.host} (${o.role}) runs kubespray's etcd service and is not in the inventory's etcd group`
        : `${o.host} (${o.role}) runs kubespray's etcd service and is not a master: list kubespray's etcd group in the inventory`,
    );
  }
  for (const h of shapes.filter((s) => has(s.shape, '/etc/kubernetes/manifests/haproxy.yml'))) {
    why.push(`${h.host} runs kubespray's haproxy local API proxy: only the nginx-proxy one is repaired yet`);
  }
  return why.length ? { refused: why } : { layout: 'kubespray' };
}
