/**
 * Per-resource create/update rules (the real registry "strategies", reduced): defaults on create,
 * status kept apart from spec, CSR requester set from the authenticated user, generateName.
 */
import { randomBytes } from 'node:crypto';
import type { ResourceDef } from './resources.js';
import type { Obj } from './store.js';
import type { UserInfo } from './user.js';
import { invalid } from './status.js';

const ALNUM = 'bcdfghjklmnpqrstvwxz2456789';

/** A random suffix as generateName uses (5 chars from the real alphabet). */
export function nameSuffix(): string {
  return [...randomBytes(5)].map((b) => ALNUM[b % ALNUM.length]).join('');
}

/** Resources whose main-resource updates keep the stored status (status only changes through /status). */
const STATUS_SPLIT = new Set([
  'pods',
  'nodes',
  'namespaces',
  'certificatesigningrequests',
  'daemonsets',
  'deployments',
  'replicasets',
  'poddisruptionbudgets',
  'services',
]);

/** Resources whose metadata.generation counts spec changes. */
const GENERATION = new Set(['daemonsets', 'deployments', 'replicasets', 'poddisruptionbudgets']);

const NAME_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Prepare a new object for storage: name, namespace, defaults. */
export function prepareCreate(r: ResourceDef, obj: Obj, ns: string | undefined, user: UserInfo): Obj {
  obj.metadata = obj.metadata ?? {};
  const md = obj.metadata;
  if (!md.name && md.generateName) md.name = md.generateName + nameSuffix();
  if (!md.name) throw invalid(r.group, r.kind, '', 'metadata.name: Required value: name or generateName is required');
  // RBAC objects and CSRs only need a valid path segment (kubeadm names roles "kubeadm:..."); the rest are DNS subdomains.
  const pathSegmentOnly = r.group === 'rbac.authorization.k8s.io' || r.plural === 'certificatesigningrequests';
  if (pathSegmentOnly ? /[/%]/.test(md.name) || md.name === '.' || md.name === '..' : !NAME_RE.test(md.name) || md.name.length > 253) {
    throw invalid(
      r.group,
      r.kind,
      md.name,
      `metadata.name: Invalid value: "${md.name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    );
  }
  if (r.namespaced) md.namespace = ns;
  else delete md.namespace;
  switch (r.plural) {
    case 'namespaces':
      obj.spec = { finalizers: ['kubernetes'], ...(obj.spec ?? {}) };
      obj.status = { phase: 'Active' };
      md.labels = { ...(md.labels ?? {}), 'kubernetes.io/metadata.name': md.name };
      break;
    case 'pods': {
      const spec = (obj.spec = obj.spec ?? {});
      spec.restartPolicy ??= 'Always';
      spec.terminationGracePeriodSeconds ??= 30;
      spec.dnsPolicy ??= 'ClusterFirst';
      spec.serviceAccountName ??= spec.serviceAccount ?? 'default';
      spec.serviceAccount ??= spec.serviceAccountName;
      spec.schedulerName ??= 'default-scheduler';
      spec.securityContext ??= {};
      spec.enableServiceLinks ??= true;
      spec.preemptionPolicy ??= 'PreemptLowerPriority';
      spec.priority ??= 0;
      for (const c of spec.containers ?? []) {
        c.terminationMessagePath ??= '/dev/termination-log';
        c.terminationMessagePolicy ??= 'File';
        c.imagePullPolicy ??= 'IfNotPresent';
        c.resources ??= {};
      }
      obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    }
    case 'secrets':
      obj.type ??= 'Opaque';
      break;
    case 'certificatesigningrequests':
      obj.spec = obj.spec ?? {};
      obj.spec.username = user.username;
      if (user.uid) obj.spec.uid = user.uid;
      else delete obj.spec.uid;
      obj.spec.groups = user.groups;
      if (user.extra) obj.spec.extra = user.extra;
      obj.status = {};
      break;
    case 'deployments':
      md.generation = 1;
      defaultDeployment(obj);
      checkSelector(r, obj);
      obj.status = {};
      break;
    case 'replicasets':
      md.generation = 1;
      obj.spec = obj.spec ?? {};
      obj.spec.replicas ??= 1;
      obj.spec.minReadySeconds ??= 0;
      checkSelector(r, obj);
      obj.status = { replicas: 0 };
      break;
    case 'daemonsets':
      md.generation = 1;
      defaultDaemonSet(obj);
      checkSelector(r, obj);
      obj.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
      break;
    case 'poddisruptionbudgets':
      md.generation = 1;
      if (obj.spec?.minAvailable !== undefined && obj.spec?.maxUnavailable !== undefined) {
        throw invalid(r.group, r.kind, md.name, 'spec: Invalid value: policy.PodDisruptionBudgetSpec{...}: minAvailable and maxUnavailable cannot be both set');
      }
      obj.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
      break;
    default: // serviceaccounts, configmaps, leases, events: stored as given
      break;
  }
  return obj;
}

function sameSpec(a: Obj, b: Obj): boolean {
  return JSON.stringify(a.spec ?? null) === JSON.stringify(b.spec ?? null);
}

/** Merge an update into the stored object: immutable metadata kept; status or main part only, by subresource. */
export function prepareUpdate(r: ResourceDef, old: Obj, next: Obj, subresource: string | undefined): Obj {
  next.metadata = next.metadata ?? {};
  const md = next.metadata;
  md.name = old.metadata.name;
  if (r.namespaced) md.namespace = old.metadata.namespace;
  md.uid = old.metadata.uid;
  md.creationTimestamp = old.metadata.creationTimestamp;
  if (old.metadata.deletionTimestamp) md.deletionTimestamp = old.metadata.deletionTimestamp;
  if (subresource === 'status') {
    const out = structuredClone(old);
    out.status = next.status;
    out.metadata.resourceVersion = md.resourceVersion ?? old.metadata.resourceVersion;
    return out;
  }
  if (subresource === 'approval') {
    const out = structuredClone(old);
    out.status = { ...(old.status ?? {}), conditions: next.status?.conditions ?? [] };
    for (const c of out.status.conditions) {
      c.lastUpdateTime ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      c.lastTransitionTime ??= c.lastUpdateTime;
    }
    out.metadata.resourceVersion = md.resourceVersion ?? old.metadata.resourceVersion;
    return out;
  }
  if (STATUS_SPLIT.has(r.plural)) next.status = old.status;
  // Go's omitempty: an emptied map is not serialized.
  for (const k of ['data', 'binaryData', 'stringData']) if (next[k] && typeof next[k] === 'object' && Object.keys(next[k]).length === 0) delete next[k];
  if (r.plural === 'certificatesigningrequests') next.spec = old.spec; // spec is immutable
  if (r.plural === 'deployments') defaultDeployment(next);
  if (r.plural === 'daemonsets') defaultDaemonSet(next);
  if (GENERATION.has(r.plural)) md.generation = (old.metadata.generation ?? 1) + (sameSpec(old, next) ? 0 : 1);
  return next;
}

/** apps/v1 Deployment defaults (SetDefaults_Deployment): 1 replica, RollingUpdate 25%/25%, history 10, deadline 600 s. */
function defaultDeployment(obj: Obj): void {
  const spec = (obj.spec = obj.spec ?? {});
  spec.replicas ??= 1;
  spec.strategy ??= { type: 'RollingUpdate' };
  spec.strategy.type ??= 'RollingUpdate';
  if (spec.strategy.type === 'RollingUpdate') {
    spec.strategy.rollingUpdate ??= {};
    spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
    spec.strategy.rollingUpdate.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
}

/** apps/v1 DaemonSet defaults (SetDefaults_DaemonSet): RollingUpdate with maxUnavailable 1 and maxSurge 0, history 10. */
function defaultDaemonSet(obj: Obj): void {
  const spec = (obj.spec = obj.spec ?? {});
  spec.updateStrategy ??= { type: 'RollingUpdate' };
  spec.updateStrategy.type ??= 'RollingUpdate';
  if (spec.updateStrategy.type === 'RollingUpdate') {
    spec.updateStrategy.rollingUpdate ??= {};
    spec.updateStrategy.rollingUpdate.maxUnavailable ??= 1;
    spec.updateStrategy.rollingUpdate.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
}

/** The workload controllers' rule: a selector is required and must select the template's labels (the real validation message). */
function checkSelector(r: ResourceDef, obj: Obj): void {
  const sel = obj.spec?.selector;
  const labels: Record<string, string> = obj.spec?.template?.metadata?.labels ?? {};
  if (!sel || (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length)) {
    throw invalid(r.group, r.kind, obj.metadata.name, 'spec.selector: Required value');
  }
  if (Object.entries(sel.matchLabels ?? {}).some(([k, v]) => labels[k] !== v)) {
    throw invalid(
      r.group,
      r.kind,
      obj.metadata.name,
      `spec.template.metadata.labels: Invalid value: map[string]string{${Object.keys(labels)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${JSON.stringify(labels[k])}`)
        .join(', ')}}: \`selector\` does not match template \`labels\``,
    );
  }
}
