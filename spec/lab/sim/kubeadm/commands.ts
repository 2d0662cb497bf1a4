/** The small kubeadm commands: token, certs, kubeconfig user, version, reset. */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as pki from '../pki.js';
import { paths } from '../paths.js';
import { Api } from './api.js';
import { type Args, boolFlag, flag, listFlag } from './args.js';
import { type ConfigSource, checkExpiration, renew } from './certscmd.js';
import { type Config, KUBEADM_VERSION, controlPlaneURL, loadConfig, parseDuration } from './config.js';
import { newCertificateKey } from './copycerts.js';
import { joinCommand } from './init.js';
import { makeKubeconfig } from './kubeconfig.js';
import { systemctl } from './kubelet.js';
import { say } from './out.js';
import { createToken, deleteToken, formatTokenList, generateToken, listTokens } from './tokens.js';
import { fetchClusterConfiguration } from './uploadconfig.js';

function kubeconfigPath(a: Args): string {
  return flag(a, 'kubeconfig') ?? paths.adminConf;
}

/** Load config for commands that read the cluster's ClusterConfiguration when the API answers. */
async function configFromCluster(a: Args): Promise<{ c: Config; source: ConfigSource }> {
  if (flag(a, 'config')) return { c: loadConfig(a, { side: 'init' }), source: 'file' };
  let cluster: any;
  try {
    if (existsSync(kubeconfigPath(a))) {
      const api = Api.fromCreds({ ...Api.fromFile(kubeconfigPath(a)).kc.creds }, 3000);
      try {
        cluster = await fetchClusterConfiguration(api);
      } finally {
        api.close();
      }
    }
  } catch {
    cluster = undefined;
  }
  return { c: loadConfig(a, { side: 'init', clusterFromCluster: cluster }), source: cluster ? 'cluster' : 'defaults' };
}

/** `kubeadm token create|list|delete|generate` (a.words: the positional arguments). */
export async function tokenCmd(sub: string, a: Args): Promise<void> {
  if (sub === 'generate') {
    say(generateToken());
    return;
  }
  const api = Api.fromFile(kubeconfigPath(a));
  try {
    if (sub === 'create') {
      const token = a.words[0] ?? generateToken();
      const usages = listFlag(a, 'usages');
      const groups = listFlag(a, 'groups');
      try {
        await createToken(api, {
          token,
          ttl: flag(a, 'ttl') ?? '24h0m0s',
          usages: usages.length ? usages : ['signing', 'authentication'],
          groups: groups.length ? groups : ['system:bootstrappers:kubeadm:default-node-token'],
          description: flag(a, 'description'),
        });
      } catch (e) {
        throw new Error(`failed to create or update bootstrap token with name bootstrap-token-${token.split('.')[0]}: ${(e as Error).message}`);
      }
      if (boolFlag(a, 'print-join-command')) {
        const kc = pki.parseKubeconfig(readFileSync(kubeconfigPath(a), 'utf8'));
        const endpoint = kc.server.replace(/^https:\/\//, '');
        const hash = pki.caPinHash(kc.caPem ?? '');
        const key = flag(a, 'certificate-key');
        say(joinCommand(endpoint, token, hash, key, !!key).replace(/ \\\n\t/g, ' ') + ' ');
      } else {
        say(token);
      }
    } else if (sub === 'list') {
      process.stdout.write(formatTokenList(await listTokens(api)));
    } else if (sub === 'delete') {
      if (a.words.length < 1) throw new Error('missing argument; \'token delete\' is missing token of form "[a-z0-9]{6}" or "[a-z0-9]{6}\\.[a-z0-9]{16}"');
      for (const t of a.words) say(await deleteToken(api, t));
    } else {
      throw new Error(`unknown command "${sub ?? ''}" for "kubeadm token"`);
    }
  } finally {
    api.close();
  }
}

/** `kubeadm certs check-expiration|renew NAME|certificate-key` (`sub`: the words after `certs`). */
export async function certsCmd(sub: string[], a: Args): Promise<void> {
  if (sub[0] === 'certificate-key') {
    say(newCertificateKey());
    return;
  }
  const { c, source } = await configFromCluster(a);
  if (sub[0] === 'check-expiration') return checkExpiration(c, source);
  if (sub[0] === 'renew' && sub[1]) return renew(c, sub[1], source);
  throw new Error(`lab kubeadm: certs ${sub.join(' ')} is not modelled`);
}

/** `kubeadm kubeconfig user --client-name NAME [--org O]... [--validity-period D]`: prints a kubeconfig. */
export async function kubeconfigUserCmd(a: Args): Promise<void> {
  const name = flag(a, 'client-name') ?? '';
  const c = loadConfig(a, { side: 'init' });
  const caPair = pki.readKeyPair(c.certDir, 'ca');
  if (!caPair)
    throw new Error(
      `couldn't create a kubeconfig; the CA files couldn't be loaded: failed to load certificate: couldn't load the certificate file ${join(c.certDir, 'ca.crt')}: open ${join(c.certDir, 'ca.crt')}: no such file or directory`,
    );
  const validity = flag(a, 'validity-period');
  const text = await makeKubeconfig(c, caPair, name, listFlag(a, 'org'), controlPlaneURL(c), validity ? parseDuration(validity) : undefined);
  process.stdout.write(text);
}

/** `kubeadm version [-o short|json|yaml]`. */
export function versionCmd(a: Args): void {
  const out = flag(a, 'output');
  const info = {
    major: '1',
    minor: '32',
    gitVersion: KUBEADM_VERSION,
    gitCommit: '59526cd4867447956156ae3a602fcbac10a2c335',
    gitTreeState: 'clean',
    buildDate: '2025-04-22T16:02:27Z',
    goVersion: 'go1.23.6',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
  if (out === 'short') say(KUBEADM_VERSION);
  else if (out === 'json') say(JSON.stringify({ clientVersion: info }, null, 2));
  else if (out === 'yaml')
    say(
      `clientVersion:\n${Object.entries(info)
        .map(([k, v]) => `  ${k}: ${v}`)
        .join('\n')}`,
    );
  else
    say(
      `kubeadm version: &version.Info{Major:"1", Minor:"32", GitVersion:"${KUBEADM_VERSION}", GitCommit:"${info.gitCommit}", GitTreeState:"clean", BuildDate:"${info.buildDate}", GoVersion:"go1.23.6", Compiler:"gc", Platform:"linux/amd64"}`,
    );
}

/** `kubeadm reset -f`: remove what init/join made on this node (not the CNI or iptables). */
export function resetCmd(a: Args): void {
  if (!boolFlag(a, 'force')) throw new Error('reset aborted: pass -f/--force (the lab kubeadm does not prompt)');
  say('[preflight] Running pre-flight checks');
  say('[reset] Stopping the kubelet service');
  try {
    systemctl('stop');
  } catch {
    /* ignored */
  }
  if (existsSync(paths.manifests)) for (const f of readdirSync(paths.manifests)) rmSync(join(paths.manifests, f), { force: true });
  say('[reset] Deleting contents of directories: [/etc/kubernetes/manifests /var/lib/kubelet /etc/kubernetes/pki]');
  rmSync(paths.pki, { recursive: true, force: true });
  rmSync(paths.kubeletDir, { recursive: true, force: true });
  if (!(flag(a, 'skip-phases') ?? '').includes('cleanup-node')) rmSync(paths.etcdData, { recursive: true, force: true });
  for (const f of ['admin.conf', 'super-admin.conf', 'kubelet.conf', 'bootstrap-kubelet.conf', 'controller-manager.conf', 'scheduler.conf']) {
    rmSync(join(paths.kubernetes, f), { force: true });
  }
  say(
    '[reset] Deleting files: [/etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf /etc/kubernetes/kubelet.conf /etc/kubernetes/bootstrap-kubelet.conf /etc/kubernetes/controller-manager.conf /etc/kubernetes/scheduler.conf]',
  );
}
