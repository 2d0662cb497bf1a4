/** Step 0 (config): find the cluster's own ClusterConfiguration BEFORE anything is changed; stop when there is none. */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterPhase, PhaseContext } from '../../lib/core/types.js';
import { writePrivate, localBackupDir } from '../../lib/backup/archive.js';
import { type RecoverOptions, kubectlArgv, runDirOf, stateDirOf } from './common.js';
import { clusterDocs } from './config.js';

/** The kubeadm-config file name kept in a run's backups folder. */
export const SAVED_CONFIG = 'kubeadm-config.yaml';

/** The newest kubeadm-config.yaml saved by an earlier kubemend backup under `stateDir`, if any. */
export function newestSavedConfig(stateDir: string): string | undefined {
  if (!existsSync(stateDir)) return undefined;
  const found = readdirSync(stateDir)
    .map((r) => join(stateDir, r, 'backups', SAVED_CONFIG))
    .filter((f) => existsSync(f))
    .map((f) => ({ f, t: statSync(f).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  return found[0]?.f;
}

/** Read the kubeadm-config ConfigMap from the first master that still answers. */
async function fromCluster(ctx: PhaseContext): Promise<{ text: string; source: string } | undefined> {
  for (const m of ctx.hosts.filter((h) => h.role === 'master')) {
    const r = await ctx.on(m).read(kubectlArgv('-n', 'kube-system', 'get', 'configmap', 'kubeadm-config', '-o', 'jsonpath={.data.ClusterConfiguration}'), { allowFail: true, what: 'kubectl get configmap kubeadm-config' });
    if (r.exitCode === 0 && /kind:\s*ClusterConfiguration/.test(r.stdout)) return { text: r.stdout, source: `configmap kube-system/kubeadm-config (read on ${m.name})` };
  }
  return undefined;
}

/** Step 0: the ClusterConfiguration, from the inventory's kubeadmConfig, the newest backup, or the cluster. */
export const configPhase: ClusterPhase<RecoverOptions> = {
  id: 'backup/config',
  title: "0. Find the cluster's own ClusterConfiguration (inventory kubeadmConfig, newest backup, or the cluster)",
  scope: 'cluster',
  rerunOnResume: true,
  async run(ctx) {
    let got: { text: string; source: string } | undefined;
    const inv = ctx.inventory.kubeadmConfig;
    if (inv) got = { text: readFileSync(inv, 'utf8'), source: `inventory kubeadmConfig ${inv}` };
    const runDir = runDirOf(ctx);
    const saved = got ? undefined : newestSavedConfig(stateDirOf(ctx));
    if (saved) got = { text: readFileSync(saved, 'utf8'), source: `kubemend backup ${saved}` };
    if (!got) got = await fromCluster(ctx);
    if (!got) {
      throw new Error('no kubeadm ClusterConfiguration: the inventory has no kubeadmConfig, no kubemend backup holds one, and the cluster does not answer. ' +
        'Nothing was changed. Write the cluster\'s ClusterConfiguration (controlPlaneEndpoint, certSANs, networking) to a file and set `kubeadmConfig: FILE` in the inventory');
    }
    const docs = clusterDocs(got.text, got.source);
    ctx.shared.set('recover:config', docs);
    ctx.log(`ClusterConfiguration ${docs.apiVersion} from ${got.source}`);
    if (runDir) writePrivate(join(localBackupDir(runDir), SAVED_CONFIG), docs.yaml);
  },
};
