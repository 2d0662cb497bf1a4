/**
 * The lab's workloads, applied after the nodes are Ready, beside kubeadm's own add-ons (the
 * kube-proxy DaemonSet and the CoreDNS Deployment in kube-system, whose pods hold projected
 * tokens). In-cluster clients (lab-workload: the CA read once, the token file re-read, a call to
 * the apiserver every 2 s, its last success reported in /run/lab/workloads/<ns>_<pod>.client):
 * - `kube-system/coredns` gets a PodDisruptionBudget (minAvailable 1);
 * - `apps/web`: a Deployment (2 replicas) with a projected token;
 * - `apps/agent`: a DaemonSet with a projected token;
 * - `apps/batch`: a ReplicaSet of its own (2 replicas, no Deployment: restarted only by eviction)
 *   with a PodDisruptionBudget (maxUnavailable 1);
 * - `apps/sa-probe`: a DaemonSet with a LEGACY service-account token Secret (`sa-probe-token`).
 * Without credentials (must never be restarted by a repair): `apps/plain` (DaemonSet) and
 * `apps/static` (Deployment, 2 replicas: not a DaemonSet pod, so node-lifecycle eviction takes it
 * from a NotReady node). And the marker ConfigMap `kubemend-lab/marker` that proves etcd kept its data.
 */

/** Namespace of the lab's workloads. */
export const APPS_NS = 'apps';

/** Namespaces whose pods the lab watches (its own and kubeadm's add-ons). */
export const WORKLOAD_NAMESPACES = ['kube-system', APPS_NS];

const container = (name: string, image: string, mounts = '') => `      containers:
      - name: ${name}
        image: ${image}${mounts}`;

/** The manifests applied with `kubectl apply -f -` after the nodes are Ready. */
export function workloadManifests(createdAt: string): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: ${APPS_NS}}
---
apiVersion: v1
kind: Namespace
metadata: {name: kubemend-lab}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: marker, namespace: kubemend-lab}
data:
  createdAt: "${createdAt}"
  note: "made by scripts/lab up; must survive any repair (etcd data kept)"
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: coredns, namespace: kube-system}
spec:
  minAvailable: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa-probe, namespace: ${APPS_NS}}
automountServiceAccountToken: false
---
apiVersion: v1
kind: Secret
metadata:
  name: sa-probe-token
  namespace: ${APPS_NS}
  annotations: {kubernetes.io/service-account.name: sa-probe}
type: kubernetes.io/service-account-token
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: sa-probe, namespace: ${APPS_NS}, labels: {app: sa-probe}}
spec:
  selector: {matchLabels: {app: sa-probe}}
  template:
    metadata: {labels: {app: sa-probe}}
    spec:
      serviceAccountName: sa-probe
      automountServiceAccountToken: false
${container(
  'probe',
  'registry.k8s.io/lab/sa-probe:1.0',
  `
        volumeMounts:
        - {name: token, mountPath: /var/run/secrets/lab, readOnly: true}`,
)}
      volumes:
      - name: token
        secret: {secretName: sa-probe-token}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: ${APPS_NS}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${APPS_NS}, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
${container('web', 'registry.k8s.io/lab/api-client:1.0')}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: agent, namespace: ${APPS_NS}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ${APPS_NS}, labels: {app: agent}}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      serviceAccountName: agent
${container('agent', 'registry.k8s.io/lab/api-client:1.0')}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: batch, namespace: ${APPS_NS}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: batch, namespace: ${APPS_NS}, labels: {app: batch}}
spec:
  replicas: 2
  selector: {matchLabels: {app: batch}}
  template:
    metadata: {labels: {app: batch}}
    spec:
      serviceAccountName: batch
${container('batch', 'registry.k8s.io/lab/api-client:1.0')}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: batch, namespace: ${APPS_NS}}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: batch}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: plain, namespace: ${APPS_NS}, labels: {app: plain}}
spec:
  selector: {matchLabels: {app: plain}}
  template:
    metadata: {labels: {app: plain}}
    spec:
      automountServiceAccountToken: false
${container('pause', 'registry.k8s.io/pause:3.10')}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: static, namespace: ${APPS_NS}, labels: {app: static}}
spec:
  replicas: 2
  selector: {matchLabels: {app: static}}
  template:
    metadata: {labels: {app: static}}
    spec:
      automountServiceAccountToken: false
${container('pause', 'registry.k8s.io/pause:3.10')}
`;
}
