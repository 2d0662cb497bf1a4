/** The doctor's diagnosis: cluster facts in, findings in words and the playbook to run out (pure). */
import { KUBELET_CLIENT } from '../facts/index.js';
import { kubesprayNotRepaired, layoutLine, layoutOf } from './layout.js';
import { nameList } from './names.js';
import type { ClusterFacts, Diagnosis, Finding, HostFacts, Recommendation } from './types.js';

/** Certificates expiring within this many days are reported (renew-certs). */
export const EXPIRY_WARN_DAYS = 30;

const DAY = 86_400_000;
const KUBELET_CONF = '/etc/kubernetes/kubelet.conf';

/** Days from `now` to `iso` (negative when past). */
export function daysLeft(iso: string, now: string): number {
  return Math.floor((Date.parse(iso) - Date.parse(now)) / DAY);
}

/** The kubelet credential files of a host (kubelet.conf and the client cert) that exist. */
function kubeletCreds(h: HostFacts) {
  return h.files.filter((f) => (f.path === KUBELET_CLIENT || f.path === KUBELET_CONF) && f.chain !== 'absent');
}

/** Where recover would take the cluster's ClusterConfiguration from (its step 0's order), in words; undefined when nowhere. */
export function configSource(f: ClusterFacts): string | undefined {
  const head = "recover's ClusterConfiguration:";
  if (f.kubeadmConfig) return `${head} the inventory's kubeadmConfig ${f.kubeadmConfig}`;
  if (f.api === 'ok') return `${head} the newest kubemend backup of this cluster, else kube-system/kubeadm-config from the API`;
  const spray = (f.etcdData ?? []).find((x) => x.config);
  if (spray) return `${head} the newest kubemend backup of this cluster, else ${spray.reader} (revision ${spray.config!.revision})`;
  const d = (f.etcdData ?? []).find((x) => x.dbBytes !== undefined);
  if (d) return `${head} the newest kubemend backup of this cluster, else etcd data on ${d.host} (${(d.dbBytes! / 1048576).toFixed(1)} MiB): ${d.reader}`;
  return undefined;
}

/** Diagnose a cluster from its facts; never reads anything itself. */
export function diagnose(f: ClusterFacts): Diagnosis {
  const findings: Finding[] = [];
  const recs: Recommendation[] = [];
  const problem = (message: string) => findings.push({ severity: 'problem', message });
  const down = f.hosts.filter((h) => h.error);
  if (down.length)
    problem(
      `could not reach ${down.length === f.hosts.length ? 'any host: ' : ''}${nameList(down.map((h) => h.name))} (${down[0]!.error}); what cannot be read is unknown`,
    );
  const up = f.hosts.filter((h) => !h.error);
  const masters = up.filter((h) => h.role === 'master');
  const workers = up.filter((h) => h.role === 'worker');
  const noPki = masters.filter((h) => !h.pki?.complete);
  const masterCas = new Set(masters.filter((h) => h.pki?.complete && h.pki.ca).map((h) => h.pki!.ca!));
  let state = 'healthy';
  let recover = false;

  if (noPki.length) {
    const all = noPki.length === masters.length;
    problem(
      `${noPki.length === 1 ? 'master' : 'masters'} ${nameList(noPki.map((h) => h.name))} ${noPki.length === 1 ? 'has' : 'have'} no PKI${all ? ' (no master holds the cluster CA)' : ''}`,
    );
    state = all ? 'pki-wipe' : 'pki-wipe-one';
    recover = true;
  }
  if (masterCas.size > 1) {
    problem(`the masters hold ${masterCas.size} different cluster CAs`);
    state = 'mixed';
    recover = true;
  }
  const badMasterChains = masters.filter(
    (h) => h.pki?.complete && h.files.some((x) => x.chain === 'bad' && x.path !== KUBELET_CLIENT && x.path !== KUBELET_CONF),
  );
  if (badMasterChains.length) {
    problem(`${nameList(badMasterChains.map((h) => h.name))}: control-plane certificates or kubeconfigs do not chain to the cluster CA`);
    recover = true;
    if (state === 'healthy') state = 'mixed';
  }

  // workers (and masters' kubelets): credentials gone, or chained to a CA no master has
  const noCreds = workers.filter((h) => kubeletCreds(h).length === 0);
  const foreign = workers.filter(
    (h) => !noCreds.includes(h) && (kubeletCreds(h).some((x) => !x.ca || !masterCas.has(x.ca)) || (h.pki?.ca && !masterCas.has(h.pki.ca))),
  );
  if (noCreds.length)
    problem(
      `${noCreds.length === 1 ? 'worker' : 'workers'} ${nameList(noCreds.map((h) => h.name))} ${noCreds.length === 1 ? 'has' : 'have'} no kubelet credentials`,
    );
  if (foreign.length)
    problem(
      `${foreign.length === 1 ? 'worker' : 'workers'} ${nameList(foreign.map((h) => h.name))} trust${foreign.length === 1 ? 's' : ''} a CA that no master has`,
    );
  const rejoin = [...noCreds, ...foreign].map((h) => h.name).sort();
  if (rejoin.length && state === 'healthy') state = 'worker-pki';

  // expiry of certificates that chain to a CA a master has (others are covered above)
  const expired: string[] = [];
  const expiring: string[] = [];
  const renewHosts = new Set<string>();
  const workerExpired = new Set<string>();
  for (const h of up) {
    for (const x of h.files) {
      if (!x.expires || x.chain === 'absent') continue;
      const d = daysLeft(x.expires, f.now);
      if (d >= EXPIRY_WARN_DAYS) continue;
      (d < 0 ? expired : expiring).push(`${h.name}:${x.path}`);
      if (h.role === 'worker') workerExpired.add(h.name);
      else renewHosts.add(h.name);
    }
  }
  if (expired.length) {
    const on = (role: 'master' | 'worker') => {
      const names = [...new Set(expired.map((e) => e.split(':')[0]!))].filter((n) => up.find((h) => h.name === n)?.role === role);
      return names.length ? [`${role}${names.length === 1 ? '' : 's'} ${nameList(names)}`] : [];
    };
    problem(
      `${expired.length} certificate${expired.length === 1 ? ' has' : 's have'} expired on ${[...on('master'), ...on('worker')].join(' and ')}: ${expired.slice(0, 6).join(', ')}${expired.length > 6 ? ', ...' : ''}`,
    );
    if (state === 'healthy') state = 'expired';
  }
  if (expiring.length)
    findings.push({
      severity: 'warning',
      message: `${expiring.length} certificate${expiring.length === 1 ? '' : 's'} expire within ${EXPIRY_WARN_DAYS} days: ${expiring.slice(0, 6).join(', ')}${expiring.length > 6 ? ', ...' : ''}`,
    });

  const inactive = up.filter((h) => h.kubelet === false);
  if (inactive.length) problem(`kubelet is not active on ${nameList(inactive.map((h) => h.name))}`);
  if (f.api === 'unreachable') problem("API unreachable (through the first master's admin.conf)");
  else {
    const notReady = up.filter((h) => h.node && h.node !== 'absent' && !h.node.ready);
    const absent = up.filter((h) => h.node === 'absent');
    if (notReady.length) problem(`${notReady.length === 1 ? 'Node' : 'Nodes'} ${nameList(notReady.map((h) => h.name))} not Ready`);
    if (absent.length) problem(`no Node object for ${nameList(absent.map((h) => h.name))}`);
  }
  if (f.etcd?.unhealthy.length) problem(`etcd members unhealthy: ${f.etcd.unhealthy.join(', ')}`);
  if (!f.etcd && masters.length && !noPki.length) problem('etcd health could not be read');

  // the layout: kubespray's is named; recover repairs its default shape (etcd kept), and refuses the
  // others, as rejoin-workers and renew-certs refuse every kubespray shape: no playbook recommended then
  const layout = layoutOf(f);
  if (layout.name === 'kubespray') {
    const unsupported = kubesprayNotRepaired(f);
    if (unsupported.length) {
      problem(
        `${layoutLine(layout)}: kubemend does not repair this kubespray shape yet (${unsupported.join('; ')}), and recover refuses it before changing anything (docs/kubespray.md)`,
      );
      if (state === 'healthy') state = 'kubespray';
      recover = false;
    } else {
      const seen = f.hosts.some((h) => !h.error && h.shape);
      findings.push({
        severity: 'info',
        message: seen
          ? `${layoutLine(layout)}: recover repairs this layout, keeping kubespray's etcd service and its certificates as they are (docs/kubespray.md)`
          : `${layoutLine(layout)}: recover repairs kubespray's default shape (its etcd service on ${f.inventoryEtcd?.placement === 'separate' ? 'its etcd group' : 'the masters'}, nginx-proxy on the workers) keeping its etcd; no host could be read to confirm this is it (docs/kubespray.md)`,
      });
    }
    const read = (f.etcdData ?? []).find((x) => x.config);
    if (read)
      findings.push({
        severity: 'info',
        message: `the cluster's ClusterConfiguration is readable through ${read.reader} (revision ${read.config!.revision}): ${read.config!.summary}`,
      });
    if (!recover && (rejoin.length || workerExpired.size || renewHosts.size))
      problem("rejoin-workers and renew-certs do not handle kubespray's layout: repair these hosts with kubespray's own playbooks (docs/kubespray.md)");
    rejoin.length = 0;
    workerExpired.clear();
    renewHosts.clear();
  } else findings.push({ severity: 'info', message: layoutLine(layout) });

  if (recover) {
    recs.push({ playbook: 'recover', command: 'kubemend run recover -i INVENTORY' });
    const src = configSource(f);
    findings.push({
      severity: src ? 'info' : 'problem',
      message:
        src ??
        "recover has no ClusterConfiguration: no kubeadmConfig in the inventory, the API does not answer and no master has etcd data; give `kubeadmConfig: FILE` (or keep this state dir's kubemend backup of the cluster)",
    });
  } else {
    if (rejoin.length)
      recs.push({ playbook: 'rejoin-workers', limit: rejoin, command: `kubemend run rejoin-workers -i INVENTORY --limit ${rejoin.join(',')}` });
    const expWorkers = [...workerExpired].filter((w) => !rejoin.includes(w)).sort();
    if (expWorkers.length)
      recs.push({ playbook: 'rejoin-workers', limit: expWorkers, command: `kubemend run rejoin-workers -i INVENTORY --limit ${expWorkers.join(',')}` });
    if (renewHosts.size)
      recs.push({
        playbook: 'renew-certs',
        limit: [...renewHosts].sort(),
        command: `kubemend run renew-certs -i INVENTORY --limit ${[...renewHosts].sort().join(',')}`,
      });
  }
  const healthy = !findings.some((x) => x.severity !== 'info');
  findings.push({
    severity: 'info',
    message: 'a compromised CA (ca-compromised) looks healthy to these checks: if the CA key may have leaked, run recover anyway',
  });
  // hosts that could not be read may hide any fault: nothing readable wrong does not make the cluster healthy
  if (down.length && state === 'healthy') state = 'unknown';
  return {
    healthy,
    state: healthy ? 'healthy' : state,
    layout,
    findings,
    recommendations: recs,
    ...(down.length ? { unreachable: down.map((h) => h.name) } : {}),
  };
}
