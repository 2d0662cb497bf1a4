/**
 * What the lab tests of `kubemend run recover` on a 3 + 2 cluster share (spec/recover/recover.test.ts,
 * zone-rule.test.ts, rebuild-one.test.ts; each file has its own lab, so they run side by side): the
 * lab's own view of the cluster, the pods that hold in-cluster credentials and those that hold none,
 * a recover run (optionally frozen at a phase), and the checks every run's output must pass.
 */
import type { ExecutionContext } from 'ava';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import type { Lab } from '../helpers/lab.js';
import { MAIN, cli } from '../cli/run-cli.js';
import { bootstrapTokens, kubeadmCertsUid, leftoverJoinSecrets } from './scenario.js';

/**
 * The proof's steady window of the lab's recover runs (`--proof-seconds`): 10 s, the lab's restarts
 * caused by a repair show within seconds; recover's default, 30 s, is run (and shown failing on a
 * flapping pod) by spec/faults/recover-resume.test.ts.
 */
export const LAB_PROOF = ['--proof-seconds', '10'];

/** The hosts of the 3 + 2 lab. */
export const HOSTS = ['m1', 'm2', 'm3', 'w1', 'w2'];

/** A 3 + 2 lab with kubelet serving certificates (step 14's CSR approval is exercised), on lab net `net`. */
export const labOf = (net: number) => ({ masters: 3, workers: 2, net, servingCerts: true });

/** `scripts/lab status --json --clients`: the lab's own view of the cluster. */
export interface Status {
  healthy: boolean;
  problems: string[];
  marker?: string;
  cas: Record<string, string>;
  nodes: Record<string, string>;
  etcd: Record<string, string>;
  workloads: Record<string, { node: string; ready: boolean; restartCount: number; startedAt: string }>;
  hosts: Record<string, Record<string, { ca?: string; expired?: boolean }>>;
  clients: Record<string, { node: string; started: string; lastSuccess: string | null; lastError: { at: string; error: string } | null }>;
}

/** The lab's own view (openssl verify of every cert against every CA it has seen, kubectl, etcdctl), with the in-cluster clients' reports. */
export async function status(lab: Lab): Promise<Status> {
  const r = await lab.lab(['status', '--json', '--clients']);
  return JSON.parse(r.stdout) as Status;
}

/** Pods (`ns/name` prefixes) holding in-cluster credentials in the lab. */
export const CLIENTS = ['kube-system/kube-proxy-', 'kube-system/coredns-', 'apps/web-', 'apps/agent-', 'apps/batch-', 'apps/sa-probe-'];
/** Pods holding none (the plain and static workloads, the masters' etcd-named DaemonSets: automountServiceAccountToken false). */
export const NO_CREDENTIALS = ['apps/plain-', 'apps/static-', 'apps/etcd-backup-', 'apps/app-etcd-'];
/** Whether the pod id `ns/name` starts with one of `prefixes`. */
export const isOneOf = (id: string, prefixes: string[]) => prefixes.some((p) => id.startsWith(p));

/** Every in-cluster client of the lab reports a successful API call after `since`, and there is one per pod holding credentials. */
export async function assertClientsSince(t: ExecutionContext, lab: Lab, since: string): Promise<void> {
  await new Promise((r) => setTimeout(r, 6000)); // a few calls (every 2 s) after `since`
  const s = await status(lab);
  const withCreds = Object.keys(s.workloads)
    .filter((id) => isOneOf(id, CLIENTS))
    .sort();
  t.deepEqual(Object.keys(s.clients).sort(), withCreds, 'one client report per pod holding credentials');
  t.true(withCreds.length >= 13, `kube-proxy on 5 nodes, 2 CoreDNS, 2 web, 2 agent, 2 batch, 2 sa-probe (${withCreds.length})`);
  for (const [id, c] of Object.entries(s.clients))
    t.true(
      !!c.lastSuccess && c.lastSuccess > since,
      `${id}: last successful API call ${c.lastSuccess} after ${since}${c.lastError ? ` (last error: ${c.lastError.error})` : ''}`,
    );
}

/** Fingerprint of the cluster CA the lab sees in use. */
export function clusterCa(s: Status): string[] {
  return Object.entries(s.cas)
    .filter(([, role]) => role === 'kubernetes')
    .map(([fp]) => fp);
}

/** Each workload pod's start time (the same map before and after: no pod restarted). */
export function startTimes(s: Status): Record<string, string> {
  return Object.fromEntries(Object.entries(s.workloads).map(([k, v]) => [k, v.startedAt]));
}

/** sha256 of every file of the host's PKI and kubeconfigs, and the ids of running containers. */
export async function fingerprint(lab: Lab): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const h of HOSTS) {
    const r = await lab.exec(h, ['sh', '-c', 'find /etc/kubernetes /var/lib/kubelet/pki -type f -exec sha256sum {} + 2>/dev/null | sort; crictl ps -q | sort']);
    out[h] = r.stdout;
  }
  return out;
}

/** After a run (`r`: what recover took before it): no bootstrap token it made and no kubeadm-certs Secret of its own left (issue 18 item 4). */
export async function assertNoJoinSecrets(t: ExecutionContext, lab: Lab, r: { tokensBefore: Map<string, string>; certsBefore?: string }): Promise<void> {
  const left = await leftoverJoinSecrets(lab, r.tokensBefore, r.certsBefore);
  t.deepEqual(left.tokens, [], 'no bootstrap token made by the run is left');
  t.false(left.kubeadmCerts, 'kube-system/kubeadm-certs is gone');
}

/** How to run recover: extra flags, a freeze, another inventory, the tokens to compare with when the API is down. */
export interface RecoverRun {
  extra?: string[];
  /** SIGSTOP kubemend for `seconds` as soon as its journal shows that `phase` started, then SIGCONT (a slow step, deterministically). */
  freeze?: { phase: string; seconds: number };
  inventory?: string;
  /** The bootstrap tokens taken before the break, for when the API is down (after a pki-wipe). */
  tokensAtStart?: Map<string, string>;
}

/** `kubemend run recover --yes` on the lab; its state folder, all its output, the bootstrap tokens and kubeadm-certs' uid before it. */
export async function recover(lab: Lab, o: RecoverRun = {}) {
  const state = tempDir('/tmp/kubemend-recover-state-');
  const tokensBefore = await bootstrapTokens(lab).catch(() => o.tokensAtStart ?? new Map<string, string>());
  const certsBefore = await kubeadmCertsUid(lab);
  const freeze = o.freeze;
  let frozen = false;
  let timer: NodeJS.Timeout | undefined;
  const r = await cli(MAIN, ['run', 'recover', '-i', o.inventory ?? lab.inventoryPath, '--yes', '--state-dir', state, ...LAB_PROOF, ...(o.extra ?? [])], {
    onSpawn: (child) => {
      if (!freeze) return;
      timer = setInterval(() => {
        const run = readdirSync(state)[0];
        const j = run ? join(state, run, 'journal.jsonl') : '';
        if (frozen || !j || !existsSync(j) || !readFileSync(j, 'utf8').includes(`"kind":"phase-start","phase":"${freeze.phase}"`)) return;
        frozen = true;
        clearInterval(timer);
        child.kill('SIGSTOP');
        setTimeout(() => child.kill('SIGCONT'), freeze.seconds * 1000);
      }, 100);
    },
  });
  if (timer) clearInterval(timer);
  if (freeze && !frozen) throw new Error(`recover never started phase ${freeze.phase}: ${(r.stdout + r.stderr).slice(-2000)}`);
  return { ...r, state, out: r.stdout + r.stderr, tokensBefore, certsBefore };
}

/**
 * Step 11 starts once every master's kubelet is back (step 10): the zone is Normal from then until
 * the workers rejoin. Frozen 55 s, longer than the lab's 10 s grace and 30 s eviction timeout, as a
 * slow real run is longer than 300 s there.
 */
export const SLOW_STEP_11 = { phase: 'masters/controller-manager', seconds: 55 };

/**
 * Every master's ca.key, apiserver.key and sa.key are `type` PEM blocks ("EC" for ECDSA-P256, "RSA"
 * for RSA-2048): kubeadm makes every key of the cluster's encryptionAlgorithm, so a rebuild from the
 * cluster's own ClusterConfiguration keeps the key type the cluster was made with.
 */
export async function assertKeyType(t: ExecutionContext, lab: Lab, type: 'EC' | 'RSA'): Promise<void> {
  for (const m of HOSTS.filter((h) => h.startsWith('m'))) {
    const r = await lab.exec(m, ['sh', '-c', 'cd /etc/kubernetes/pki && head -qn1 ca.key apiserver.key sa.key']);
    t.deepEqual(r.stdout.trim().split('\n'), Array(3).fill(`-----BEGIN ${type} PRIVATE KEY-----`), `${m}: ca.key, apiserver.key, sa.key are ${type} keys`);
  }
}

/** Every check of the proof printed PASS, none FAIL, and the proof is in the journal too. */
export function assertProof(t: ExecutionContext, r: { out: string; state: string }): void {
  t.regex(r.out, /proof of health:/);
  t.notRegex(r.out, /^FAIL /m, r.out.slice(-3000));
  for (const row of [
    'nodes Ready',
    'etcd members healthy',
    'workload pods Ready',
    'workload pods stay Ready for 10 s',
    'pods restarted only for in-cluster credentials',
    "cluster's objects present",
    'cluster-info carries the CA',
    'kube-root-ca.crt carries the CA',
    'extension-apiserver-authentication carries the CA',
    ...HOSTS.map((h) => `${h} certs chain to CA`),
  ]) {
    t.regex(r.out, new RegExp(`^PASS  ${row.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'), `proof row: ${row}`);
  }
  const run = readdirSync(r.state)[0];
  const journal = readFileSync(join(r.state, run!, 'journal.jsonl'), 'utf8');
  t.regex(journal, /proof of health/, 'the proof is journaled');
}
