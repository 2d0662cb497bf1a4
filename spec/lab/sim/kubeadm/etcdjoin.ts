/**
 * `control-plane-join etcd`: add this node to the stacked etcd cluster with the real `etcdctl`
 * (as a learner, promoted once in sync, as kubeadm 1.32 does), or skip the add when a member with
 * this node's peer URL exists already (kubeadm >= 1.19), then write the manifest with state existing.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Api, sleep } from './api.js';
import { type Config, endpointHost } from './config.js';
import { etcdPod, writeManifest, type EtcdMember } from './manifests.js';
import { say } from './out.js';

const run = promisify(execFile);

/** One row of `etcdctl member list`. */
export interface EtcdMemberRow {
  id: string;
  status: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

/** Parse `etcdctl member list` simple output (`id, started, name, peers, clients, learner`). */
export function parseMemberList(text: string): EtcdMemberRow[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const f = l.split(', ');
    return { id: f[0], status: f[1], name: f[2], peerURLs: f[3] ? f[3].split(',') : [], clientURLs: f[4] ? f[4].split(',') : [], isLearner: f[5] === 'true' };
  });
}

/** An etcdctl runner with the healthcheck-client cert against the given endpoints. */
export function etcdctl(c: Config, endpoints: string[]) {
  const pki = join(c.certDir, 'etcd');
  const base = [
    `--endpoints=${endpoints.join(',')}`,
    `--cacert=${join(pki, 'ca.crt')}`,
    `--cert=${join(pki, 'healthcheck-client.crt')}`,
    `--key=${join(pki, 'healthcheck-client.key')}`,
    '--dial-timeout=5s',
    '--command-timeout=10s',
  ];
  return async (...args: string[]): Promise<string> => {
    try {
      const r = await run(process.env.LAB_ETCDCTL ?? 'etcdctl', [...base, ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
      return r.stdout;
    } catch (e: any) {
      throw new Error((e.stderr || e.message || '').trim().split('\n').pop());
    }
  };
}

/** The client URLs of existing etcd members: the etcd pods' annotations, else the control-plane endpoint host. */
export async function etcdEndpoints(api: Api, c: Config): Promise<string[]> {
  const urls: string[] = [];
  try {
    const list = await api.get('/api/v1/namespaces/kube-system/pods?labelSelector=component%3Detcd%2Ctier%3Dcontrol-plane');
    for (const p of list?.items ?? []) {
      const u = p.metadata?.annotations?.['kubeadm.kubernetes.io/etcd.advertise-client-urls'];
      if (u && p.spec?.nodeName !== c.nodeName) urls.push(u);
    }
  } catch {
    /* fall back below */
  }
  if (urls.length === 0 && c.cluster.controlPlaneEndpoint) urls.push(`https://${endpointHost(c.cluster.controlPlaneEndpoint)}:2379`);
  return urls;
}

/** Run `control-plane-join etcd`. */
export async function runEtcdJoin(api: Api, c: Config, timeoutMs = 120_000): Promise<void> {
  const endpoints = await etcdEndpoints(api, c);
  if (endpoints.length === 0) throw new Error('error creating local etcd static pod manifest file: etcd cluster is not healthy: no etcd endpoints found');
  const ctl = etcdctl(c, endpoints);
  const a = c.advertiseAddress.includes(':') ? `[${c.advertiseAddress}]` : c.advertiseAddress;
  const peerURL = `https://${a}:2380`;
  let members: EtcdMemberRow[];
  try {
    members = parseMemberList(await ctl('member', 'list'));
  } catch (e) {
    throw new Error(`error creating local etcd static pod manifest file: etcdserver: ${(e as Error).message}`);
  }
  let mine = members.find((m) => m.peerURLs.includes(peerURL));
  if (!mine) {
    try {
      await ctl('member', 'add', c.nodeName, `--peer-urls=${peerURL}`, '--learner');
    } catch (e) {
      throw new Error(`error creating local etcd static pod manifest file: ${(e as Error).message}`);
    }
    say('[etcd] Announced new etcd member joining to the existing etcd cluster');
    members = parseMemberList(await ctl('member', 'list'));
    mine = members.find((m) => m.peerURLs.includes(peerURL));
  }
  const list: EtcdMember[] = members.filter((m) => m.peerURLs[0]).map((m) => ({ name: m === mine || !m.name ? c.nodeName : m.name, peerURL: m.peerURLs[0] }));
  say(`[etcd] Creating static Pod manifest for "etcd"`);
  writeManifest('etcd', etcdPod(c, list, 'existing'));
  if (mine?.isLearner) {
    say('[etcd] Waiting for the new etcd member to join the cluster. This can take up to 40s');
    const start = Date.now();
    let last = '';
    for (;;) {
      try {
        await ctl('member', 'promote', mine.id);
        break;
      } catch (e) {
        last = (e as Error).message;
        if (/not a learner/.test(last)) break;
      }
      if (Date.now() - start > timeoutMs) throw new Error(`error creating local etcd static pod manifest file: etcdserver: ${last}`);
      await sleep(1000);
    }
  }
}
