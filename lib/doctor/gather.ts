/** Read-only gathering of the doctor's facts: a playbook run through buildPlan (nothing mutating can be sent). */
import { allHosts, firstMaster, masters } from '../core/hosts.js';
import { certFingerprint, serviceActive } from '../core/facts.js';
import { definePlaybook, type HostContext, type PhaseContext, type Playbook } from '../core/types.js';
import type { Host } from '../inventory/types.js';
import { parseDocument } from 'yaml';
import type { ClusterConfigurationFields } from '../kubeadm/cluster-configuration.js';
import { kubesprayEtcdHealth, readThroughKubesprayEtcd } from '../etcd-data/kubespray.js';
import { CA_CRT, type EtcdHealth, chainsTo, etcdHealth, pkiState } from '../facts/index.js';
import { pkiStateIn } from '../facts/pki.js';
import { KUBESPRAY_MASTER_CA_FILES, PKI } from '../facts/paths.js';
import { type ClusterShape, clusterShape } from '../facts/shape.js';
import { kubeFor, closeKube } from '../kube/session.js';
import { nodeReady } from '../kube/node-ready.js';
import { certExpiries } from './expiry.js';
import { probeEtcdData, throwawayBlocker } from '../etcd-data/remote.js';
import type { CertFile, EtcdDataFacts, HostFacts } from './types.js';

/** What the gathering playbook fills in. */
export interface Collected {
  hosts: Map<string, HostFacts>;
  caPems: Map<string, string>;
  etcd: EtcdHealth | null;
  api: 'ok' | 'unreachable';
  etcdData?: EtcdDataFacts[];
}

const CA_SCRIPT = 'f=/etc/kubernetes/pki/ca.crt; [ -f "$f" ] || exit 0; openssl x509 -noout -fingerprint -sha256 -in "$f"; cat "$f"';

/** Facts of one host: PKI, kubelet, expiry of every cert, the CA each chains to (openssl verify on the host). */
async function hostFacts(h: HostContext, cas: Map<string, string>): Promise<HostFacts> {
  const shape = await h.fact(clusterShape);
  // where etcd is kubespray's service, its CA is in /etc/ssl/etcd/ssl: a master's PKI is whole without etcd/ca.*
  const pkiFact = kubesprayEtcdIn(shape) ? pkiStateIn(PKI, KUBESPRAY_MASTER_CA_FILES) : pkiState;
  const [pki0, kubelet, exp, caFp] = await Promise.all([
    h.fact(pkiFact),
    h.fact(serviceActive('kubelet')),
    h.fact(certExpiries),
    h.fact(certFingerprint(CA_CRT)),
  ]);
  // pkiState's parser keeps the word `sha256` of openssl's `sha256 Fingerprint=...`: take the fingerprint from certFingerprint
  const pki = { ...pki0, ca: caFp };
  const chainOf = new Map<string, { ca: string | null; chain: CertFile['chain'] }>();
  for (const [fp, pem] of cas) {
    for (const r of await chainsTo(h, pem, { ignoreTime: true })) {
      const cur = chainOf.get(r.path);
      if (r.status === 'ok') chainOf.set(r.path, { ca: fp, chain: 'ok' });
      else if (!cur) chainOf.set(r.path, { ca: null, chain: r.status });
    }
  }
  const files: CertFile[] = exp.map((e) => ({ path: e.path, expires: e.expires, ...(chainOf.get(e.path) ?? { ca: null, chain: 'unchecked' as const }) }));
  for (const [path, c] of chainOf) if (c.chain === 'absent') files.push({ path, expires: null, ...c });
  return { name: h.host.name, role: h.host.role, pki, kubelet, files, node: null, shape };
}

/** True when a host of this shape runs kubespray's etcd (etcd.env and /etc/ssl/etcd/ssl there: lib/facts/shape.ts). */
function kubesprayEtcdIn(shape: ClusterShape): boolean {
  const found = new Set(shape.found.map((m) => m.path));
  return found.has('/etc/etcd.env') && found.has('/etc/ssl/etcd/ssl');
}

/** True when `h` runs kubespray's etcd. */
async function kubesprayEtcdOn(h: HostContext): Promise<boolean> {
  return kubesprayEtcdIn(await h.fact(clusterShape));
}

/** Where etcd is asked: the masters' first, or, when the inventory puts etcd on other hosts, the first etcd member. */
function etcdAsker(ctx: PhaseContext): readonly Host[] {
  const e = ctx.inventory.etcd;
  if (e?.placement === 'separate') return ctx.hosts.filter((h) => h.name === e.members[0]);
  return masters(ctx).slice(0, 1);
}

/** The hosts that hold etcd's data: the masters, or the inventory's etcd members when they are other hosts. */
function etcdMembers(ctx: PhaseContext): readonly Host[] {
  const e = ctx.inventory.etcd;
  return e?.placement === 'separate' ? ctx.hosts.filter((h) => e.members.includes(h.name)) : masters(ctx);
}

/** The ClusterConfiguration's fields that say its layout, in words (`certificatesDir ..., etcd.external ...`). */
export function summarizeConfig(clusterConfiguration: string): string {
  const cc = (parseDocument(clusterConfiguration).toJS() ?? {}) as ClusterConfigurationFields;
  const etcd = cc.etcd?.external
    ? `etcd.external (endpoints ${(cc.etcd.external.endpoints ?? []).join(', ') || 'none'}, caFile ${cc.etcd.external.caFile ?? '-'})`
    : `etcd.local (dataDir ${cc.etcd?.local?.dataDir ?? '/var/lib/etcd'})`;
  return `controlPlaneEndpoint ${cc.controlPlaneEndpoint ?? '-'}, certificatesDir ${cc.certificatesDir ?? '/etc/kubernetes/pki'}, ${etcd}, kubernetesVersion ${cc.kubernetesVersion ?? '-'}`;
}

/** The read-only playbook that collects into `c`. */
export function gatherPlaybook(c: Collected): Playbook {
  return definePlaybook({
    name: 'doctor',
    description: "Read-only: the doctor's facts",
    destructive: false,
    readOnly: true,
    phases: [
      {
        id: 'doctor/cas',
        title: "Read every host's cluster CA",
        hosts: allHosts,
        strategy: { kind: 'parallel', maxFailures: '100%' },
        async run(h) {
          const out = (await h.read(['sh', '-c', CA_SCRIPT], { what: 'read the cluster CA' })).stdout;
          const fp = /Fingerprint=([0-9A-F:]+)/i.exec(out)?.[1]?.toUpperCase();
          const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(out)?.[0];
          if (fp && pem) c.caPems.set(fp, pem + '\n');
        },
      },
      {
        id: 'doctor/hosts',
        title: 'Certificates, chains, kubelet',
        hosts: allHosts,
        strategy: { kind: 'parallel', maxFailures: '100%' },
        async run(h) {
          c.hosts.set(h.host.name, await hostFacts(h, c.caPems));
        },
      },
      {
        id: 'doctor/etcd',
        title: 'etcd member health',
        hosts: etcdAsker,
        strategy: { kind: 'serial', maxFailures: '100%' },
        async run(h) {
          // kubespray's etcd service (its certificates in /etc/ssl/etcd/ssl) is asked with its own etcdctl; kubeadm's through the etcd container
          const e = (await kubesprayEtcdOn(h)) ? await kubesprayEtcdHealth(h) : await h.fact(etcdHealth);
          c.etcd = e.healthy.length + e.unhealthy.length ? e : null;
        },
      },
      {
        id: 'doctor/etcd-data',
        title: 'etcd data on the masters (a source of the ClusterConfiguration for recover)',
        hosts: etcdMembers,
        strategy: { kind: 'parallel', maxFailures: '100%' },
        async run(h) {
          if (await kubesprayEtcdOn(h)) {
            // the running service answers: the cluster's ClusterConfiguration read through it, read-only
            const r = await readThroughKubesprayEtcd(h).catch((e: unknown) => e as Error);
            (c.etcdData ??= []).push(
              r instanceof Error
                ? { host: h.host.name, reader: `kubespray's etcd service, not readable: ${r.message}` }
                : { host: h.host.name, reader: r.how, config: { revision: r.revision, summary: summarizeConfig(r.config.clusterConfiguration) } },
            );
            return;
          }
          if (h.host.role !== 'master') return;
          const p = await probeEtcdData(h);
          const why = throwawayBlocker(p);
          const reader = p.dbBytes === undefined ? undefined : why ? `offline reader (no throwaway etcd: ${why})` : `throwaway etcd from ${p.image} on a copy`;
          (c.etcdData ??= []).push({ host: h.host.name, ...(p.dbBytes !== undefined ? { dbBytes: p.dbBytes } : {}), ...(reader ? { reader } : {}) });
        },
      },
      {
        id: 'doctor/api',
        title: 'Node states from the API',
        scope: 'cluster',
        async run(ctx) {
          if (!firstMaster(ctx).length) return;
          try {
            const nodes = await Promise.race([
              kubeFor(ctx).then((k) => k.nodes()),
              new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timeout')), 20_000).unref()),
            ]);
            c.api = 'ok';
            for (const h of c.hosts.values()) {
              const n = nodes.find((x) => x.metadata?.name === h.name);
              h.node = n ? { ready: nodeReady(n) } : 'absent';
            }
          } catch (e) {
            c.api = 'unreachable';
            ctx.log(`API unreachable: ${e instanceof Error ? e.message : String(e)}`, 'warn');
          } finally {
            await closeKube(ctx).catch(() => undefined);
          }
        },
      },
    ],
  });
}
