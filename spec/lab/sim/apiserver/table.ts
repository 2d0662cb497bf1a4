/**
 * Server-side printing: `meta.k8s.io/v1 Table` responses with the real apiserver's columns for the
 * resources kubectl lists in the lab (nodes, pods, csr, secrets, configmaps, ...).
 */
import { age, humanDuration } from './age.js';
import type { ResourceDef } from './resources.js';
import type { Obj } from './store.js';

interface Col {
  name: string;
  type: string;
  format?: string;
  description: string;
  priority: number;
}

const c = (name: string, type = 'string', priority = 0, format = ''): Col => ({ name, type, format, description: '', priority });
const NAME = c('Name', 'string', 0, 'name');

function nodeRow(n: Obj): unknown[] {
  const ready = (n.status?.conditions ?? []).find((x: any) => x.type === 'Ready');
  let status = ready?.status === 'True' ? 'Ready' : 'NotReady';
  if (!ready) status = 'Unknown';
  if (n.spec?.unschedulable) status += ',SchedulingDisabled';
  const roles = Object.keys(n.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .filter(Boolean)
    .sort();
  const addr = (t: string) => (n.status?.addresses ?? []).find((a: any) => a.type === t)?.address ?? '<none>';
  const ni = n.status?.nodeInfo ?? {};
  return [
    n.metadata.name,
    status,
    roles.length ? roles.join(',') : '<none>',
    age(n.metadata.creationTimestamp),
    ni.kubeletVersion ?? '',
    addr('InternalIP'),
    addr('ExternalIP'),
    ni.osImage ?? '<unknown>',
    ni.kernelVersion ?? '<unknown>',
    ni.containerRuntimeVersion ?? '<unknown>',
  ];
}

function podRow(p: Obj): unknown[] {
  const specCount = (p.spec?.containers ?? []).length;
  const statuses: any[] = p.status?.containerStatuses ?? [];
  let reason: string = p.status?.reason || p.status?.phase || 'Pending';
  let restarts = 0;
  let ready = 0;
  let lastRestart: number | undefined;
  for (const cs of statuses) {
    restarts += cs.restartCount ?? 0;
    const fin = cs.lastState?.terminated?.finishedAt;
    if (fin) lastRestart = Math.max(lastRestart ?? 0, Date.parse(fin));
    if (cs.state?.waiting?.reason) reason = cs.state.waiting.reason;
    else if (cs.state?.terminated?.reason) reason = cs.state.terminated.reason;
    else if (cs.state?.terminated) reason = cs.state.terminated.signal ? `Signal:${cs.state.terminated.signal}` : `ExitCode:${cs.state.terminated.exitCode}`;
    else if (cs.ready && cs.state?.running) ready++;
  }
  if (p.metadata.deletionTimestamp) reason = p.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  const restartText = lastRestart ? `${restarts} (${humanDuration((Date.now() - lastRestart) / 1000)} ago)` : String(restarts);
  const gates = (p.spec?.readinessGates ?? []).length;
  return [
    p.metadata.name,
    `${ready}/${specCount}`,
    reason,
    restartText,
    age(p.metadata.creationTimestamp),
    p.status?.podIP || '<none>',
    p.spec?.nodeName || '<none>',
    p.status?.nominatedNodeName || '<none>',
    gates ? `0/${gates}` : '<none>',
  ];
}

function csrRow(r: Obj): unknown[] {
  const conds: any[] = r.status?.conditions ?? [];
  let cond = conds.length ? conds.map((x) => x.type).join(',') : 'Pending';
  if (r.status?.certificate && conds.some((x) => x.type === 'Approved')) cond += ',Issued';
  const dur = r.spec?.expirationSeconds ? humanDuration(r.spec.expirationSeconds) : '<none>';
  return [r.metadata.name, age(r.metadata.creationTimestamp), r.spec?.signerName ?? '', r.spec?.username ?? '', dur, cond];
}

/** The wide columns of Deployments and ReplicaSets: container names, images, the selector (metav1.FormatLabelSelector). */
function workloadWide(o: Obj): string[] {
  const cs: Obj[] = o.spec?.template?.spec?.containers ?? [];
  const sel = o.spec?.selector ?? {};
  const parts = [
    ...Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(sel.matchExpressions ?? []).map((e: Obj) =>
      e.operator === 'Exists' ? e.key : e.operator === 'DoesNotExist' ? `!${e.key}` : `${e.key} ${e.operator.toLowerCase()} (${(e.values ?? []).join(',')})`,
    ),
  ];
  return [cs.map((x) => x.name).join(','), cs.map((x) => x.image).join(','), parts.join(',') || '<none>'];
}

const sizeOf = (o: Obj) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length;

const PRINTERS: Record<string, { cols: Col[]; row: (o: Obj) => unknown[] }> = {
  nodes: {
    cols: [
      NAME,
      c('Status'),
      c('Roles'),
      c('Age'),
      c('Version'),
      c('Internal-IP', 'string', 1),
      c('External-IP', 'string', 1),
      c('OS-Image', 'string', 1),
      c('Kernel-Version', 'string', 1),
      c('Container-Runtime', 'string', 1),
    ],
    row: nodeRow,
  },
  pods: {
    cols: [
      NAME,
      c('Ready'),
      c('Status'),
      c('Restarts', 'string'),
      c('Age'),
      c('IP', 'string', 1),
      c('Node', 'string', 1),
      c('Nominated Node', 'string', 1),
      c('Readiness Gates', 'string', 1),
    ],
    row: podRow,
  },
  certificatesigningrequests: { cols: [NAME, c('Age'), c('SignerName'), c('Requestor'), c('RequestedDuration'), c('Condition')], row: csrRow },
  secrets: {
    cols: [NAME, c('Type'), c('Data', 'string'), c('Age')],
    row: (s) => [s.metadata.name, s.type ?? 'Opaque', sizeOf(s), age(s.metadata.creationTimestamp)],
  },
  configmaps: { cols: [NAME, c('Data', 'string'), c('Age')], row: (m) => [m.metadata.name, sizeOf(m), age(m.metadata.creationTimestamp)] },
  namespaces: { cols: [NAME, c('Status'), c('Age')], row: (n) => [n.metadata.name, n.status?.phase ?? 'Active', age(n.metadata.creationTimestamp)] },
  serviceaccounts: {
    cols: [NAME, c('Secrets', 'string'), c('Age')],
    row: (s) => [s.metadata.name, (s.secrets ?? []).length, age(s.metadata.creationTimestamp)],
  },
  leases: { cols: [NAME, c('Holder'), c('Age')], row: (l) => [l.metadata.name, l.spec?.holderIdentity ?? '', age(l.metadata.creationTimestamp)] },
  daemonsets: {
    cols: [
      NAME,
      c('Desired', 'integer'),
      c('Current', 'integer'),
      c('Ready', 'integer'),
      c('Up-to-date', 'integer'),
      c('Available', 'integer'),
      c('Node Selector'),
      c('Age'),
    ],
    row: (d) => {
      const s = d.status ?? {};
      const sel = Object.entries(d.spec?.template?.spec?.nodeSelector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      return [
        d.metadata.name,
        s.desiredNumberScheduled ?? 0,
        s.currentNumberScheduled ?? 0,
        s.numberReady ?? 0,
        s.updatedNumberScheduled ?? 0,
        s.numberAvailable ?? 0,
        sel || '<none>',
        age(d.metadata.creationTimestamp),
      ];
    },
  },
  deployments: {
    cols: [
      NAME,
      c('Ready'),
      c('Up-to-date', 'integer'),
      c('Available', 'integer'),
      c('Age'),
      c('Containers', 'string', 1),
      c('Images', 'string', 1),
      c('Selector', 'string', 1),
    ],
    row: (d) => {
      const s = d.status ?? {};
      return [
        d.metadata.name,
        `${s.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
        s.updatedReplicas ?? 0,
        s.availableReplicas ?? 0,
        age(d.metadata.creationTimestamp),
        ...workloadWide(d),
      ];
    },
  },
  replicasets: {
    cols: [
      NAME,
      c('Desired', 'integer'),
      c('Current', 'integer'),
      c('Ready', 'integer'),
      c('Age'),
      c('Containers', 'string', 1),
      c('Images', 'string', 1),
      c('Selector', 'string', 1),
    ],
    row: (r) => [
      r.metadata.name,
      r.spec?.replicas ?? 0,
      r.status?.replicas ?? 0,
      r.status?.readyReplicas ?? 0,
      age(r.metadata.creationTimestamp),
      ...workloadWide(r),
    ],
  },
  poddisruptionbudgets: {
    cols: [NAME, c('Min Available'), c('Max Unavailable'), c('Allowed Disruptions', 'integer'), c('Age')],
    row: (p) => [
      p.metadata.name,
      p.spec?.minAvailable !== undefined ? String(p.spec.minAvailable) : 'N/A',
      p.spec?.maxUnavailable !== undefined ? String(p.spec.maxUnavailable) : 'N/A',
      p.status?.disruptionsAllowed ?? 0,
      age(p.metadata.creationTimestamp),
    ],
  },
  events: {
    cols: [c('Last Seen'), c('Type'), c('Reason'), c('Object'), c('Message')],
    row: (e) => [
      age(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp),
      e.type ?? '',
      e.reason ?? '',
      `${(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}`,
      e.message ?? '',
    ],
  },
};

const DEFAULT_PRINTER = { cols: [NAME, c('Created At', 'date')], row: (o: Obj) => [o.metadata.name, o.metadata.creationTimestamp] };

/** True when the Accept header asks for a Table. */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

/** Render objects as a `meta.k8s.io/v1` Table; `includeObject` is `None`, `Metadata` (default) or `Object`. */
export function toTable(r: ResourceDef, objs: Obj[], listMeta: Record<string, unknown>, includeObject = 'Metadata'): Obj {
  const pr = PRINTERS[r.plural] ?? DEFAULT_PRINTER;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: pr.cols,
    rows: objs.map((o) => {
      const row: Obj = { cells: pr.row(o) };
      if (includeObject === 'Object') row.object = o;
      else if (includeObject !== 'None') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
      return row;
    }),
  };
}
