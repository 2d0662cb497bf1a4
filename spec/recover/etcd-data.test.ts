/**
 * recover with no config anywhere but etcd's data (issue 20), on its own 3 + 1 lab cluster (net
 * 87), over real SSH: `break pki-wipe-no-config` (pki-wipe, and the inventory's kubeadmConfig
 * removed). Step 0 alone first: it reads the ConfigMaps through a throwaway etcd run with the lab's
 * ctr from the etcd image on a copy; the original etcd files keep their sha256 and no container,
 * listener or copy is left. Then the whole recover: the proof of health passes, and the
 * ClusterConfiguration and KubeletConfiguration it used equal what `kubectl get configmap`
 * returned before the break.
 */
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { requireRoot, sharedLab, type Lab } from '../helpers/lab.js';
import { MAIN, cli } from '../cli/run-cli.js';
import { LAB_PROOF } from './recover-lab.js';

const LAB = { masters: 3, workers: 1, net: 87 };
const MASTERS = ['m1', 'm2', 'm3'];
const KUBECTL = ['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', '-n', 'kube-system', 'get', 'configmap', '-o', 'json'];

/** The two ConfigMaps' documents as the cluster's API returns them (real kubectl on m1). */
async function configMaps(lab: Lab): Promise<{ cluster: unknown; kubelet: unknown }> {
  const get = async (name: string) => JSON.parse((await lab.exec('m1', [...KUBECTL, name])).stdout).data as Record<string, string>;
  return { cluster: parse((await get('kubeadm-config')).ClusterConfiguration), kubelet: parse((await get('kubelet-config')).kubelet) };
}

/** sha256 of every file under every master's /var/lib/etcd. */
async function etcdFiles(lab: Lab): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const m of MASTERS) out[m] = (await lab.exec(m, ['sh', '-c', 'find /var/lib/etcd -type f -exec sha256sum {} + | sort'])).stdout;
  return out;
}

/** What a read could leave on a master: ctr containers and tasks, etcd processes (unless the cluster's own runs), listeners on the ports it uses, copies. */
async function leftovers(lab: Lab, m: string, etcdRuns = false): Promise<string> {
  const r = await lab.exec(m, [
    'sh',
    '-c',
    `ctr -n k8s.io containers ls -q; ctr -n k8s.io tasks ls -q; ${etcdRuns ? '' : 'pgrep -a -x etcd;'} ss -Hltn | grep -E "127\\.0\\.0\\.1:239[0-9][0-9]\\b"; ls -d /var/lib/kubemend-etcd-copy.* 2>/dev/null; true`,
  ]);
  return r.stdout.trim();
}

/** The documents of the config a run saved with its backups, by kind. */
function savedDocs(state: string): Record<string, unknown> {
  const run = readdirSync(state)[0];
  const text = readFileSync(join(state, run, 'backups', 'kubeadm-config.yaml'), 'utf8');
  return Object.fromEntries(
    parseAllDocuments(text)
      .map((d) => d.toJS())
      .map((o: { kind: string }) => [o.kind, o]),
  );
}

let before: { cluster: unknown; kubelet: unknown } | undefined;

test.serial(
  'step 0 alone after pki-wipe-no-config: the config read from etcd data through a throwaway etcd, the original untouched, nothing left',
  async (t) => {
    if (!requireRoot(t)) return;
    const lab = await sharedLab(LAB);
    before = await configMaps(lab);
    t.truthy((before.cluster as { controlPlaneEndpoint?: string }).controlPlaneEndpoint);
    t.is((await lab.lab(['break', 'pki-wipe-no-config'])).code, 0);
    t.notRegex(readFileSync(lab.inventoryPath, 'utf8'), /kubeadmConfig/);
    const sums = await etcdFiles(lab);
    for (const m of MASTERS) t.regex(sums[m], /member\/snap\/db/, `${m} has etcd data`);
    const state = tempDir('/tmp/kubemend-etcddata-state-');
    const r = await cli(MAIN, ['run', 'recover', '-i', lab.inventoryPath, '--yes', '--state-dir', state, '--only', 'facts/config']);
    const out = r.stdout + r.stderr;
    t.is(r.code, 0, out.slice(-3000));
    t.regex(
      out,
      /etcd members in the data on m1: m1 https:\/\/[\d.]+:2380; m2 https:\/\/[\d.]+:2380; m3 https:\/\/[\d.]+:2380 \(match the inventory\)|etcd members in the data on m1: .*\(match the inventory\)/,
    );
    t.regex(
      out,
      /from etcd data on m1, revision \d+ \(kubeadm-config mod_revision \d+, kubelet-config \d+; json\/json; throwaway etcd from registry\.k8s\.io\/etcd:[\w.-]+ on a copy of \/var\/lib\/etcd, TLS on 127\.0\.0\.1, copy deleted\)/,
    );
    t.deepEqual(await etcdFiles(lab), sums, "the original etcd files' sha256 are unchanged");
    for (const m of MASTERS) t.is(await leftovers(lab, m), '', `${m}: no container, task, etcd, listener or copy left`);
    const docs = savedDocs(state);
    t.deepEqual(docs.ClusterConfiguration, before.cluster, "the saved ClusterConfiguration is the ConfigMap's");
    t.deepEqual(docs.KubeletConfiguration, before.kubelet, "the saved KubeletConfiguration is the ConfigMap's");
    const run = readdirSync(state)[0];
    t.is(JSON.parse(readFileSync(join(state, run, 'backups', 'kubeadm-config.source.json'), 'utf8')).cluster, 'lab');
    t.regex(readFileSync(join(state, run, 'journal.jsonl'), 'utf8'), /from etcd data on m1, revision \d+/, 'the source is journaled');
  },
);

test.serial("run recover with only etcd data: proof of health passes, the recovered configs are the cluster's own", async (t) => {
  if (!requireRoot(t)) return;
  const lab = await sharedLab(LAB);
  t.truthy(before, 'the first test read the ConfigMaps before the break');
  const state = tempDir('/tmp/kubemend-etcddata-state-');
  const r = await cli(MAIN, ['run', 'recover', '-i', lab.inventoryPath, '--yes', '--state-dir', state, ...LAB_PROOF]);
  const out = r.stdout + r.stderr;
  t.is(r.code, 0, out.slice(-4000));
  t.regex(out, /from etcd data on m1, revision \d+ .*throwaway etcd/);
  t.regex(out, /path: full-rebuild/);
  t.regex(out, /proof of health:/);
  t.notRegex(out, /^FAIL /m, out.slice(-3000));
  for (const row of ['nodes Ready', 'etcd members healthy', "cluster's objects present", 'm1 certs chain to CA', 'w1 certs chain to CA'])
    t.regex(out, new RegExp(`^PASS  ${row.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'), `proof row: ${row}`);
  const docs = savedDocs(state);
  t.deepEqual(docs.ClusterConfiguration, before!.cluster);
  t.deepEqual(docs.KubeletConfiguration, before!.kubelet);
  t.deepEqual(await configMaps(lab), before, 'the ConfigMaps after the repair are those before the break');
  for (const m of MASTERS) t.is(await leftovers(lab, m, true), '', `${m}: nothing of the read left`);
});

test.serial('without the etcd image (no throwaway etcd): the offline reader, in a real run, says what it misses', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await sharedLab(LAB);
  const now = await configMaps(lab);
  t.is((await lab.lab(['break', 'pki-wipe-no-config'])).code, 0);
  for (const m of MASTERS) await lab.exec(m, ['sh', '-c', 'grep -l \'"name": "registry.k8s.io/etcd:\' /var/lib/containerd/lab/images/*.json | xargs -r rm -f']);
  const sums = await etcdFiles(lab);
  const state = tempDir('/tmp/kubemend-etcddata-state-');
  const r = await cli(MAIN, ['run', 'recover', '-i', lab.inventoryPath, '--yes', '--state-dir', state, '--only', 'facts/config']);
  const out = r.stdout + r.stderr;
  t.is(r.code, 0, out.slice(-3000));
  t.regex(out, /m1: no throwaway etcd \(no etcd image in containerd/);
  t.regex(out, /from etcd data on m1, revision \d+ \(.*offline read of \/var\/lib\/etcd\/member\/snap\/db; writes still only in the WAL/);
  t.deepEqual(await etcdFiles(lab), sums, "the original etcd files' sha256 are unchanged");
  const docs = savedDocs(state);
  t.deepEqual(docs.ClusterConfiguration, now.cluster);
  t.deepEqual(docs.KubeletConfiguration, now.kubelet);
  for (const m of MASTERS) t.is(await leftovers(lab, m), '', `${m}: nothing left`);
});

test.after.always(async () => {
  if (process.env.KEEP_LAB) return;
  const lab = await sharedLab(LAB).catch(() => undefined);
  await lab?.down();
});
