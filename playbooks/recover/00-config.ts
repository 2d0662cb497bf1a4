/**
 * Step 0 (config): find the cluster's own ClusterConfiguration BEFORE anything is changed; stop
 * when there is none. In order: the inventory's kubeadmConfig; the newest config saved by an
 * earlier kubemend run of the same cluster (matched by cluster name); the kubeadm-config ConfigMap
 * of a cluster that still answers; the ConfigMaps in etcd's data on a master (issue 20). With
 * --replace-ca (a compromised cluster) only the inventory's file is taken as it is: a config read
 * from the cluster is shown against the backup and must be accepted by the operator (issue 18).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterPhase, PhaseContext } from '../../lib/core/types.js';
import type { Host } from '../../lib/inventory/types.js';
import { writePrivate, localBackupDir } from '../../lib/backup/archive.js';
import { kubesprayMemberMismatches, memberMismatches } from '../../lib/etcd-data/members.js';
import { EncryptedValueError } from '../../lib/etcd-data/decode.js';
import { DecryptError, decryptorFrom } from '../../lib/etcd-data/encryption.js';
import { type EtcdConfigRead, membersOn, probeEtcdData, readOffline, readThroughThrowaway, throwawayBlocker } from '../../lib/etcd-data/remote.js';
import { RECOVER_CONFIG, type RecoverOptions } from './common.js';
import { kubectlOn } from '../shared/commands.js';
import { runDirOf, runIdOf, stateDirOf } from '../shared/run-files.js';
import { clusterDocs, configDifferences, externalEtcdFiles, unsupportedClusterConfig } from './config.js';
import { RUN } from '../../lib/core/shared.js';
import { kubesprayEtcdMembers, readThroughKubesprayEtcd } from '../../lib/etcd-data/kubespray.js';
import type { EtcdMember } from '../../lib/facts/etcd.js';
import { isKubespray, layoutOf } from '../shared/layout.js';
import { inventoryEtcdMembers, inventoryMasters } from '../../lib/core/hosts.js';

/** The kubeadm-config file name kept in a run's backups folder. */
export const SAVED_CONFIG = 'kubeadm-config.yaml';
/** Beside it: which cluster it belongs to and where it was read from. */
export const SAVED_SOURCE = 'kubeadm-config.source.json';

/** What SAVED_SOURCE holds. */
interface SavedSource {
  cluster: string;
  source: string;
  savedAt: string;
}

/**
 * The newest kubeadm-config.yaml saved by an earlier kubemend run of cluster `cluster` under
 * `stateDir`. A config saved for another cluster, or without the record of its cluster, is
 * never taken: the wrong SANs or CIDRs would break this cluster a second time.
 */
export function newestSavedConfig(stateDir: string, cluster: string): string | undefined {
  if (!existsSync(stateDir)) return undefined;
  const found = readdirSync(stateDir)
    .map((r) => join(stateDir, r, 'backups'))
    .filter((d) => existsSync(join(d, SAVED_CONFIG)) && existsSync(join(d, SAVED_SOURCE)))
    .filter((d) => {
      try {
        return (JSON.parse(readFileSync(join(d, SAVED_SOURCE), 'utf8')) as SavedSource).cluster === cluster;
      } catch {
        return false;
      }
    })
    .map((d) => ({ f: join(d, SAVED_CONFIG), t: statSync(join(d, SAVED_CONFIG)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  return found[0]?.f;
}

/** A config text and where it came from. */
interface Found {
  text: string;
  source: string;
  /** Read from the cluster itself (its API or its etcd data), not from the operator's files. */
  fromCluster: boolean;
}

/** Read the kubeadm-config ConfigMap from the first master that still answers. */
async function fromApi(ctx: PhaseContext): Promise<Found | undefined> {
  for (const m of ctx.hosts.filter((h) => h.role === 'master')) {
    const r = await ctx.on(m).read(kubectlOn(m, '-n', 'kube-system', 'get', 'configmap', 'kubeadm-config', '-o', 'jsonpath={.data.ClusterConfiguration}'), {
      allowFail: true,
      what: 'kubectl get configmap kubeadm-config',
    });
    if (r.exitCode === 0 && /kind:\s*ClusterConfiguration/.test(r.stdout))
      return { text: r.stdout, source: `configmap kube-system/kubeadm-config (read on ${m.name})`, fromCluster: true };
  }
  return undefined;
}

/** The config read from etcd's data on master `m`, with where and how it was read. */
function foundIn(m: Host, read: EtcdConfigRead): Found {
  const c = read.config;
  return {
    text: c.text,
    fromCluster: true,
    source:
      `etcd data on ${m.name}, revision ${read.revision} (kubeadm-config mod_revision ${c.revisions.kubeadmConfig}` +
      `${c.revisions.kubeletConfig ? `, kubelet-config ${c.revisions.kubeletConfig}` : ', no kubelet-config'}; ${c.encodings.join('/')}; ${read.how})`,
  };
}

/** `hosts` in the order they are tried: the first master (when among them), then the others in their order. */
function firstFirst(hosts: readonly Host[]): Host[] {
  return [...hosts.filter((h) => h.first), ...hosts.filter((h) => !h.first)];
}

/**
 * The ConfigMaps from etcd's data on the first master that has it: its members checked against
 * the inventory, then a throwaway etcd on a copy (a real run where the etcd image and ctr are
 * there, etcd is stopped and space allows) or the offline reader. A plan reads offline only:
 * it starts nothing.
 */
async function fromEtcdData(ctx: PhaseContext<RecoverOptions>): Promise<Found | undefined> {
  const dry = !runDirOf(ctx);
  const decrypt = ctx.options.encryptionConfig ? decryptorFrom(ctx.options.encryptionConfig) : undefined;
  const why: string[] = [];
  const masters = inventoryMasters(ctx);
  for (const m of firstFirst(ctx.hosts.filter((h) => h.role === 'master'))) {
    const h = ctx.on(m);
    let probe;
    try {
      probe = await probeEtcdData(h);
    } catch (e) {
      why.push(`${m.name}: ${(e as Error).message.split('\n')[0]}`); // unreachable: try the next master
      continue;
    }
    if (probe.dbBytes === undefined) {
      why.push(`${m.name}: no etcd data`);
      continue;
    }
    const members = await membersOn(h);
    const bad = memberMismatches(members, masters);
    if (bad.length) {
      throw new Error(
        `the etcd data on ${m.name} names members that do not match the inventory; nothing was changed. Fix the inventory (or give kubeadmConfig and check the members by hand):\n - ${bad.join('\n - ')}`,
      );
    }
    ctx.log(`etcd members in the data on ${m.name}: ${members.map((x) => `${x.name} ${x.peerURLs.join(',')}`).join('; ')} (match the inventory)`);
    const blocker = throwawayBlocker(probe);
    let read: EtcdConfigRead | undefined;
    if (!blocker && dry)
      ctx.log(
        `the run reads it through a throwaway etcd from ${probe.image} on a copy of the data on ${m.name}; this plan reads member/snap/db offline and starts nothing`,
      );
    if (!blocker && !dry) {
      try {
        read = await readThroughThrowaway(h, probe.image!, m.name, `kubemend-etcd-read-${runIdOf(ctx)}`, decrypt);
      } catch (e) {
        if (e instanceof EncryptedValueError || e instanceof DecryptError) throw e; // the offline reader would meet the same value
        ctx.log(`${m.name}: the throwaway etcd failed (${(e as Error).message.split('\n')[0]}); reading member/snap/db offline instead`, 'warn');
      }
    }
    if (blocker) ctx.log(`${m.name}: no throwaway etcd (${blocker}): reading member/snap/db offline`, blocker.startsWith('etcd runs') ? 'warn' : 'info');
    if (!read) read = await readOffline(h, decrypt);
    return foundIn(m, read);
  }
  if (why.length) ctx.log(`no etcd data to read: ${why.join('; ')}`);
  return undefined;
}

/**
 * kubespray's layout: the ConfigMaps read through its running etcd service on the first etcd member
 * that answers (its own etcdctl and /etc/etcd.env: lib/etcd-data/kubespray.ts; a master outside the
 * etcd group has neither: layout.ts etcdAskHost), after its members are checked against the
 * inventory's etcd group (its masters when it names none). Read-only; a plan reads too (nothing is started).
 */
async function fromKubesprayEtcd(ctx: PhaseContext<RecoverOptions>): Promise<Found | undefined> {
  const decrypt = ctx.options.encryptionConfig ? decryptorFrom(ctx.options.encryptionConfig) : undefined;
  const group = inventoryEtcdMembers(ctx);
  const fromGroup = ctx.inventory.groups?.etcd !== undefined; // an Ansible inventory's etcd group; kubemend's YAML names none (its members are the masters)
  const why: string[] = [];
  for (const m of firstFirst(group.filter((e) => ctx.hosts.some((h) => h.name === e.name)))) {
    const h = ctx.on(m);
    let members: EtcdMember[];
    try {
      members = await kubesprayEtcdMembers(h);
    } catch (e) {
      why.push(`${m.name}: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    const bad = kubesprayMemberMismatches(members, group, fromGroup);
    if (bad.length)
      throw new Error(
        `kubespray's etcd on ${m.name} has members that do not match the inventory's ${fromGroup ? 'etcd group' : 'masters'}; nothing was changed:\n - ${bad.join('\n - ')}`,
      );
    ctx.log(
      `kubespray's etcd members (asked on ${m.name}): ${members.map((x) => `${x.name} ${x.id} ${x.peerURLs.join(',')}`).join('; ')} (one on each host of the ${fromGroup ? 'etcd group' : 'masters'}: ${group.map((h) => h.name).join(', ')})`,
    );
    return foundIn(m, await readThroughKubesprayEtcd(h, decrypt));
  }
  if (why.length) ctx.log(`kubespray's etcd could not be asked: ${why.join('; ')}`, 'warn');
  return undefined;
}

/**
 * kubespray's layout: the etcd.external files (kubespray's node-HOST.pem of the master its kubeadm
 * config was written for, and its CA) must be on every master: kubeadm's preflight refuses a master
 * without them (cmd/kubeadm/app/preflight/checks.go ExternalEtcdVersionCheck), and its apiserver
 * reads them. kubespray's gen_certs_script.yml copies every master's node pair to every master.
 */
async function checkExternalEtcdFiles(ctx: PhaseContext, yaml: string): Promise<void> {
  const files = externalEtcdFiles(yaml);
  const missing: string[] = [];
  for (const m of ctx.hosts.filter((h) => h.role === 'master')) {
    const r = await ctx.on(m).read(['sh', '-c', 'for f; do [ -f "$f" ] || echo "$f"; done; exit 0', 'sh', ...files], { what: 'etcd.external files present' });
    const gone = r.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    if (gone.length) missing.push(`${m.name}: ${gone.join(', ')}`);
  }
  if (missing.length)
    throw new Error(
      `the ClusterConfiguration's etcd.external names files that are missing; nothing was changed. Put kubespray's etcd certificates back (kubespray's etcd role copies them) and run again:\n - ${missing.join('\n - ')}`,
    );
  ctx.log(`etcd.external's files on every master: ${files.join(', ')} (kubespray's, kept as they are)`);
}

/**
 * replace-ca with a config read from the compromised cluster: whoever holds the old CA could have
 * written it (e.g. `authorization-mode: AlwaysAllow`). Its differences from this cluster's backup
 * are shown, and the operator must say yes on a terminal. There is no --yes bypass: an unattended
 * run has nobody to review it, and the inventory's kubeadmConfig is the way to pin a reviewed config.
 */
async function acceptForReplaceCa(ctx: PhaseContext, got: Found, saved: string | undefined): Promise<void> {
  const diff = saved ? configDifferences(readFileSync(saved, 'utf8'), got.text) : undefined;
  const shown =
    diff === undefined
      ? `no earlier kubemend backup of cluster ${ctx.inventory.cluster} to compare it with`
      : diff.length
        ? `its differences from the backup ${saved}:\n   ${diff.join('\n   ')}`
        : `identical to the backup ${saved}`;
  ctx.log(`--replace-ca: the ClusterConfiguration comes from the cluster being replaced (${got.source}); ${shown}`, diff?.length === 0 ? 'info' : 'warn');
  if (!runDirOf(ctx)) {
    ctx.log('the run will ask to accept it on the terminal (no --yes bypass); or set `kubeadmConfig:` in the inventory to a config you trust');
    return;
  }
  const ask = ctx.shared.get(RUN)?.ask;
  if (!ask) {
    throw new Error(
      `--replace-ca needs a ClusterConfiguration you trust: the inventory has no kubeadmConfig, and the one read from the cluster (${got.source}) cannot be accepted without a terminal (--yes does not accept it: it may have been written by whoever holds the old CA). Nothing was changed. Review it and set \`kubeadmConfig: FILE\` in the inventory`,
    );
  }
  if (
    !(await ask(
      `Rebuild every master of ${ctx.inventory.cluster} with a new CA from this ClusterConfiguration (${got.source}; ${diff?.length ? `${diff.length} difference(s) from the backup, listed above` : shown})?`,
    ))
  ) {
    throw new Error(
      'the ClusterConfiguration read from the cluster was not accepted; nothing was changed. Set `kubeadmConfig: FILE` in the inventory to a config you trust',
    );
  }
  ctx.log('the operator accepted the ClusterConfiguration read from the cluster');
}

/** Step 0: the ClusterConfiguration, from the inventory's kubeadmConfig, this cluster's newest backup, its API, or its etcd data. */
export const configPhase: ClusterPhase<RecoverOptions> = {
  id: 'facts/config',
  title: "0. Find the cluster's own ClusterConfiguration (inventory kubeadmConfig, this cluster's newest backup, its API, or its etcd data)",
  scope: 'cluster',
  rerunOnResume: true,
  async run(ctx) {
    let got: Found | undefined;
    const inv = ctx.inventory.kubeadmConfig;
    const replaceCa = ctx.options.replaceCa === true;
    if (inv) got = { text: readFileSync(inv, 'utf8'), source: `inventory kubeadmConfig ${inv}`, fromCluster: false };
    const runDir = runDirOf(ctx);
    const saved = got ? undefined : newestSavedConfig(stateDirOf(ctx), ctx.inventory.cluster);
    // replace-ca: a backup of the compromised cluster is what the cluster's config is compared with, not what is used
    if (saved && !replaceCa) got = { text: readFileSync(saved, 'utf8'), source: `kubemend backup ${saved}`, fromCluster: false };
    if (!got) got = await fromApi(ctx);
    if (!got) got = isKubespray(ctx) ? await fromKubesprayEtcd(ctx) : await fromEtcdData(ctx);
    if (!got) {
      throw new Error(
        'no kubeadm ClusterConfiguration: the inventory has no kubeadmConfig, no kubemend backup of this cluster holds one, the cluster does not answer and no master has etcd data. ' +
          "Nothing was changed. Write the cluster's ClusterConfiguration (controlPlaneEndpoint, certSANs, networking) to a file and set `kubeadmConfig: FILE` in the inventory",
      );
    }
    const docs = clusterDocs(got.text, got.source);
    const unsupported = unsupportedClusterConfig(docs.yaml, layoutOf(ctx));
    if (unsupported && isKubespray(ctx)) {
      throw new Error(
        `the ClusterConfiguration (${got.source}) has ${unsupported}. The hosts show kubespray's layout, whose kubeadm config has etcd.external and certificatesDir /etc/kubernetes/ssl (see docs/kubespray.md); nothing was changed`,
      );
    }
    if (unsupported) {
      throw new Error(
        `the ClusterConfiguration (${got.source}) has ${unsupported}. On kubeadm's layout recover rebuilds kubeadm's stacked etcd and /etc/kubernetes/pki only (a kubespray-built cluster, etcd.external with certificatesDir /etc/kubernetes/ssl, is repaired when its hosts show kubespray's layout: see docs/kubespray.md); nothing was changed`,
      );
    }
    if (isKubespray(ctx)) await checkExternalEtcdFiles(ctx, docs.yaml);
    if (replaceCa && got.fromCluster) await acceptForReplaceCa(ctx, got, saved);
    ctx.shared.set(RECOVER_CONFIG, docs);
    ctx.log(`ClusterConfiguration ${docs.apiVersion}${/kind: KubeletConfiguration/.test(docs.yaml) ? ' and KubeletConfiguration' : ''} from ${got.source}`);
    if (runDir) {
      writePrivate(join(localBackupDir(runDir), SAVED_CONFIG), docs.yaml);
      const rec: SavedSource = { cluster: ctx.inventory.cluster, source: got.source, savedAt: new Date().toISOString() };
      writePrivate(join(localBackupDir(runDir), SAVED_SOURCE), JSON.stringify(rec, null, 1) + '\n');
    }
  },
};
