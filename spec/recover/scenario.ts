/**
 * What spec/recover/recover.test.ts adds to the lab cluster to show issue 12 and 18's points, all
 * set up over the lab's own witnesses (kubectl with m1's admin.conf, crictl and files inside the
 * hosts), idempotent so a reused lab works:
 * - workloads on the masters whose containers are named like control-plane ones in another
 *   namespace (`etcd-backup`, and an app's own `etcd`): step 1 must never stop them;
 * - a static pod that is not kubeadm's (`kube-vip`) in /etc/kubernetes/manifests on every master;
 * - a worker whose kubelet runs with `--node-ip` in kubeadm-flags.env while its hostname resolves to
 *   another of its addresses: its InternalIP must survive the re-bootstrap;
 * - the run's bootstrap tokens and kube-system/kubeadm-certs, which must be gone after each run;
 * - the etcd members, asked in m1's etcd container.
 */
import type { Lab } from '../helpers/lab.js';
import { pollUntil } from '../helpers/wait.js';

const KUBECTL = ['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', '--request-timeout=10s'];

/** kubectl on m1 (throws on failure). */
export async function kubectl(lab: Lab, args: string[], input?: string): Promise<string> {
  const r = await lab.exec('m1', [...KUBECTL, ...args], input === undefined ? undefined : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** DaemonSets on the masters (and workers) with containers named `etcd-backup` and `etcd`, in namespace apps. */
export const MASTER_WORKLOADS = ['etcd-backup', 'etcd']
  .map(
    (c) => `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ${c === 'etcd' ? 'app-etcd' : c}, namespace: apps, labels: {app: ${c === 'etcd' ? 'app-etcd' : c}}}
spec:
  selector: {matchLabels: {app: ${c === 'etcd' ? 'app-etcd' : c}}}
  template:
    metadata: {labels: {app: ${c === 'etcd' ? 'app-etcd' : c}}}
    spec:
      automountServiceAccountToken: false
      tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]
      containers:
      - name: ${c}
        image: registry.k8s.io/pause:3.10
`,
  )
  .join('---\n');

/** Apply MASTER_WORKLOADS and wait until each has a running container on every master and a Ready pod on every node. */
export async function addMasterWorkloads(lab: Lab): Promise<void> {
  await kubectl(lab, ['apply', '-f', '-'], MASTER_WORKLOADS);
  for (const m of ['m1', 'm2', 'm3']) {
    for (const c of ['etcd-backup', 'etcd']) {
      await pollUntil(`apps container ${c} running on ${m}`, async () => (await containerIds(lab, m, c, 'apps')).length === 1, 120_000, 1000);
    }
  }
  // a running container is not yet a Ready pod: the kubelet reports its status on its next sync
  const nodes = (await kubectl(lab, ['get', 'nodes', '-o', 'name'])).split('\n').filter(Boolean).length;
  for (const app of ['etcd-backup', 'app-etcd']) {
    await pollUntil(
      `the ${nodes} ${app} pods (one per node) Ready in the API`,
      async () => {
        const out = await kubectl(lab, [
          '-n',
          'apps',
          'get',
          'pods',
          '-l',
          `app=${app}`,
          '-o',
          'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
        ]);
        const ready = out.split('\n').filter(Boolean);
        return ready.length === nodes && ready.every((x) => x === 'True');
      },
      120_000,
      1000,
    );
  }
}

/** Running containers named exactly `name` in namespace `ns` on `host`. */
export async function containerIds(lab: Lab, host: string, name: string, ns: string): Promise<string[]> {
  const r = await lab.exec(host, ['crictl', 'ps', '-q', '--name', `^${name}$`, '--label', `io.kubernetes.pod.namespace=${ns}`]);
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** A kube-vip-like static pod (not kubeadm's): it runs a sleeper, as the lab runs command + args. */
export const KUBE_VIP = `apiVersion: v1
kind: Pod
metadata: {name: kube-vip, namespace: kube-system}
spec:
  hostNetwork: true
  containers:
  - name: kube-vip
    image: ghcr.io/kube-vip/kube-vip:v0.8.9
    command: [sleep, "2000000000"]
`;

/** Put KUBE_VIP in every master's /etc/kubernetes/manifests and wait until it runs. */
export async function addKubeVip(lab: Lab): Promise<void> {
  for (const m of ['m1', 'm2', 'm3']) {
    const r = await lab.exec(m, ['sh', '-c', 'cat > /etc/kubernetes/manifests/kube-vip.yaml'], { input: KUBE_VIP });
    if (r.code !== 0) throw new Error(`${m}: write kube-vip.yaml: ${r.stderr}`);
  }
  for (const m of ['m1', 'm2', 'm3'])
    await pollUntil(`kube-vip running on ${m}`, async () => (await containerIds(lab, m, 'kube-vip', 'kube-system')).length === 1, 60_000, 1000);
}

/** The kube-vip container of each master (undefined where none runs). */
export async function kubeVipIds(lab: Lab): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  for (const m of ['m1', 'm2', 'm3']) out[m] = (await containerIds(lab, m, 'kube-vip', 'kube-system'))[0];
  return out;
}

/** The worker given `--node-ip`, and the other address its hostname resolves to. */
export const NODE_IP_WORKER = 'w2';

/** The other address: the worker's own address with the last octet + 100 (in the lab's /16). */
function otherAddress(address: string): string {
  const p = address.split('.').map(Number);
  p[3] = (p[3]! + 100) % 250;
  return p.join('.');
}

/** A Node's InternalIP. */
export async function internalIP(lab: Lab, node: string): Promise<string> {
  return (await kubectl(lab, ['get', 'node', node, '-o', 'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}'])).trim();
}

/**
 * On NODE_IP_WORKER: a second address on eth0, its hostname resolving to it (/etc/hosts), and
 * `--node-ip=<its inventory address>` in kubeadm-flags.env; kubelet restarted; waits until the
 * Node's InternalIP is the inventory address. Without the flag the kubelet would take the second
 * address (the real kubelet's default: the hostname's address), so a re-bootstrap that drops the
 * flag shows as a changed InternalIP. Returns the inventory address.
 */
export async function pinNodeIp(lab: Lab): Promise<string> {
  const w = lab.hosts.find((h) => h.name === NODE_IP_WORKER)!;
  const other = otherAddress(w.address);
  const script = `set -e
ip addr show dev eth0 | grep -q " ${other}/" || ip addr add ${other}/16 dev eth0
sed -i '/[[:space:]]${w.name}$/d' /etc/hosts; echo "${other} ${w.name}" >> /etc/hosts
f=/var/lib/kubelet/kubeadm-flags.env
grep -q -- '--node-ip=' "$f" || sed -i 's|^KUBELET_KUBEADM_ARGS="|KUBELET_KUBEADM_ARGS="--node-ip=${w.address} |' "$f"
systemctl restart kubelet`;
  const r = await lab.exec(w.name, ['sh', '-c', script]);
  if (r.code !== 0) throw new Error(`${w.name}: pin --node-ip: ${r.stderr}`);
  await pollUntil(`${w.name}'s InternalIP ${w.address}`, async () => (await internalIP(lab, w.name)) === w.address, 120_000, 1000);
  return w.address;
}

/** Every bootstrap token Secret in kube-system: name -> description. */
export async function bootstrapTokens(lab: Lab): Promise<Map<string, string>> {
  const out = await kubectl(lab, [
    '-n',
    'kube-system',
    'get',
    'secrets',
    '--field-selector',
    'type=bootstrap.kubernetes.io/token',
    '-o',
    'jsonpath={range .items[*]}{.metadata.name}{" "}{.data.description}{"\\n"}{end}',
  ]);
  return new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [name, d = ''] = l.split(' ');
        return [name!, Buffer.from(d, 'base64').toString('utf8')] as const;
      }),
  );
}

/** The uid of kube-system/kubeadm-certs (kubeadm's upload-certs Secret), or undefined when there is none. */
export async function kubeadmCertsUid(lab: Lab): Promise<string | undefined> {
  const r = await lab.exec('m1', [...KUBECTL, '-n', 'kube-system', 'get', 'secret', 'kubeadm-certs', '-o', 'jsonpath={.metadata.uid}']);
  return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/**
 * What a run left behind: bootstrap tokens that were not there before it (`before`: bootstrapTokens
 * taken before the run) or that name a kubemend run, and whether a kube-system/kubeadm-certs is
 * there that is not the one `certsBefore` (its uid before the run: lab up's own upload-certs
 * Secret lives 2 h, and a run that uploads no certs neither makes nor deletes it; undefined: none
 * was there, or the API was down, so any is the run's).
 */
export async function leftoverJoinSecrets(lab: Lab, before: Map<string, string>, certsBefore?: string): Promise<{ tokens: string[]; kubeadmCerts: boolean }> {
  const now = await bootstrapTokens(lab);
  const tokens = [...now].filter(([n, d]) => !before.has(n) || d.startsWith('kubemend run ')).map(([n, d]) => `${n} (${d || 'no description'})`);
  const certs = await kubeadmCertsUid(lab);
  return { tokens, kubeadmCerts: certs !== undefined && certs !== certsBefore };
}

/** One etcd member. */
export interface Member {
  id: string;
  name: string;
  peerURLs: string[];
  isLearner: boolean;
}

/** etcdctl in `host`'s etcd container (the lab's hosts, like kubeadm's, have no etcdctl of their own). */
async function etcdctl(lab: Lab, host: string, args: string): Promise<string> {
  const script = `id=$(crictl ps -q --name '^etcd$' --label io.kubernetes.pod.namespace=kube-system | head -n 1)
crictl exec "$id" etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key ${args}`;
  const r = await lab.exec(host, ['sh', '-c', script]);
  if (r.code !== 0) throw new Error(`${host}: etcdctl ${args}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** The etcd members (ids in hex), asked on `host`. */
export async function etcdMembers(lab: Lab, host = 'm1'): Promise<Member[]> {
  const doc = JSON.parse((await etcdctl(lab, host, 'member list -w json')).replace(/"ID":(\d+)/g, '"ID":"$1"'));
  return (doc.members ?? []).map((m: any) => ({ id: BigInt(m.ID).toString(16), name: m.name ?? '', peerURLs: m.peerURLs ?? [], isLearner: !!m.isLearner }));
}

/** The etcd cluster id `host`'s own member reports (`endpoint status`). */
export async function etcdClusterId(lab: Lab, host: string): Promise<string> {
  const out = await etcdctl(lab, host, 'endpoint status -w json');
  return /"cluster_id":(\d+)/.exec(out)?.[1] ?? '';
}
