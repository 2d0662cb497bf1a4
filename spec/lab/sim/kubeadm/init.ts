/** `kubeadm init` and `kubeadm init phase ...`: the init workflow as kubeadm v1.32 orders it. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pki from '../pki.js';
import { type Api, adminApi, waitHealthy } from './api.js';
import { type Args, boolFlag, flag } from './args.js';
import { runCoreDNS, runKubeProxy } from './addons.js';
import { runBootstrapToken } from './bootstraptoken.js';
import { CERT_PHASES, prefetchKeysFor, runCertsSubphase } from './certs.js';
import { paths } from '../paths.js';
import { type Config, controlPlaneURL, loadConfig } from './config.js';
import { newCertificateKey, uploadCerts } from './copycerts.js';
import { runInitKubeletStart, runKubeletFinalize } from './kubelet.js';
import { KUBECONFIGS, runKubeconfigPhase } from './kubeconfig.js';
import { CONTROL_PLANE, runControlPlanePhase, runEtcdLocal } from './manifests.js';
import { runMarkControlPlane } from './markcp.js';
import { say } from './out.js';
import { initPreflight } from './preflight.js';
import { uploadKubeadmConfig, uploadKubeletConfig } from './uploadconfig.js';
import { type Phase, findPhase, runPhases } from './workflow.js';

/** State shared by init's phases. */
interface InitData {
  c: Config;
  args: Args;
  api?: Api;
  tokens: string[];
  certificateKey?: string;
  /** `kubeadm init` (every phase) rather than one `init phase`. */
  wholeInit?: boolean;
}

function client(d: InitData): Api {
  d.api ??= adminApi();
  return d.api;
}

function phases(d: InitData): Phase[] {
  const { c } = d;
  return [
    { name: 'preflight', run: () => initPreflight(c) },
    {
      name: 'certs',
      run: () => {
        prefetchKeysFor(c, d.wholeInit ? KUBECONFIGS.map((k) => join(paths.kubernetes, k.file)) : []);
        say(`[certs] Using certificateDir folder "${c.cluster.certificatesDir}"`);
      },
      children: CERT_PHASES.map((n) => ({ name: n, run: () => runCertsSubphase(c, n) })),
    },
    {
      name: 'kubeconfig',
      run: () => {
        if (!d.wholeInit) pki.prefetchKeys(KUBECONFIGS.filter((k) => !existsSync(join(paths.kubernetes, k.file))).length, c.cluster.encryptionAlgorithm);
        say(`[kubeconfig] Using kubeconfig folder "/etc/kubernetes"`);
      },
      children: KUBECONFIGS.map((k) => ({ name: k.name, run: () => runKubeconfigPhase(c, k.name) })),
    },
    { name: 'etcd', children: [{ name: 'local', run: () => runEtcdLocal(c) }] },
    {
      name: 'control-plane',
      run: () => say(`[control-plane] Using manifest folder "/etc/kubernetes/manifests"`),
      children: CONTROL_PLANE.map((w) => ({ name: w, run: () => runControlPlanePhase(c, w) })),
    },
    { name: 'kubelet-start', run: () => runInitKubeletStart(c) },
    {
      name: 'wait-control-plane',
      run: async () => {
        say(`[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "/etc/kubernetes/manifests"`);
        say(`[api-check] Waiting for a healthy API server. This can take up to 4m0s`);
        const ms = await waitHealthy(client(d), Number(process.env.LAB_KUBEADM_API_TIMEOUT_MS ?? 240_000));
        say(`[api-check] The API server is healthy after ${(ms / 1000).toFixed(6)}s`);
      },
    },
    {
      name: 'upload-config',
      children: [
        { name: 'kubeadm', run: () => uploadKubeadmConfig(client(d), c) },
        { name: 'kubelet', run: () => uploadKubeletConfig(client(d), c) },
      ],
    },
    {
      name: 'upload-certs',
      run: async () => {
        if (!c.uploadCerts) {
          say('[upload-certs] Skipping phase. Please see --upload-certs');
          return;
        }
        d.certificateKey ??= c.certificateKey ?? newCertificateKey();
        say(`[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace`);
        await uploadCerts(client(d), c, d.certificateKey).catch((e) => {
          throw new Error(`error uploading certs: ${e.message}`);
        });
        if (!boolFlag(d.args, 'skip-certificate-key-print')) {
          say('[upload-certs] Using certificate key:');
          say(d.certificateKey);
        }
      },
    },
    { name: 'mark-control-plane', run: () => runMarkControlPlane(client(d), c) },
    {
      name: 'bootstrap-token',
      run: async () => {
        d.tokens = await runBootstrapToken(client(d), c, !boolFlag(d.args, 'skip-token-print'));
      },
    },
    { name: 'kubelet-finalize', children: [{ name: 'enable-client-cert-rotation', run: () => runKubeletFinalize(c) }] },
    {
      name: 'addon',
      children: [
        { name: 'coredns', run: () => runCoreDNS(client(d), c) },
        { name: 'kube-proxy', run: () => runKubeProxy(client(d), c) },
      ],
    },
    { name: 'show-join-command', run: () => showJoinCommand(d) },
  ];
}

/** The join command line kubeadm prints. */
export function joinCommand(endpoint: string, token: string, hash: string, certificateKey?: string, controlPlane = false): string {
  let s = `kubeadm join ${endpoint} --token ${token} \\\n\t--discovery-token-ca-cert-hash ${hash}`;
  if (controlPlane) s += ` \\\n\t--control-plane${certificateKey ? ` --certificate-key ${certificateKey}` : ''}`;
  return s;
}

function showJoinCommand(d: InitData): void {
  const { c } = d;
  const hash = pki.caPinHash(readFileSync(join(c.certDir, 'ca.crt'), 'utf8'));
  const endpoint = controlPlaneURL(c).replace(/^https:\/\//, '');
  const token = d.tokens[0] ?? '<value withheld>';
  const lines = [
    'Your Kubernetes control-plane has initialized successfully!',
    '',
    'To start using your cluster, you need to run the following as a regular user:',
    '',
    '  mkdir -p $HOME/.kube',
    '  sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config',
    '  sudo chown $(id -u):$(id -g) $HOME/.kube/config',
    '',
    'Alternatively, if you are the root user, you can run:',
    '',
    '  export KUBECONFIG=/etc/kubernetes/admin.conf',
    '',
    'You should now deploy a pod network to the cluster.',
    'Run "kubectl apply -f [podnetwork].yaml" with one of the options listed at:',
    '  https://kubernetes.io/docs/concepts/cluster-administration/addons/',
    '',
  ];
  if (c.cluster.controlPlaneEndpoint) {
    if (d.certificateKey) {
      lines.push('You can now join any number of control-plane nodes running the following command on each as root:', '');
      lines.push('  ' + joinCommand(endpoint, token, hash, d.certificateKey, true), '');
      lines.push('Please note that the certificate-key gives access to cluster sensitive data, keep it secret!');
      lines.push('As a safeguard, uploaded-certs will be deleted in two hours; If necessary, you can use');
      lines.push('"kubeadm init phase upload-certs --upload-certs" to reload certs afterward.', '');
    } else {
      lines.push('You can now join any number of control-plane nodes by copying certificate authorities');
      lines.push('and service account keys on each node and then running the following as root:', '');
      lines.push('  ' + joinCommand(endpoint, token, hash, undefined, true), '');
    }
  }
  lines.push('Then you can join any number of worker nodes by running the following on each as root:', '');
  lines.push(joinCommand(endpoint, token, hash) + ' ');
  say(lines.join('\n'));
}

/** Run `kubeadm init [flags]` (all phases, minus --skip-phases). */
export async function runInit(args: Args): Promise<void> {
  const c = loadConfig(args, { side: 'init' });
  say(`[init] Using Kubernetes version: ${c.cluster.kubernetesVersion}`);
  const d: InitData = { c, args, tokens: [], wholeInit: true };
  try {
    await runPhases(phases(d), c.skipPhases);
  } finally {
    d.api?.close();
  }
}

/** Run `kubeadm init phase <words...>`. */
export async function runInitPhase(words: string[], args: Args): Promise<void> {
  const c = loadConfig(args, { side: 'init' });
  const d: InitData = { c, args, tokens: [] };
  if (flag(args, 'certificate-key')) d.certificateKey = flag(args, 'certificate-key');
  const all = phases(d);
  const hit = findPhase(all, words);
  if (!hit) throw new Error(`unknown command "${words.join(' ')}" for "kubeadm init phase"`);
  const parent = hit.path.includes('/') ? hit.path.slice(0, hit.path.lastIndexOf('/')) : '';
  try {
    await runPhases([hit.phase], c.skipPhases, parent);
  } finally {
    d.api?.close();
  }
}
