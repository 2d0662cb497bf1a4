/**
 * `scripts/lab status [--json] [--clients] [--dir DIR]`: the cluster's health as an operator finds
 * it: nodes (real kubectl with the admin.conf fetched from a master), etcd (the machine's `etcdctl
 * endpoint health --cluster`, from outside the hosts, with a master's certificates), which CA
 * every cert and kubeconfig of every host chains to (read over ssh, verified as `openssl verify`
 * does: fingerprints.ts), workload restarts (kube-system and apps), each in-cluster client's last
 * successful API call (the report it writes on its host) and the marker ConfigMap. JSON output is
 * sorted and holds no timestamps of its own (the clients' times only with --clients), so a no-op
 * leaves it identical. Exit 1 when not healthy.
 */
import { pathToFileURL } from 'node:url';
import { chainsOf, collectCAs, type HostChains } from './fingerprints.js';
import { kubectl, refreshAdminConf } from './kube.js';
import { parseArgs, readLab, type LabDir } from './labdir.js';
import { ssh } from './ssh.js';
import { WORKLOAD_NAMESPACES } from './workloads.js';
import { etcdctlWitness } from './etcdctl.js';

/** The status report (see the module comment). */
export interface Status {
  healthy: boolean;
  problems: string[];
  api: string;
  nodes: Record<string, string>;
  etcd: Record<string, string>;
  cas: Record<string, string>;
  hosts: Record<string, HostChains | { error: string }>;
  workloads: Record<string, { node: string; ready: boolean; restartCount: number; startedAt: string }>;
  marker: string | null;
  /** Each in-cluster client (`ns/pod`): its node, when it started, its last successful API call and last error (only with --clients). */
  clients?: Record<string, ClientReport>;
}

/** What an in-cluster client reports (lab-workload's <ns>_<pod>.client file). */
export interface ClientReport {
  node: string;
  started: string;
  lastSuccess: string | null;
  lastError: { at: string; error: string } | null;
}

/** A client whose last success is older than this (or none) is reported as a problem (3 failed calls fail its readiness within ~6 s). */
const CLIENT_STALE_MS = 30_000;

/** The reports of the in-cluster clients running on each host (read over ssh, as an operator would read a pod's files). */
async function clientReports(lab: LabDir, pods: Set<string>): Promise<Record<string, ClientReport>> {
  const out: Record<string, ClientReport> = {};
  const script = 'cd /run/lab/workloads 2>/dev/null || exit 0; for f in *.client; do [ -f "$f" ] && printf "%s\\t%s\\n" "$f" "$(cat "$f")"; done; exit 0';
  await Promise.all(
    lab.hosts.map(async (h) => {
      const r = await ssh(lab, h, ['sh', '-c', script], { timeoutMs: 30_000 });
      for (const line of r.stdout.split('\n')) {
        const m = /^([^_\t]+)_(.+)\.client\t(.*)$/.exec(line);
        if (!m || !pods.has(`${m[1]}/${m[2]}`)) continue; // a report left by a pod that is gone
        try {
          out[`${m[1]}/${m[2]}`] = { node: h.name, ...(JSON.parse(m[3]) as Omit<ClientReport, 'node'>) };
        } catch {
          // a report being written
        }
      }
    }),
  );
  return out;
}

/** etcd health per member endpoint, from the first master whose etcd answers the machine's etcdctl. */
async function etcdHealth(lab: LabDir): Promise<Record<string, string>> {
  let lastErr = 'no master';
  for (const m of lab.masters) {
    const r = await etcdctlWitness(lab.dir, m, ['endpoint', 'health', '--cluster'], 60_000);
    const out: Record<string, string> = {};
    for (const line of (r.stdout + '\n' + r.stderr).split('\n')) {
      const x = /^(https:\/\/\S+) is (healthy|unhealthy)/.exec(line);
      if (x) out[x[1]] = x[2];
    }
    if (Object.keys(out).length) return out;
    lastErr = `${m.name}: ${(r.stderr.trim().split('\n').pop() ?? '') || `exit ${r.code}`}`;
  }
  return { error: `etcdctl endpoint health: ${lastErr}` };
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** JSON with every object's keys sorted. */
export function stableJson(v: unknown): string {
  return JSON.stringify(sortKeys(v), null, 2) + '\n';
}

/** Collects the status of the lab in dir. */
export async function status(lab: LabDir, opts: { clients?: boolean } = {}): Promise<Status> {
  const problems: string[] = [];
  const fetched = await refreshAdminConf(lab);
  if (!fetched) problems.push('no master has /etc/kubernetes/admin.conf');
  const [nodesR, podsR, markerR, etcd, cas] = await Promise.all([
    kubectl(lab, ['get', 'nodes', '-o', 'json']),
    kubectl(lab, ['get', 'pods', '-A', '-o', 'json']),
    kubectl(lab, ['get', 'configmap', 'marker', '-n', 'kubemend-lab', '-o', 'json']),
    etcdHealth(lab),
    collectCAs(lab),
  ]);
  const hosts = await chainsOf(lab, cas);
  const api = nodesR.code === 0 ? 'ok' : (nodesR.stderr.trim().split('\n').pop() ?? `exit ${nodesR.code}`);
  if (api !== 'ok') problems.push(`kubectl get nodes: ${api}`);
  const nodes: Record<string, string> = {};
  for (const h of lab.hosts) nodes[h.name] = nodesR.code === 0 ? 'Absent' : 'Unknown';
  if (nodesR.code === 0) {
    for (const n of JSON.parse(nodesR.stdout).items as any[]) {
      nodes[n.metadata.name] = n.status?.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True' ? 'Ready' : 'NotReady';
    }
  }
  for (const [n, s] of Object.entries(nodes)) if (api === 'ok' && s !== 'Ready') problems.push(`node ${n} ${s}`);
  for (const [e, s] of Object.entries(etcd)) if (s !== 'healthy') problems.push(`etcd ${e}: ${s}`);
  const workloads: Status['workloads'] = {};
  const podItems: any[] =
    podsR.code === 0
      ? (JSON.parse(podsR.stdout).items as any[]).filter(
          (p) => WORKLOAD_NAMESPACES.includes(p.metadata.namespace) && !p.metadata.annotations?.['kubernetes.io/config.mirror'],
        )
      : [];
  if (podsR.code === 0) {
    for (const p of podItems) {
      const cs = p.status?.containerStatuses?.[0];
      workloads[`${p.metadata.namespace}/${p.metadata.name}`] = {
        node: p.spec?.nodeName ?? '',
        ready: !!p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'),
        restartCount: cs?.restartCount ?? 0,
        startedAt: cs?.state?.running?.startedAt ?? '',
      };
    }
    for (const [n, w] of Object.entries(workloads)) if (!w.ready) problems.push(`pod ${n} not Ready`);
  }
  const clients = await clientReports(lab, new Set(Object.keys(workloads)));
  for (const [id, c] of Object.entries(clients)) {
    if (!workloads[id]) continue;
    const age = c.lastSuccess ? Date.now() - Date.parse(c.lastSuccess) : Infinity;
    if (age > CLIENT_STALE_MS)
      problems.push(
        `client ${id}: no successful API call ${c.lastSuccess ? 'for over 30 s' : 'since it started'}${c.lastError ? ` (last error: ${c.lastError.error})` : ''}`,
      );
  }
  const marker = markerR.code === 0 ? (JSON.parse(markerR.stdout).data?.createdAt ?? '') : null;
  const used = new Map<string, Set<string>>();
  for (const [h, chains] of Object.entries(hosts)) {
    if ('error' in chains) {
      problems.push(`${h}: ${chains.error}`);
      continue;
    }
    for (const [path, c] of Object.entries(chains as HostChains)) {
      if (c.ca === 'none') problems.push(`${h}:${path} chains to no known CA`);
      else {
        const cn = cas.get(c.ca)?.cn ?? '?';
        if (!used.has(cn)) used.set(cn, new Set());
        used.get(cn)!.add(c.ca);
      }
      if (c.expired) problems.push(`${h}:${path} has expired`);
    }
  }
  for (const [cn, fps] of used) if (fps.size > 1) problems.push(`certs chain to ${fps.size} different "${cn}" CAs`);
  const casOut: Record<string, string> = {};
  for (const [cn, fps] of used) for (const fp of fps) casOut[fp] = cn;
  return {
    healthy: problems.length === 0,
    problems: problems.sort(),
    api,
    nodes,
    etcd,
    cas: casOut,
    hosts,
    workloads,
    marker,
    ...(opts.clients ? { clients } : {}),
  };
}

/** The human form: one line per topic, problems listed. */
export function human(s: Status): string {
  const short = (fp: string) => (fp === 'none' ? 'none' : fp.slice(0, 12));
  const lines: string[] = [];
  const nodeList = Object.entries(s.nodes).sort();
  lines.push(`api:       ${s.api}`);
  lines.push(
    `nodes:     ${nodeList.filter(([, v]) => v === 'Ready').length}/${nodeList.length} Ready  ${nodeList
      .filter(([, v]) => v !== 'Ready')
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  const etcd = Object.entries(s.etcd).sort();
  lines.push(
    `etcd:      ${etcd.filter(([, v]) => v === 'healthy').length}/${etcd.length} healthy  ${etcd
      .filter(([, v]) => v !== 'healthy')
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  lines.push(
    `CAs in use: ${
      Object.entries(s.cas)
        .sort((a, b) => a[1].localeCompare(b[1]))
        .map(([fp, cn]) => `${cn}=${short(fp)}`)
        .join(' ') || '(none)'
    }`,
  );
  for (const [h, chains] of Object.entries(s.hosts).sort()) {
    if ('error' in chains) {
      lines.push(`  ${h}: ${chains.error}`);
      continue;
    }
    const byCa = new Map<string, number>();
    for (const c of Object.values(chains as HostChains)) byCa.set(short(c.ca), (byCa.get(short(c.ca)) ?? 0) + 1);
    lines.push(
      `  ${h.padEnd(5)} ${
        [...byCa]
          .sort()
          .map(([ca, n]) => `${ca}:${n}`)
          .join(' ') || '(no certs)'
      }`,
    );
  }
  const w = Object.values(s.workloads);
  lines.push(`workloads: ${w.filter((x) => x.ready).length}/${w.length} Ready, ${w.reduce((a, x) => a + x.restartCount, 0)} restarts`);
  const cl = Object.entries(s.clients ?? {}).sort();
  if (cl.length) {
    lines.push(`clients:   ${cl.length} in-cluster clients, last successful API call:`);
    for (const [id, c] of cl)
      lines.push(
        `  ${id.padEnd(40)} ${(c.lastSuccess ?? 'never').padEnd(24)} ${c.node}${c.lastError && (!c.lastSuccess || c.lastError.at > c.lastSuccess) ? `  last error: ${c.lastError.error}` : ''}`,
      );
  }
  lines.push(`marker:    ${s.marker === null ? 'NOT FOUND' : `kubemend-lab/marker (createdAt ${s.marker})`}`);
  lines.push(
    s.healthy
      ? 'HEALTHY'
      : `NOT HEALTHY (${s.problems.length} problems):\n${s.problems
          .slice(0, 30)
          .map((p) => `  - ${p}`)
          .join('\n')}${s.problems.length > 30 ? `\n  ... ${s.problems.length - 30} more` : ''}`,
  );
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const { flags } = parseArgs(process.argv.slice(2), ['json', 'clients']);
  const lab = readLab(flags.dir ?? '/tmp/kubemend-lab');
  // the human form always lists the clients; the JSON only with --clients (their times change every call)
  const s = await status(lab, { clients: !flags.json || flags.clients === '1' });
  process.stdout.write(flags.json ? stableJson(s) : human(s));
  process.exitCode = s.healthy ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e: Error) => {
    process.stderr.write(`lab status: ${e.message}\n`);
    process.exit(2);
  });
}
