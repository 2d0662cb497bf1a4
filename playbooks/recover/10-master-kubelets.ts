/**
 * Step 10: masters: kubelet re-bootstrapped with a kubelet.conf signed by the new CA, keeping its
 * configuration:
 * - its KubeletConfiguration: the cluster's (the `kube-system/kubelet-config` ConfigMap, which
 *   `kubeadm join` and `kubeadm upgrade node` also write to config.yaml), else the host's own
 *   /var/lib/kubelet/config.yaml, else the one of kubemend's ClusterConfiguration source; without
 *   any of them `init phase kubelet-start` would write kubeadm's defaults (no serverTLSBootstrap,
 *   no custom eviction thresholds, ...);
 * - its /var/lib/kubelet/kubeadm-flags.env: the earlier flags (node-ip, ...) as kubeletExtraArgs;
 * then, as `kubeadm init` does after its kubelet ran, `kubeadm init phase kubelet-finalize
 * enable-client-cert-rotation` (1.31+; `experimental-cert-rotation` before): once the kubelet has
 * written kubelet-client-current.pem from the certificate embedded in kubelet.conf, kubelet.conf
 * is pointed at that rotatable file instead of an embedded one-year certificate
 * (cmd/kubeadm/app/cmd/phases/init/kubeletfinalize.go; it does nothing while the file is absent).
 */
import type { HostContext, HostPhase } from '../../lib/core/types.js';
import { inventoryFirst } from '../../lib/core/hosts.js';
import { KUBELET_CLIENT, KUBEADM_CONFIG } from '../../lib/facts/paths.js';
import { atLeast, keepRegistration, kubeadmVersion, kubeletFlagsEnv } from '../../lib/kubeadm/config.js';
import { type RecoverOptions, lostMasters, recoverConfig } from './common.js';
import { kubeadm, kubectlArgv } from '../shared/commands.js';
import { waitFor } from '../shared/wait-for.js';
import { hostConfig, kubeletDoc } from './config.js';
import { READ_RETRY } from '../../lib/kubeadm/idempotent.js';
import { RetriesExhaustedError } from '../../lib/core/retry.js';
import { sharedKey } from '../../lib/core/shared.js';

/** The kubelet's own configuration file (kubeadm's kubelet-start writes it). */
export const KUBELET_CONFIG_YAML = '/var/lib/kubelet/config.yaml';

/** The cluster's KubeletConfiguration as the first master's API gives it, read once per run. */
const CLUSTER_KUBELET_CONFIG = sharedKey<Promise<{ yaml: string; source: string } | undefined>>('recover:kubelet-config');

/** The cluster's KubeletConfiguration and where it came from (once per run: the ConfigMap is the same for every master). */
async function clusterKubeletConfig(h: HostContext<RecoverOptions>): Promise<{ yaml: string; source: string } | undefined> {
  return h.shared.once(CLUSTER_KUBELET_CONFIG, async () => {
    const first = h.on(inventoryFirst(h));
    // a blip of the apiserver must not pass for "no ConfigMap" (the host's own file would be used):
    // retried, and a blip that does not clear stops the step; any other failure (NotFound) is "none"
    const r = await first
      .read(kubectlArgv('-n', 'kube-system', 'get', 'configmap', 'kubelet-config', '-o', 'jsonpath={.data.kubelet}'), {
        what: 'kubectl get configmap kubelet-config',
        retry: READ_RETRY,
      })
      .catch((e) => {
        if (e instanceof RetriesExhaustedError) throw e;
        return undefined;
      });
    return r && /kind:\s*KubeletConfiguration/.test(r.stdout)
      ? { yaml: r.stdout, source: `configmap kube-system/kubelet-config (read on ${first.host.name})` }
      : undefined;
  });
}

/** The KubeletConfiguration this master's kubelet-start writes (see the file's comment for the order). */
async function kubeletConfigFor(h: HostContext<RecoverOptions>): Promise<{ yaml: string; source: string } | undefined> {
  const cm = await clusterKubeletConfig(h);
  if (cm) return cm;
  const own = await h.read(['sh', '-c', 'cat "$1" 2>/dev/null; exit 0', 'sh', KUBELET_CONFIG_YAML], { what: `read ${KUBELET_CONFIG_YAML}` });
  if (/kind:\s*KubeletConfiguration/.test(own.stdout)) return { yaml: own.stdout, source: `${h.host.name}:${KUBELET_CONFIG_YAML}` };
  const cfg = recoverConfig(h);
  const doc = kubeletDoc(cfg.yaml);
  return doc ? { yaml: doc, source: 'the ClusterConfiguration source of step 0' } : undefined;
}

/** Step 10 (also the rebuilt masters of rebuild-one). */
export const masterKubeletsPhase: HostPhase<RecoverOptions> = {
  id: 'masters/kubelet',
  title:
    '10. Masters: kubelet stopped, its pki and kubelet.conf removed, kubeconfig kubelet, kubelet-start (its KubeletConfiguration and flags kept), kubelet-finalize',
  hosts: lostMasters,
  strategy: { kind: 'serial' },
  destructive: true,
  async run(h) {
    const cfg = recoverConfig(h);
    const registration = keepRegistration(h.host.name, await h.fact(kubeletFlagsEnv));
    const kubelet = await kubeletConfigFor(h);
    if (kubelet)
      h.log(`KubeletConfiguration from ${kubelet.source}; kubelet flags kept: ${registration.kubeletExtraArgs.map((f) => `--${f.name}`).join(' ') || 'none'}`);
    else
      h.log(
        'no KubeletConfiguration found (no kubelet-config ConfigMap, no /var/lib/kubelet/config.yaml, none in the config source): kubeadm writes its defaults',
        'warn',
      );
    await h.upload(KUBEADM_CONFIG, hostConfig(h.host, cfg, { registration, kubelet: kubelet?.yaml }), { mode: 0o600 });
    await h.run(['systemctl', 'stop', 'kubelet']);
    await h.run(['rm', '-rf', '/var/lib/kubelet/pki', '/etc/kubernetes/kubelet.conf']);
    await kubeadm(h, ['init', 'phase', 'kubeconfig', 'kubelet']);
    await kubeadm(h, ['init', 'phase', 'kubelet-start']);
    if (kubelet && /^\s*rotateCertificates:\s*false\b/m.test(kubelet.yaml)) {
      h.log('rotateCertificates: false: the kubelet keeps the client certificate embedded in kubelet.conf (kubelet-finalize would do nothing)', 'warn');
      return;
    }
    await waitFor(
      h,
      `the kubelet on ${h.host.name} wrote ${KUBELET_CLIENT}`,
      async () => {
        const r = await h.read(['test', '-e', KUBELET_CLIENT], { allowFail: true });
        return r.exitCode === 0 ? true : 'not yet';
      },
      { seconds: 120 },
    );
    // the subphase was renamed in 1.31 (kubernetes/kubernetes#124419); an unknown version gets the current name
    const v = await h.fact(kubeadmVersion);
    const finalize = v === null || atLeast(v, 31) ? 'enable-client-cert-rotation' : 'experimental-cert-rotation';
    await kubeadm(h, ['init', 'phase', 'kubelet-finalize', finalize]);
  },
};
