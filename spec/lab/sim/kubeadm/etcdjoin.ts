/**
 * `control-plane-join etcd`: add this node to the stacked etcd cluster as kubeadm v1.32 does
 * (phases/etcd/local.go CreateStackedEtcdStaticPodManifestFile with EtcdLearnerMode): the etcd
 * client from the etcd pods' endpoints, synced; the member added as a learner (or found there
 * already); the manifest written with state existing; the learner promoted; then every endpoint
 * waited for. Every etcd call retries as kubeadm's client does (etcdclient.ts): a transient
 * "etcdserver: unhealthy cluster" while the previous member settles is waited out, not fatal.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Api } from './api.js';
import { type Config, endpointHost } from './config.js';
import { ETCD_API_CALL_TIMEOUT_MS, ETCD_HEALTHY_CHECK_INTERVAL_MS, ETCD_HEALTHY_CHECK_RETRIES, EtcdClient } from './etcdclient.js';
import { etcdPod, writeManifest, type EtcdMember } from './manifests.js';
import { say } from './out.js';

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
export async function runEtcdJoin(api: Api, c: Config): Promise<void> {
  // join/controlplanejoin.go runEtcdPhase (index id 92597886, the v1.32-era text with dry-run)
  if (c.cluster.etcd.external) {
    say('[control-plane-join] Using external etcd - no local stacked instance added');
    return;
  }
  const wrap = (e: unknown) => new Error(`error creating local etcd static pod manifest file: ${(e as Error).message}`);
  const endpoints = await etcdEndpoints(api, c);
  if (endpoints.length === 0) throw wrap(new Error('etcd cluster is not healthy: no etcd endpoints found'));
  const pki = join(c.certDir, 'etcd');
  const timeout = Number(process.env.LAB_KUBEADM_ETCD_API_CALL_TIMEOUT_MS ?? ETCD_API_CALL_TIMEOUT_MS);
  const etcd = new EtcdClient(
    endpoints,
    {
      ca: readFileSync(join(pki, 'ca.crt')),
      cert: readFileSync(join(pki, 'healthcheck-client.crt')),
      key: readFileSync(join(pki, 'healthcheck-client.key')),
    },
    timeout,
  );
  try {
    await etcd.sync().catch((e) => {
      throw new Error(`error syncing endpoints with etcd: ${(e as Error).message}`);
    });
    const a = c.advertiseAddress.includes(':') ? `[${c.advertiseAddress}]` : c.advertiseAddress;
    const peerURL = `https://${a}:2380`;
    const members = await etcd.addMember(peerURL, true).catch((e) => {
      throw wrap(e);
    });
    say('[etcd] Announced new etcd member joining to the existing etcd cluster');
    const list: EtcdMember[] = members
      .filter((m) => m.peerURLs[0])
      .map((m) => ({
        name: m.peerURLs[0] === peerURL ? c.nodeName : m.name || BigInt(m.id).toString(16),
        peerURL: m.peerURLs[0],
      }));
    say(`[etcd] Creating static Pod manifest for "etcd"`);
    writeManifest('etcd', etcdPod(c, list, 'existing'));
    const mine = (
      await etcd.listMembers().catch((e) => {
        throw wrap(e);
      })
    ).find((m) => m.peerURLs[0] === peerURL);
    if (!mine) throw wrap(new Error('no member id found for peer URL'));
    await etcd.memberPromote(mine.id).catch((e) => {
      throw wrap(e);
    });
    say(
      `[etcd] Waiting for the new etcd member to join the cluster. This can take up to ${(ETCD_HEALTHY_CHECK_INTERVAL_MS * ETCD_HEALTHY_CHECK_RETRIES) / 1000}s`,
    );
    await etcd.waitForClusterAvailable().catch((e) => {
      throw wrap(e);
    });
  } finally {
    etcd.close();
  }
}
