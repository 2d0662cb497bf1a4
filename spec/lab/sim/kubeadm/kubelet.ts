/**
 * The `kubelet-start` phase (init and join) and `kubelet-finalize`: the kubelet's config.yaml and
 * kubeadm-flags.env, a restart through `systemctl`, and for join the TLS bootstrap wait.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import YAML from 'yaml';
import * as pki from '../pki.js';
import { p, paths } from '../paths.js';
import type { Config } from './config.js';
import { say } from './out.js';
import { type Arg, argumentsToCommand } from './arguments.js';
import { sleep } from './api.js';
import { apiServiceIP } from './certs.js';

/** The KubeletConfiguration kubeadm writes: the user's document over kubeadm's defaults. */
export function kubeletConfiguration(c: Config, fromCluster?: any): Record<string, any> {
  const svcIP = apiServiceIP(c.cluster.networking.serviceSubnet).split('.');
  svcIP[3] = String(Number(svcIP[3]) + 9);
  const base: Record<string, any> = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    authentication: {
      anonymous: { enabled: false },
      webhook: { cacheTTL: '0s', enabled: true },
      x509: { clientCAFile: `${c.cluster.certificatesDir}/ca.crt` }, // componentconfigs/kubelet.go Default: CertificatesDir/ca.crt
    },
    authorization: { mode: 'Webhook', webhook: { cacheAuthorizedTTL: '0s', cacheUnauthorizedTTL: '0s' } },
    cgroupDriver: 'systemd',
    clusterDNS: [svcIP.join('.')],
    clusterDomain: c.cluster.networking.dnsDomain,
    containerRuntimeEndpoint: '',
    cpuManagerReconcilePeriod: '0s',
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    rotateCertificates: true,
    runtimeRequestTimeout: '0s',
    staticPodPath: '/etc/kubernetes/manifests',
    syncFrequency: '0s',
    volumeStatsAggPeriod: '0s',
  };
  const user = fromCluster ?? c.kubelet ?? {};
  return { ...base, ...user, apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration' };
}

function writeKubeletFiles(c: Config, kubeletCfg: Record<string, any>): void {
  // buildKubeletArgs (cmd/kubeadm/app/phases/kubelet/flags.go) then ArgumentsToCommand with the extra args
  const base: Arg[] = [
    { name: 'container-runtime-endpoint', value: 'unix:///var/run/containerd/containerd.sock' },
    { name: 'pod-infra-container-image', value: 'registry.k8s.io/pause:3.10' },
  ];
  if (c.nodeName !== hostname().toLowerCase()) base.push({ name: 'hostname-override', value: c.nodeName });
  const args = argumentsToCommand(base, c.kubeletExtraArgs);
  say(`[kubelet-start] Writing kubelet environment file with flags to file "/var/lib/kubelet/kubeadm-flags.env"`);
  pki.writePublicFile(paths.kubeadmFlagsEnv, `KUBELET_KUBEADM_ARGS="${args.join(' ')}"\n`);
  say(`[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"`);
  pki.writePublicFile(paths.kubeletConfigYaml, YAML.stringify(kubeletCfg));
}

/** Run `systemctl <verb> kubelet` (the lab shim; LAB_SYSTEMCTL overrides it in unit tests). */
export function systemctl(verb: string): void {
  execFileSync(process.env.LAB_SYSTEMCTL ?? 'systemctl', [verb, 'kubelet'], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function startKubelet(): void {
  say('[kubelet-start] Starting the kubelet');
  try {
    systemctl('restart');
  } catch (e) {
    say(`[kubelet-start] WARNING: unable to start the kubelet service: [${(e as Error).message.split('\n')[0]}]`);
    say(`[kubelet-start] Please ensure kubelet is reloaded and running manually.`);
  }
}

/** Run `init phase kubelet-start`: write config.yaml and flags, restart the kubelet. */
export function runInitKubeletStart(c: Config): void {
  try {
    systemctl('stop');
  } catch {
    /* kubeadm ignores a failed stop */
  }
  writeKubeletFiles(c, kubeletConfiguration(c));
  startKubelet();
}

/** Options of join's kubelet-start. */
export interface JoinKubeletOptions {
  server: string;
  caPem: string;
  token: string;
  /** The kubelet configuration from the cluster's `kubelet-config` ConfigMap. */
  kubeletConfig?: any;
  timeoutMs: number;
  /** kubeadm's check for a Ready Node of the same name (run after the bootstrap files are written). */
  checkNode: () => Promise<void>;
}

const JOIN_FAIL_MSG = `
Unfortunately, an error has occurred:
	%v

This error is likely caused by:
	- The kubelet is not running
	- The kubelet is unhealthy due to a misconfiguration of the node in some way (required cgroups disabled)

If you are on a systemd-powered system, you can try to troubleshoot the error with the following commands:
	- 'systemctl status kubelet'
	- 'journalctl -xeu kubelet'
`;

/** Run `join phase kubelet-start`: bootstrap-kubelet.conf, ca.crt, config, restart, wait for the TLS bootstrap. */
export async function runJoinKubeletStart(c: Config, o: JoinKubeletOptions): Promise<void> {
  try {
    pki.writeSecretFile(
      paths.bootstrapKubeletConf,
      pki.renderKubeconfig({
        server: o.server,
        caPem: o.caPem,
        clusterName: c.cluster.clusterName,
        user: 'tls-bootstrap-token-user',
        token: o.token,
      }),
    );
    const caPath = c.caCertPath; // join/kubelet.go: written to JoinConfiguration.caCertPath when absent
    if (!existsSync(caPath)) pki.writePublicFile(caPath, o.caPem);
    await o.checkNode();
    try {
      systemctl('stop');
    } catch {
      /* ignored like kubeadm's TryStopKubelet */
    }
    writeKubeletFiles(c, kubeletConfiguration(c, o.kubeletConfig));
    startKubelet();
    say(`[kubelet-check] Waiting for a healthy kubelet at http://127.0.0.1:10248/healthz. This can take up to 4m0s`);
    say(`[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap`);
    const start = Date.now();
    while (!kubeletConfUsable()) {
      if (Date.now() - start > o.timeoutMs) {
        process.stdout.write(JOIN_FAIL_MSG.replace('%v', 'context deadline exceeded'));
        throw new Error('context deadline exceeded');
      }
      await sleep(250);
    }
  } finally {
    // kubeadm removes the bootstrap credential from disk whatever happened
    rmSync(paths.bootstrapKubeletConf, { force: true });
  }
}

/** Whether kubelet.conf exists and the client cert files it names exist (kubeadm builds a client from it). */
function kubeletConfUsable(): boolean {
  if (!existsSync(paths.kubeletConf)) return false;
  try {
    const doc = YAML.parse(readFileSync(paths.kubeletConf, 'utf8'));
    const user = doc?.users?.[0]?.user ?? {};
    for (const k of ['client-certificate', 'client-key']) {
      if (user[k] && !existsSync(p(user[k]))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** Run `kubelet-finalize`: point kubelet.conf at the rotatable client cert when the kubelet wrote one. */
export function runKubeletFinalize(c: Config): void {
  const current = join(paths.kubeletPki, 'kubelet-client-current.pem');
  if (!existsSync(current) || !existsSync(paths.kubeletConf)) return;
  const kc = pki.parseKubeconfig(readFileSync(paths.kubeletConf, 'utf8'));
  if (!kc.certPem) return;
  say(`[kubelet-finalize] Updating "/etc/kubernetes/kubelet.conf" to point to a rotatable kubelet client certificate and key`);
  pki.writeSecretFile(
    paths.kubeletConf,
    pki.renderKubeconfig({
      server: kc.server,
      caPem: kc.caPem ?? '',
      clusterName: kc.clusterName || c.cluster.clusterName,
      user: kc.user,
      embedFiles: { cert: '/var/lib/kubelet/pki/kubelet-client-current.pem', key: '/var/lib/kubelet/pki/kubelet-client-current.pem' },
    }),
  );
  // kubeletfinalize.go: "Restarting the kubelet to enable client certificate rotation" (TryRestartKubelet: errors only warned)
  try {
    systemctl('restart');
  } catch {
    /* TryRestartKubelet ignores a failed restart */
  }
}
