/**
 * `scripts/lab break SCENARIO [--dir DIR] [--hosts a,b]`: breaks a lab cluster the way real
 * clusters break, over real ssh. Scenarios: pki-wipe, pki-wipe-no-config, pki-wipe-one, expired,
 * worker-pki, ca-compromised. Each records what it did in DIR/broken.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { hostOf, parseArgs, readLab, type Host, type LabDir } from './labdir.js';
import { sshOk, sshScript } from './ssh.js';
import { caFingerprints } from './fingerprints.js';

/**
 * The control-plane containers only (the article's `crictl rm $(crictl ps -aq)` would kill workloads
 * too): names anchored and the kube-system label, since `--name` is an unanchored regular
 * expression over every namespace's containers (a workload's `etcd-backup` must survive the break).
 */
export const CONTROL_PLANE = `--name '^(etcd|kube-apiserver|kube-controller-manager|kube-scheduler)$' --label io.kubernetes.pod.namespace=kube-system`;

/** Bash that stops and removes the control-plane containers (crictl), leaving workloads alone. */
export const STOP_CONTROL_PLANE = `ids=$(crictl ps -a -q ${CONTROL_PLANE} || true)
if [ -n "$ids" ]; then crictl stop $ids >/dev/null || true; crictl rm $ids >/dev/null || true; fi
`;

/** The article: rm -rf /etc/kubernetes on a master, its control-plane containers stopped. */
async function wipe(lab: LabDir, m: Host): Promise<void> {
  await sshScript(lab, m, 'pki-wipe', `rm -rf /etc/kubernetes\n${STOP_CONTROL_PLANE}`);
}

/** Leaf certs of a master re-issued with past dates (same CA), control plane restarted on them. */
async function expire(lab: LabDir, m: Host): Promise<void> {
  await sshOk(lab, m, 'expire certs', ['node', '/opt/kubemend/dist-lab/spec/lab/cluster/expire.js']);
  await sshScript(
    lab,
    m,
    'restart the control plane',
    `ids=$(crictl ps -q ${CONTROL_PLANE} || true)
if [ -n "$ids" ]; then crictl stop $ids >/dev/null; fi
`,
  );
}

/** A worker's kubelet credentials gone, kubelet restarted. */
async function dropKubeletCreds(lab: LabDir, w: Host): Promise<void> {
  await sshScript(lab, w, 'worker-pki', 'rm -rf /var/lib/kubelet/pki /etc/kubernetes/kubelet.conf\nsystemctl restart kubelet || true\n');
}

/**
 * The inventory's `kubeadmConfig:` line removed (DIR/kubeadm-config.yaml stays, for the by-hand
 * script): the operator has no config file, only the cluster's etcd data holds it.
 */
function dropInventoryConfig(lab: LabDir): void {
  const inv = join(lab.dir, 'inventory.yaml');
  writeFileSync(inv, readFileSync(inv, 'utf8').replace(/^kubeadmConfig:.*\n/m, ''));
}

/** Runs one scenario; returns the hosts it touched. */
export async function breakLab(lab: LabDir, scenario: string, hostsArg?: string): Promise<string[]> {
  const pick = (dflt: Host[]) => (hostsArg ? hostsArg.split(',').map((n) => hostOf(lab, n)) : dflt);
  const before = await caFingerprints(lab);
  let hosts: Host[];
  switch (scenario) {
    case 'pki-wipe':
      hosts = pick(lab.masters);
      await Promise.all(hosts.map((m) => wipe(lab, m)));
      break;
    case 'pki-wipe-no-config':
      hosts = pick(lab.masters);
      await Promise.all(hosts.map((m) => wipe(lab, m)));
      dropInventoryConfig(lab);
      break;
    case 'pki-wipe-one':
      hosts = pick([lab.masters[1] ?? lab.masters[0]]);
      await Promise.all(hosts.map((m) => wipe(lab, m)));
      break;
    case 'expired':
      hosts = pick(lab.masters);
      await Promise.all(hosts.map((m) => expire(lab, m)));
      break;
    case 'worker-pki': {
      const n = Math.max(1, Math.floor(lab.workers.length / 3));
      hosts = pick(lab.workers.slice(0, n));
      await Promise.all(hosts.map((w) => dropKubeletCreds(lab, w)));
      break;
    }
    case 'ca-compromised':
      hosts = [];
      break;
    default:
      throw new Error(`unknown scenario '${scenario}' (pki-wipe, pki-wipe-no-config, pki-wipe-one, expired, worker-pki, ca-compromised)`);
  }
  const record = { scenario, at: new Date().toISOString(), hosts: hosts.map((h) => h.name), casBefore: before };
  writeFileSync(join(lab.dir, 'broken.json'), JSON.stringify(record, null, 2) + '\n');
  if (scenario === 'ca-compromised') writeFileSync(join(lab.dir, 'ca-compromised.json'), JSON.stringify(record, null, 2) + '\n');
  return record.hosts;
}

async function main(): Promise<void> {
  const { flags, rest } = parseArgs(process.argv.slice(2), []);
  const scenario = rest[0];
  if (!scenario)
    throw new Error('usage: scripts/lab break pki-wipe|pki-wipe-no-config|pki-wipe-one|expired|worker-pki|ca-compromised [--hosts a,b] [--dir DIR]');
  const lab = readLab(flags.dir ?? '/tmp/kubemend-lab');
  const hosts = await breakLab(lab, scenario, flags.hosts);
  process.stdout.write(`lab break ${scenario}: ${hosts.length ? hosts.join(', ') : 'nothing broken; DIR/ca-compromised.json says the CA must be replaced'}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  main().catch((e: Error) => {
    process.stderr.write(`lab break: ${e.message}\n`);
    process.exit(1);
  });
