/**
 * `kubeadm join` and `kubeadm join phase ...`: token discovery (lazily, by the first phase that
 * needs it), then the worker or control-plane join phases as kubeadm v1.32 orders them.
 */
import { existsSync, readFileSync } from 'node:fs';
import YAML from 'yaml';
import * as pki from '../pki.js';
import { paths } from '../paths.js';
import { Api } from './api.js';
import type { Args } from './args.js';
import { joinLeafCerts, runCertsSubphase } from './certs.js';
import { type Config, clusterFromDoc, loadConfig, parseDuration, rooted } from './config.js';
import { downloadCerts } from './copycerts.js';
import { type DiscoveryResult, discover } from './discovery.js';
import { runEtcdJoin } from './etcdjoin.js';
import { runJoinKubeletStart } from './kubelet.js';
import { runKubeconfigPhase } from './kubeconfig.js';
import { CONTROL_PLANE, runControlPlanePhase } from './manifests.js';
import { runMarkControlPlane } from './markcp.js';
import { say } from './out.js';
import { joinPreflight } from './preflight.js';
import { type Phase, findPhase, runPhases } from './workflow.js';

/** State shared by join's phases; discovery runs once, when first needed. */
class JoinData {
  private disc?: DiscoveryResult;
  private boot?: Api;
  private admin?: Api;
  private clusterLoaded = false;
  kubeletConfig?: any;
  /**
   * @param useAdminConf kubeadm's newJoinData: a control-plane join whose admin.conf exists reads
   *   the cluster with it instead of discovery (phases run one at a time after control-plane-prepare)
   */
  constructor(
    readonly c: Config,
    readonly args: Args,
    readonly useAdminConf = false,
  ) {}

  /** Discovery result (cluster-info verified by JWS and CA pin), or admin.conf's cluster when it stands in for discovery. */
  async discovery(): Promise<DiscoveryResult> {
    if (!this.disc && this.useAdminConf) {
      const kc = pki.parseKubeconfig(readFileSync(paths.adminConf, 'utf8'));
      this.disc = { server: kc.server, caPem: kc.caPem ?? '', clusterName: kc.clusterName ?? 'kubernetes' };
    }
    this.disc ??= await discover(this.c.discovery);
    return this.disc;
  }

  /** A client authenticated with the TLS bootstrap token, trusting the discovered CA (admin.conf's client when it stands in for discovery). */
  async bootstrapClient(): Promise<Api> {
    if (this.useAdminConf) return this.adminClient();
    if (!this.boot) {
      const d = await this.discovery();
      this.boot = Api.fromCreds({ server: d.server, ca: Buffer.from(d.caPem), token: this.c.discovery.tlsBootstrapToken });
    }
    return this.boot;
  }

  /** Read the cluster's ClusterConfiguration and kubelet config from the kubeadm-config/kubelet-config ConfigMaps. */
  async loadClusterConfig(): Promise<void> {
    if (this.clusterLoaded) return;
    const api = await this.bootstrapClient();
    say(`[preflight] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...`);
    say(`[preflight] Use 'kubeadm init phase upload-config --config your-config.yaml' to re-upload it.`);
    const cm = await api.get('/api/v1/namespaces/kube-system/configmaps/kubeadm-config');
    if (!cm?.data?.ClusterConfiguration) throw new Error('unable to fetch the kubeadm-config ConfigMap: configmaps "kubeadm-config" not found');
    this.c.cluster = clusterFromDoc(YAML.parse(cm.data.ClusterConfiguration));
    // join's InitConfiguration is the cluster's (kubeadm join.go fetchInitConfigurationFromJoinConfiguration):
    // certs go to the cluster's certificatesDir (kubespray: /etc/kubernetes/ssl), unless --cert-dir... join has none
    this.c.certDir = rooted(this.c.cluster.certificatesDir);
    const kcm = await api.get('/api/v1/namespaces/kube-system/configmaps/kubelet-config');
    this.kubeletConfig = kcm?.data?.kubelet ? YAML.parse(kcm.data.kubelet) : undefined;
    this.clusterLoaded = true;
  }

  /** The admin client from the admin.conf written by control-plane-prepare. */
  adminClient(): Api {
    this.admin ??= Api.fromFile(paths.adminConf);
    return this.admin;
  }

  close(): void {
    this.boot?.close();
    this.admin?.close();
  }
}

function requireControlPlane(d: JoinData, fn: () => Promise<void> | void): () => Promise<void> {
  return async () => {
    if (!d.c.controlPlane) return;
    await d.loadClusterConfig();
    await fn();
  };
}

function phases(d: JoinData): Phase[] {
  const { c } = d;
  const prepareCerts = async () => {
    say(`[certs] Using certificateDir folder "${c.cluster.certificatesDir}"`);
    for (const n of joinLeafCerts(c)) await runCertsSubphase(c, n);
    say(`[certs] Valid certificates and keys now exist in "${c.cluster.certificatesDir}"`);
    say('[certs] Using the existing "sa" key');
  };
  return [
    {
      name: 'preflight',
      run: async () => {
        joinPreflight(c);
        await d.loadClusterConfig();
        if (c.controlPlane) say('[preflight] Running pre-flight checks before initializing the new control plane instance');
      },
    },
    {
      name: 'control-plane-prepare',
      children: [
        {
          name: 'download-certs',
          run: requireControlPlane(d, async () => {
            if (!c.certificateKey) return;
            say(`[download-certs] Downloading the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace`);
            try {
              await downloadCerts(await d.bootstrapClient(), c, c.certificateKey);
            } catch (e) {
              throw new Error(`error downloading certs: ${(e as Error).message}`);
            }
            say(`[download-certs] Saving the certificates to the folder: "${c.cluster.certificatesDir}"`);
          }),
        },
        { name: 'certs', run: requireControlPlane(d, prepareCerts) },
        {
          name: 'kubeconfig',
          run: requireControlPlane(d, async () => {
            say('[kubeconfig] Generating kubeconfig files');
            say(`[kubeconfig] Using kubeconfig folder "/etc/kubernetes"`);
            for (const k of ['admin', 'controller-manager', 'scheduler']) await runKubeconfigPhase(c, k);
          }),
        },
        {
          name: 'control-plane',
          run: requireControlPlane(d, () => {
            say(`[control-plane] Using manifest folder "/etc/kubernetes/manifests"`);
            for (const w of CONTROL_PLANE) runControlPlanePhase(c, w);
          }),
        },
      ],
    },
    {
      name: 'kubelet-start',
      run: async () => {
        const disc = await d.discovery();
        await d.loadClusterConfig();
        const api = await d.bootstrapClient();
        const checkNode = async () => {
          const node = await api.req('GET', `/api/v1/nodes/${c.nodeName}`);
          if (node.status === 200) {
            const ready = (node.body?.status?.conditions ?? []).find((x: any) => x.type === 'Ready');
            if (ready?.status === 'True') {
              throw new Error(
                `a Node with name "${c.nodeName}" and status "Ready" already exists in the cluster. You must delete the existing Node or change the name of this new joining Node`,
              );
            }
          } else if (node.status !== 404) {
            throw new Error(`cannot get Node "${c.nodeName}": ${node.body?.message ?? `HTTP ${node.status}`}`);
          }
        };
        await runJoinKubeletStart(c, {
          server: disc.server,
          caPem: disc.caPem,
          token: c.discovery.tlsBootstrapToken ?? '',
          kubeletConfig: d.kubeletConfig,
          timeoutMs: Number(process.env.LAB_KUBEADM_TLS_BOOTSTRAP_TIMEOUT_MS ?? 60_000),
          checkNode,
        });
      },
    },
    {
      name: 'control-plane-join',
      children: [
        { name: 'etcd', run: requireControlPlane(d, () => runEtcdJoin(d.adminClient(), c)) },
        { name: 'update-status', run: requireControlPlane(d, () => undefined) },
        { name: 'mark-control-plane', run: requireControlPlane(d, () => runMarkControlPlane(d.adminClient(), c)) },
      ],
    },
    {
      name: 'wait-control-plane',
      run: requireControlPlane(d, () => undefined),
    },
  ];
}

function joinedMessage(c: Config): string {
  if (c.controlPlane) {
    return [
      '',
      'This node has joined the cluster and a new control plane instance was created:',
      '',
      '* Certificate signing request was sent to apiserver and approval was received.',
      '* The Kubelet was informed of the new secure connection details.',
      '* Control plane label and taint were applied to the new node.',
      '* The Kubernetes control plane instances scaled up.',
      '* A new etcd member was added to the local/stacked etcd cluster.',
      '',
      'To start administering your cluster from this node, you need to run the following as a regular user:',
      '',
      '\tmkdir -p $HOME/.kube',
      '\tsudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config',
      '\tsudo chown $(id -u):$(id -g) $HOME/.kube/config',
      '',
      "Run 'kubectl get nodes' to see this node join the cluster.",
      '',
    ].join('\n');
  }
  return [
    '',
    'This node has joined the cluster:',
    '* Certificate signing request was sent to apiserver and a response was received.',
    '* The Kubelet was informed of the new secure connection details.',
    '',
    "Run 'kubectl get nodes' on the control-plane to see this node join the cluster.",
    '',
  ].join('\n');
}

function joinConfig(args: Args): Config {
  const c = loadConfig(args, { side: 'join' });
  const env = process.env.LAB_KUBEADM_DISCOVERY_TIMEOUT;
  if (env) c.discovery.timeoutMs = parseDuration(env);
  return c;
}

/** Run `kubeadm join <endpoint> [flags]`. */
export async function runJoin(args: Args): Promise<void> {
  const c = joinConfig(args);
  const d = new JoinData(c, args, adminConfStandsIn(c, true));
  try {
    await runPhases(phases(d), c.skipPhases);
  } finally {
    d.close();
  }
  say(joinedMessage(c));
}

/**
 * What kubeadm's newJoinData does with admin.conf (cmd/kubeadm/app/cmd/join.go, v1.32): a phase
 * without discovery flags (control-plane-join, control-plane-prepare control-plane,
 * wait-control-plane) needs /etc/kubernetes/admin.conf, written by control-plane-prepare, and uses
 * it as its discovery file; and a control-plane join reads the cluster with an existing admin.conf
 * instead of discovering it.
 */
function adminConfStandsIn(c: Config, hasDiscoveryFlags: boolean): boolean {
  const exists = existsSync(paths.adminConf);
  if (!hasDiscoveryFlags && !exists) {
    throw new Error("File /etc/kubernetes/admin.conf does not exists. Please use 'kubeadm join phase control-plane-prepare' subcommands to generate it.");
  }
  return exists && (c.controlPlane || !hasDiscoveryFlags);
}

/** Run `kubeadm join phase <words...>` (`hasDiscoveryFlags`: the phase has --discovery-file and the token flags). */
export async function runJoinPhase(words: string[], args: Args, hasDiscoveryFlags = true): Promise<void> {
  const c = joinConfig(args);
  const d = new JoinData(c, args, adminConfStandsIn(c, hasDiscoveryFlags));
  const hit = findPhase(phases(d), words);
  if (!hit) throw new Error(`unknown command "${words.join(' ')}" for "kubeadm join phase"`);
  const parent = hit.path.includes('/') ? hit.path.slice(0, hit.path.lastIndexOf('/')) : '';
  try {
    await runPhases([hit.phase], c.skipPhases, parent);
  } finally {
    d.close();
  }
}
