/**
 * The lab's workloads: `apps/sa-probe` (a DaemonSet whose pods call the apiserver with a LEGACY
 * service-account token secret), `apps/plain` (a DaemonSet without any token) and the marker
 * ConfigMap `kubemend-lab/marker` that proves etcd kept its data.
 */

/** Namespace of the lab's workloads. */
export const APPS_NS = 'apps';

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
      containers:
      - name: probe
        image: registry.k8s.io/lab/sa-probe:1.0
        volumeMounts:
        - {name: token, mountPath: /var/run/secrets/lab, readOnly: true}
      volumes:
      - name: token
        secret: {secretName: sa-probe-token}
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
      containers:
      - name: pause
        image: registry.k8s.io/pause:3.10
`;
}
