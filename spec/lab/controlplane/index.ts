/**
 * Test helper: a local control plane on 127.0.0.1 with fresh certificates: the real etcd with
 * client TLS and the simulated kube-apiserver started with kubeadm's flags, plus kubeconfigs.
 * Shared by the control-plane tests (the controller-manager tests start their process on top).
 */
import { readFileSync, rmSync } from 'node:fs';
import { tempDir } from '../../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClusterCAs, newClusterCAs, writeClientKubeconfig, writeControlPlanePki } from './pki.js';
import { LAB_BIN, type Proc, freePort, startProc, waitHttpsOk } from './procs.js';

export { newClusterCAs, writeClientKubeconfig, writeTokenKubeconfig, clientCert } from './pki.js';
export type { ClusterCAs } from './pki.js';
export { freePort, startProc, waitHttpsOk, SIM_DIST, LAB_BIN, REPO } from './procs.js';
export type { Proc } from './procs.js';
export { kubectl } from './kubectl.js';
export type { KubectlResult } from './kubectl.js';
export { signJwt, legacyClaims, bootstrapTokenSecret, refusedSoon } from './tokens.js';

/** Options of startControlPlane. */
export interface ControlPlaneOptions {
  /** Root folder (default: a new temp folder); files go to `<dir>/etc/kubernetes`, etcd data to `<dir>/var/lib/etcd`. */
  dir?: string;
  /** Use these CAs instead of fresh ones. */
  cas?: ClusterCAs;
  /** Extra kube-apiserver flags (`--name=value`). */
  apiserverArgs?: string[];
}

/** A running local control plane. */
export interface ControlPlane {
  dir: string;
  /** `<dir>/etc/kubernetes/pki`. */
  pki: string;
  etcdPort: number;
  apiPort: number;
  /** `https://127.0.0.1:<apiPort>`. */
  server: string;
  /** The CAs the running apiserver loaded. */
  cas: ClusterCAs;
  /** admin.conf (CN kubernetes-admin, O kubeadm:cluster-admins). */
  adminConf: string;
  /** super-admin.conf (O system:masters). */
  superAdminConf: string;
  /** controller-manager.conf (CN system:kube-controller-manager). */
  controllerManagerConf: string;
  /** scheduler.conf (CN system:kube-scheduler). */
  schedulerConf: string;
  etcd: Proc;
  apiserver: Proc;
  /** The kube-apiserver flags in use (paths absolute), as kubeadm writes them. */
  apiserverFlags: string[];
  /** Write a kubeconfig for any user signed by the current CA. */
  kubeconfig(name: string, cn: string, orgs?: string[]): Promise<string>;
  /** Restart the apiserver; with `cas`, rewrite the PKI and kubeconfigs first (etcd data kept, etcd restarted too when its CA changed). */
  restartApiserver(cas?: ClusterCAs): Promise<void>;
  /** Stop etcd (data kept). */
  stopEtcd(): Promise<void>;
  /** Start etcd again after stopEtcd. */
  startEtcd(): Promise<void>;
  /** Stop everything; removes the folder when it was a temp one. */
  stop(): Promise<void>;
}

/** The kube-apiserver flags kubeadm 1.32 writes, with this control plane's paths and ports. */
export function apiserverFlags(pki: string, apiPort: number, etcdPort: number): string[] {
  return [
    '--advertise-address=127.0.0.1',
    '--allow-privileged=true',
    '--authorization-mode=Node,RBAC',
    `--client-ca-file=${pki}/ca.crt`,
    '--enable-admission-plugins=NodeRestriction',
    '--enable-bootstrap-token-auth=true',
    `--etcd-cafile=${pki}/etcd/ca.crt`,
    `--etcd-certfile=${pki}/apiserver-etcd-client.crt`,
    `--etcd-keyfile=${pki}/apiserver-etcd-client.key`,
    `--etcd-servers=https://127.0.0.1:${etcdPort}`,
    `--kubelet-client-certificate=${pki}/apiserver-kubelet-client.crt`,
    `--kubelet-client-key=${pki}/apiserver-kubelet-client.key`,
    '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
    `--proxy-client-cert-file=${pki}/front-proxy-client.crt`,
    `--proxy-client-key-file=${pki}/front-proxy-client.key`,
    '--requestheader-allowed-names=front-proxy-client',
    `--requestheader-client-ca-file=${pki}/front-proxy-ca.crt`,
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-username-headers=X-Remote-User',
    `--secure-port=${apiPort}`,
    '--bind-address=127.0.0.1',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki}/sa.pub`,
    `--service-account-signing-key-file=${pki}/sa.key`,
    '--service-cluster-ip-range=10.96.0.0/12',
    `--tls-cert-file=${pki}/apiserver.crt`,
    `--tls-private-key-file=${pki}/apiserver.key`,
  ];
}

/** Start the real etcd with client TLS on 127.0.0.1 (data in `<dir>/var/lib/etcd`). */
export function startEtcd(dir: string, pki: string, clientPort: number, peerPort: number): Proc {
  return startProc(
    '/usr/bin/etcd',
    [
      '--name=cp',
      `--data-dir=${dir}/var/lib/etcd`,
      `--listen-client-urls=https://127.0.0.1:${clientPort}`,
      `--advertise-client-urls=https://127.0.0.1:${clientPort}`,
      `--listen-peer-urls=https://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=https://127.0.0.1:${peerPort}`,
      `--initial-cluster=cp=https://127.0.0.1:${peerPort}`,
      '--client-cert-auth=true',
      `--cert-file=${pki}/etcd/server.crt`,
      `--key-file=${pki}/etcd/server.key`,
      `--trusted-ca-file=${pki}/etcd/ca.crt`,
      '--peer-client-cert-auth=true',
      `--peer-cert-file=${pki}/etcd/peer.crt`,
      `--peer-key-file=${pki}/etcd/peer.key`,
      `--peer-trusted-ca-file=${pki}/etcd/ca.crt`,
      '--listen-metrics-urls=',
      '--snapshot-count=10000',
    ],
    join(dir, 'log/etcd.log'),
    { ETCD_UNSUPPORTED_ARCH: '' },
  );
}

/** Start a local control plane (etcd + kube-apiserver) and wait until /readyz is ok. */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const temp = !opts.dir;
  const dir = opts.dir ?? tempDir(join(tmpdir(), 'kubemend-cp-'));
  let cas = opts.cas ?? (await newClusterCAs());
  const pki = await writeControlPlanePki(dir, cas);
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const server = `https://127.0.0.1:${apiPort}`;
  const kdir = join(dir, 'etc/kubernetes');
  let etcd = startEtcd(dir, pki, etcdPort, peerPort);
  const etcdTls = () => ({
    ca: readFileSync(`${pki}/etcd/ca.crt`),
    cert: readFileSync(`${pki}/etcd/healthcheck-client.crt`),
    key: readFileSync(`${pki}/etcd/healthcheck-client.key`),
  });
  await waitHttpsOk(`https://127.0.0.1:${etcdPort}/health`, etcdTls(), 20_000, etcd);
  const flags = [...apiserverFlags(pki, apiPort, etcdPort), ...(opts.apiserverArgs ?? [])];
  let apiserver: Proc;
  let gen = 0;
  const startApi = async () => {
    gen++;
    apiserver = startProc(join(LAB_BIN, 'kube-apiserver'), flags, join(dir, `log/kube-apiserver.${gen}.log`));
    await waitHttpsOk(`${server}/readyz`, { ca: cas.ca.certPem }, 20_000, apiserver);
  };
  const writeKubeconfigs = async () => {
    await Promise.all([
      writeClientKubeconfig(join(kdir, 'admin.conf'), { server, serverCa: cas.ca, ca: cas.ca, cn: 'kubernetes-admin', orgs: ['kubeadm:cluster-admins'] }),
      writeClientKubeconfig(join(kdir, 'super-admin.conf'), { server, serverCa: cas.ca, ca: cas.ca, cn: 'kubernetes-super-admin', orgs: ['system:masters'] }),
      writeClientKubeconfig(join(kdir, 'controller-manager.conf'), { server, serverCa: cas.ca, ca: cas.ca, cn: 'system:kube-controller-manager' }),
      writeClientKubeconfig(join(kdir, 'scheduler.conf'), { server, serverCa: cas.ca, ca: cas.ca, cn: 'system:kube-scheduler' }),
    ]);
  };
  await writeKubeconfigs();
  await startApi();
  const cp: ControlPlane = {
    dir,
    pki,
    etcdPort,
    apiPort,
    server,
    get cas() {
      return cas;
    },
    adminConf: join(kdir, 'admin.conf'),
    superAdminConf: join(kdir, 'super-admin.conf'),
    controllerManagerConf: join(kdir, 'controller-manager.conf'),
    schedulerConf: join(kdir, 'scheduler.conf'),
    get etcd() {
      return etcd;
    },
    get apiserver() {
      return apiserver;
    },
    apiserverFlags: flags,
    kubeconfig: (name, cn, orgs = []) => writeClientKubeconfig(join(dir, `${name}.conf`), { server, serverCa: cas.ca, ca: cas.ca, cn, orgs }),
    async restartApiserver(newCas?: ClusterCAs) {
      await apiserver.stop();
      if (newCas) {
        const etcdChanged = newCas.etcdCa !== cas.etcdCa;
        cas = newCas;
        await writeControlPlanePki(dir, cas);
        await writeKubeconfigs();
        if (etcdChanged) {
          await etcd.stop();
          etcd = startEtcd(dir, pki, etcdPort, peerPort);
          await waitHttpsOk(`https://127.0.0.1:${etcdPort}/health`, etcdTls(), 20_000, etcd);
        }
      }
      await startApi();
    },
    async stopEtcd() {
      await etcd.stop();
    },
    async startEtcd() {
      etcd = startEtcd(dir, pki, etcdPort, peerPort);
      await waitHttpsOk(`https://127.0.0.1:${etcdPort}/health`, etcdTls(), 20_000, etcd);
    },
    async stop() {
      await apiserver.stop();
      await etcd.stop();
      if (temp && !process.env.KEEP_CONTROLPLANE) rmSync(dir, { recursive: true, force: true });
    },
  };
  return cp;
}
