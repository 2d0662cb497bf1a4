/**
 * Pods from the API bound to this node (spec.nodeName): each runs as a `lab-workload` container
 * in its own sandbox, after its secret, configMap and projected volumes are set up (a projected
 * service-account token comes from the TokenRequest API through the token manager); the volumes
 * are set up again every sync period (`syncFrequency`, 1 min), so tokens are refreshed and an
 * updated `kube-root-ca.crt` reaches the files. The container learns its credentials' files from
 * SA_TOKEN_FILE and SA_CA_FILE. The kubelet reports phase, Ready (from the workload's health
 * file), startTime and containerStatuses, kills pods deleted in the API, and adopts running
 * containers after a restart (same id, startedAt). Also the mirror pods of static pods.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ContainerRecord, type PodRecord, listPods, removeContainerRecord } from '../cri/store.js';
import { containersNow, removePod } from '../cri/runtime.js';
import type { KubeClient } from '../kubeclient.js';
import { Api } from '../client/api.js';
import { paths } from '../paths.js';
import { Backoff, containerEnv, createSandbox, nextAttempt, startContainer } from './containers.js';
import * as log from './log.js';
import { readManifests } from './staticpods.js';
import { type TokenRequest, TokenManager } from './token-manager.js';
import { SA_TOKEN_TYPE, type VolumeSources, credentialVolume, pluginOf, volumeDir, volumeFiles, writeVolume } from './volumes.js';

/** The health file a workload writes: /run/lab/workloads/<ns>_<name>.health */
export function healthFile(ns: string, name: string): string {
  return join(paths.workloads, `${ns}_${name}.health`);
}

function seconds(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

/** Runs API pods bound to this node and reports their status. */
export class PodWorkers {
  readonly backoff = new Backoff();
  #busy = false;
  /** A sync was asked for while one ran: it runs again when done. */
  #again = false;
  /** Set by the kubelet: called when the pods bound here changed (a watch event), to sync now rather than at the next period. */
  onChange?: () => void;
  /** The pods bound here, listed once and then followed by a watch (the real kubelet's API pod source is a reflector). */
  readonly #pods: Api;
  nodeUid?: string;
  /** The token manager (in memory: a restarted kubelet requests every token again). */
  readonly tokens: TokenManager;
  /** When each pod's volumes were last set up. */
  readonly #mounted = new Map<string, number>();
  /** Each pod's credential files, once its volumes are set up. */
  readonly #creds = new Map<string, { token: string; ca: string } | null>();
  constructor(
    readonly client: KubeClient,
    readonly node: string,
    readonly ip: string,
    readonly staticDir: string | undefined,
    readonly syncFrequencyMs = 60_000,
  ) {
    this.#pods = new Api(client, { informers: true, onChange: () => this.onChange?.() });
    this.tokens = new TokenManager(async (ns, name, tr) => {
      const r = await this.client.post(`/api/v1/namespaces/${ns}/serviceaccounts/${name}/token`, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        ...tr,
      });
      if (r.status !== 201) throw new Error(`${r.status} ${r.body?.message ?? r.text.slice(0, 200)}`);
      return r.body as TokenRequest;
    });
  }

  /** One pass: this node's pods (from the watch-fed list), start/stop/restart, report status; asked during a pass, another follows. Throws when the API cannot be listed. */
  async sync(): Promise<void> {
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    try {
      do {
        this.#again = false;
        await this.#sync();
      } while (this.#again);
    } finally {
      this.#busy = false;
    }
  }

  /** Stops the pod watch (the kubelet is shutting down). */
  close(): void {
    this.#pods.close();
  }

  async #sync(): Promise<void> {
    const bound = await this.#pods.list('*v1.Pod', `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${this.node}`)}`);
    const items: any[] = bound.filter((p: any) => p?.spec?.nodeName === this.node);
    const mirrors = items.filter((p) => p.metadata?.annotations?.['kubernetes.io/config.mirror']);
    const pods = items.filter((p) => !p.metadata?.annotations?.['kubernetes.io/config.mirror']);
    const sandboxes = listPods();
    const containers = containersNow();
    const wanted = new Set<string>();
    for (const pod of pods) {
      const uid = pod.metadata.uid;
      const sandbox = sandboxes.find((s) => !s.static && s.uid === uid && s.state === 'SANDBOX_READY');
      if (pod.metadata.deletionTimestamp) {
        await this.#kill(
          sandboxes.filter((s) => !s.static && s.uid === uid),
          pod,
        );
        const del = await this.client.request('DELETE', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`, {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          gracePeriodSeconds: 0,
          preconditions: { uid },
        });
        if (del.status >= 300 && del.status !== 404 && del.status !== 409)
          log.error('status_manager.go:872', 'Failed to delete status for pod', {
            pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
            err: `${del.status}`,
          });
        continue;
      }
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      wanted.add(uid);
      try {
        if (sandbox && Date.now() - (this.#mounted.get(uid) ?? 0) >= this.syncFrequencyMs) {
          await this.#mount(pod).catch((e) =>
            log.error('volume_manager.go:379', 'Unable to refresh volumes for pod', {
              pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
              err: log.errMsg(e),
            }),
          );
        }
        const s = sandbox ?? (await this.#startPod(pod));
        if (!s) continue;
        await this.#ensureContainer(
          pod,
          s,
          containers.filter((c) => c.podId === s.id),
        );
        await this.#report(pod, s);
      } catch (e) {
        log.error('pod_workers.go:1301', 'Error syncing pod, skipping', {
          pod: `${pod.metadata.namespace}/${pod.metadata.name}`,
          podUID: uid,
          err: log.errMsg(e),
        });
      }
    }
    // containers of pods that are no longer bound here (deleted, evicted, recreated with a new uid)
    for (const s of sandboxes.filter((s) => !s.static && !wanted.has(s.uid))) {
      log.info('kubelet.go:2450', 'SyncLoop REMOVE', { source: 'api', pods: [`${s.namespace}/${s.name}`] });
      await this.#kill([s]);
    }
    await this.#mirrors(mirrors);
  }

  async #kill(sandboxes: PodRecord[], pod?: any): Promise<void> {
    for (const s of sandboxes) {
      this.tokens.forgetPod(s.uid);
      this.#mounted.delete(s.uid);
      this.#creds.delete(s.uid);
      try {
        await removePod(s.id, true);
      } catch (e) {
        log.error('kuberuntime_manager.go:1120', 'Failed to remove pod sandbox', { pod: s.name, err: log.errMsg(e) });
      }
    }
    if (pod) log.info('kubelet.go:2450', 'SyncLoop DELETE', { source: 'api', pods: [`${pod.metadata.namespace}/${pod.metadata.name}`] });
  }

  /** What volume set-up reads from the API. */
  readonly #sources: VolumeSources = {
    secret: (ns, name) => this.#get(`/api/v1/namespaces/${ns}/secrets/${name}`, `secret "${name}"`),
    configMap: (ns, name) => this.#get(`/api/v1/namespaces/${ns}/configmaps/${name}`, `configmap "${name}"`),
    token: async (pod, src) => {
      const tr = await this.tokens.token(pod.metadata.namespace, pod.spec?.serviceAccountName ?? 'default', {
        spec: {
          ...(src.audience ? { audiences: [src.audience] } : {}),
          expirationSeconds: src.expirationSeconds ?? 3600,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
        },
      });
      return tr.status!.token;
    },
  };

  async #get(path: string, what: string): Promise<any | undefined> {
    const r = await this.client.get(path);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`${what}: ${r.status} ${r.body?.message ?? ''}`.trim());
    return r.body;
  }

  /** Set up (or refresh) every volume of the pod its containers mount; records where its credentials are. */
  async #mount(pod: any): Promise<void> {
    const uid = pod.metadata.uid;
    const mounted = new Set((pod.spec?.containers ?? []).flatMap((c: any) => (c.volumeMounts ?? []).map((m: any) => m.name)));
    const tokenSecrets = new Set<string>();
    for (const v of pod.spec?.volumes ?? []) {
      if (!mounted.has(v.name) || !pluginOf(v)) continue;
      const files = await volumeFiles(pod, v, this.#sources);
      if (!files) continue;
      if (v.secret && 'token' in files && (await this.#sources.secret(pod.metadata.namespace, v.secret.secretName))?.type === SA_TOKEN_TYPE)
        tokenSecrets.add(v.secret.secretName);
      writeVolume(uid, v, files);
    }
    const cv = credentialVolume(pod, (name) => tokenSecrets.has(name));
    const dir = cv ? volumeDir(uid, cv) : undefined;
    this.#creds.set(uid, dir ? { token: join(dir, 'token'), ca: join(dir, 'ca.crt') } : null);
    this.#mounted.set(uid, Date.now());
  }

  /** The container's environment: its identity, the API endpoint, and its credentials' files. */
  #envOf(pod: any): Record<string, string> {
    const env: Record<string, string> = {
      POD_NAME: pod.metadata.name,
      POD_NAMESPACE: pod.metadata.namespace,
      NODE_NAME: this.node,
      KUBE_API: this.client.creds.server,
    };
    const c = this.#creds.get(pod.metadata.uid);
    if (c) {
      env.SA_TOKEN_FILE = c.token;
      env.SA_CA_FILE = c.ca;
    }
    return env;
  }

  async #startPod(pod: any): Promise<PodRecord | undefined> {
    const { name, namespace, uid } = pod.metadata;
    await this.#mount(pod);
    const prev = listPods().filter((s) => s.uid === uid);
    log.info('kubelet.go:2434', 'SyncLoop ADD', { source: 'api', pods: [`${namespace}/${name}`] });
    return createSandbox({ name, namespace, uid, static: false, attempt: prev.length });
  }

  async #ensureContainer(pod: any, s: PodRecord, mine: ContainerRecord[]): Promise<void> {
    const c0 = pod.spec?.containers?.[0] ?? { name: 'app', image: '' };
    const cs = mine.filter((c) => c.name === c0.name);
    if (cs.some((c) => c.state === 'CONTAINER_RUNNING')) return;
    const last = cs[cs.length - 1];
    const key = `${s.uid}/${c0.name}`;
    const ranMs = last ? Date.parse(last.finishedAt ?? new Date().toISOString()) - Date.parse(last.startedAt) : 0;
    if (!this.backoff.ready(key, ranMs)) return;
    // an adopted sandbox (kubelet restarted) whose container must start again: its volumes first
    if (!this.#mounted.has(s.uid)) await this.#mount(pod);
    const env = this.#envOf(pod);
    for (const old of cs.slice(0, -1)) removeContainerRecord(old.id);
    const attempt = nextAttempt(s, c0.name, last);
    try {
      const rec = await startContainer(s, { name: c0.name, image: c0.image ?? '', argv: ['lab-workload'], env: containerEnv(env), attempt });
      log.info('kuberuntime_container.go:259', last ? 'Restarted container' : 'Started container', {
        pod: `${s.namespace}/${s.name}`,
        container: c0.name,
        containerID: rec.id,
      });
    } catch (e) {
      this.backoff.restarted(key);
      throw new Error(`failed to "StartContainer" for "${c0.name}": ${log.errMsg(e)}`);
    }
    if (last) this.backoff.restarted(key);
  }

  #status(pod: any, s: PodRecord, prev: any): any {
    const c0 = pod.spec?.containers?.[0] ?? { name: 'app', image: '' };
    const cs = containersNow().filter((c) => c.podId === s.id && c.name === c0.name);
    const run = cs.find((c) => c.state === 'CONTAINER_RUNNING');
    const last = cs[cs.length - 1];
    const c = run ?? last;
    let healthy = false;
    if (run) {
      if (s.static) healthy = true;
      else {
        try {
          healthy = readFileSync(healthFile(s.namespace, pod.metadata.name), 'utf8').trim() === 'ok';
        } catch {
          healthy = false;
        }
      }
    }
    const now = seconds(new Date().toISOString());
    const prevCond = (t: string) => (prev?.conditions ?? []).find((x: any) => x.type === t);
    const cond = (type: string, status: string) => ({
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime: prevCond(type)?.status === status ? prevCond(type).lastTransitionTime : now,
    });
    const state = run
      ? { running: { startedAt: seconds(run.startedAt) } }
      : last
        ? {
            waiting: {
              reason: 'CrashLoopBackOff',
              message: `back-off restarting failed container ${c0.name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`,
            },
          }
        : { waiting: { reason: 'ContainerCreating' } };
    return {
      phase: 'Running',
      conditions: [
        cond('PodReadyToStartContainers', 'True'),
        cond('Initialized', 'True'),
        cond('Ready', healthy ? 'True' : 'False'),
        cond('ContainersReady', healthy ? 'True' : 'False'),
        cond('PodScheduled', 'True'),
      ],
      hostIP: this.ip,
      hostIPs: [{ ip: this.ip }],
      podIP: this.ip,
      podIPs: [{ ip: this.ip }],
      startTime: seconds(s.createdAt),
      qosClass: 'BestEffort',
      containerStatuses: [
        {
          name: c0.name,
          image: c0.image ?? '',
          imageID: c0.image ?? '',
          containerID: c ? `containerd://${c.id}` : undefined,
          ready: healthy,
          started: !!run,
          restartCount: c ? c.attempt : 0,
          state,
          lastState:
            !run && last
              ? {
                  terminated: {
                    exitCode: last.exitCode,
                    reason: 'Error',
                    startedAt: seconds(last.startedAt),
                    finishedAt: seconds(last.finishedAt ?? last.startedAt),
                    containerID: `containerd://${last.id}`,
                  },
                }
              : {},
        },
      ],
    };
  }

  async #report(pod: any, s: PodRecord): Promise<void> {
    const prev = pod.status ?? {};
    const next = this.#status(pod, s, prev);
    const sig = (st: any) =>
      JSON.stringify([
        st?.phase,
        st?.startTime,
        st?.podIP,
        (st?.conditions ?? []).map((c: any) => `${c.type}=${c.status}`).sort(),
        (st?.containerStatuses ?? []).map((c: any) => [c.containerID, c.ready, c.restartCount, c.state?.running?.startedAt ?? Object.keys(c.state ?? {})[0]]),
      ]);
    if (sig(prev) === sig(next)) return;
    const r = await this.client.patch(`/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`, { status: next });
    if (r.status >= 300) throw new Error(`failed to update pod status: ${r.status} ${r.body?.message ?? r.text.slice(0, 200)}`);
  }

  /** Mirror pods: one per running static pod (`<name>-<node>`), none for static pods that are gone. */
  async #mirrors(existing: any[]): Promise<void> {
    const statics = listPods().filter((s) => s.static && s.state === 'SANDBOX_READY');
    const manifests = this.staticDir ? readManifests(this.staticDir, this.node) : [];
    for (const m of existing) {
      const hash = m.metadata.annotations['kubernetes.io/config.mirror'];
      const s = statics.find((x) => x.name === m.metadata.name && x.namespace === m.metadata.namespace);
      if (!s || s.uid !== hash) {
        await this.client.request('DELETE', `/api/v1/namespaces/${m.metadata.namespace}/pods/${m.metadata.name}`, {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          gracePeriodSeconds: 0,
          preconditions: { uid: m.metadata.uid },
        });
      } else {
        await this.#report(m, s).catch((e) =>
          log.warn('status_manager.go:877', 'Failed to update status for pod', { pod: m.metadata.name, err: log.errMsg(e) }),
        );
      }
    }
    for (const s of statics) {
      if (existing.some((m) => m.metadata.name === s.name && m.metadata.namespace === s.namespace)) continue;
      const man = manifests.find((x) => x.uid === s.uid);
      if (!man) continue;
      const body = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          ...(man.manifest.metadata ?? {}),
          name: s.name,
          namespace: s.namespace,
          annotations: {
            ...(man.manifest.metadata?.annotations ?? {}),
            'kubernetes.io/config.hash': s.uid,
            'kubernetes.io/config.mirror': s.uid,
            'kubernetes.io/config.seen': new Date().toISOString(),
            'kubernetes.io/config.source': 'file',
          },
          ...(this.nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.node, uid: this.nodeUid, controller: true }] } : {}),
        },
        spec: { ...man.manifest.spec, nodeName: this.node },
      };
      delete (body.metadata as any).creationTimestamp;
      const r = await this.client.post(`/api/v1/namespaces/${s.namespace}/pods`, body);
      if (r.status >= 300 && r.status !== 409)
        log.error('kubelet.go:1917', 'Failed creating a mirror pod', { pod: `${s.namespace}/${s.name}`, err: `${r.status} ${r.body?.message ?? ''}` });
    }
  }
}
