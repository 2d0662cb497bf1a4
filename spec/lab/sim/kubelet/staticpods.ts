/**
 * Static pods: every second, make the runtime match the manifests folder (staticPodPath).
 * A pod runs spec.containers[0].command + args; it is restarted when its container exits or is
 * removed (with crash-loop backoff), recreated when its manifest changes, and stopped and
 * removed when its manifest goes. Runs whether or not the apiserver can be reached.
 */
import { imageCommand } from '../cri/entrypoints.js';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { type PodRecord, listPods, removeContainerRecord } from '../cri/store.js';
import { containersNow, removePod } from '../cri/runtime.js';
import { Backoff, containerEnv, createSandbox, nextAttempt, startContainer } from './containers.js';
import * as log from './log.js';

/** A static pod read from a manifest file. */
export interface StaticPod {
  file: string;
  name: string;
  namespace: string;
  /** Full name: <name>-<node> (what `crictl pods` and the mirror pod show). */
  fullName: string;
  uid: string;
  manifest: any;
}

/** Each manifest file's text when last parsed, and what it parsed to (frozen: callers share it) or the parse error. */
const parsed = new Map<string, { text: string; doc?: any; error?: string }>();

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** The manifest at `path` (text and parsed document, or why not), parsed again only when its text changed: both sync loops read the folder every second or two. */
function readManifest(path: string): { text?: string; doc?: any; error?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { error: log.errMsg(e) };
  }
  const hit = parsed.get(path);
  if (hit?.text === text) return hit;
  let entry: { text: string; doc?: any; error?: string };
  try {
    entry = { text, doc: deepFreeze(YAML.parse(text)) };
  } catch (e) {
    entry = { text, error: log.errMsg(e) };
  }
  parsed.set(path, entry);
  return entry;
}

/** Read every non-hidden file of `dir` as a pod manifest; duplicates of a name are dropped (as real). */
export function readManifests(dir: string, node: string): StaticPod[] {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => !f.startsWith('.'))
      .sort();
  } catch {
    return [];
  }
  const paths = new Set(files.map((f) => join(dir, f)));
  for (const p of parsed.keys()) if (p.startsWith(`${dir}/`) && !paths.has(p)) parsed.delete(p);
  const out: StaticPod[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    const path = join(dir, f);
    const { text, doc, error } = readManifest(path);
    if (error !== undefined || text === undefined) {
      log.error('file.go:223', 'Could not process manifest file', { path, err: error });
      continue;
    }
    if (doc?.kind !== 'Pod' || !doc?.metadata?.name || !doc?.spec?.containers?.length) {
      if (doc) log.error('file.go:223', 'Could not process manifest file', { path, err: 'invalid pod: missing name or containers' });
      continue;
    }
    const namespace = doc.metadata.namespace || 'default';
    const fullName = `${doc.metadata.name}-${node}`;
    if (seen.has(`${namespace}/${fullName}`)) {
      log.warn('config.go:99', 'Pod failed validation, ignoring', { pod: `${namespace}/${fullName}`, err: 'duplicate pod name' });
      continue;
    }
    seen.add(`${namespace}/${fullName}`);
    const uid = createHash('md5').update(text).update(`host:${node}`).update(`file:${path}`).digest('hex');
    out.push({ file: path, name: doc.metadata.name, namespace, fullName, uid, manifest: doc });
  }
  return out;
}

/** Keeps the runtime in line with the manifests folder. */
export class StaticPods {
  readonly backoff = new Backoff();
  #busy = false;
  constructor(
    readonly dir: string,
    readonly node: string,
  ) {}

  /** One reconcile pass. */
  async sync(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      await this.#sync();
    } finally {
      this.#busy = false;
    }
  }

  async #sync(): Promise<void> {
    const desired = readManifests(this.dir, this.node);
    const byUid = new Map(desired.map((d) => [d.uid, d]));
    const pods = listPods().filter((p) => p.static);
    // pods whose manifest went or changed, or whose sandbox was stopped: stop and remove
    for (const pod of pods) {
      const want = byUid.get(pod.uid);
      if (!want || pod.state !== 'SANDBOX_READY') {
        log.info('kubelet.go:2450', want ? 'Pod sandbox not ready, recreating' : 'SyncLoop REMOVE', { source: 'file', pods: [`${pod.namespace}/${pod.name}`] });
        try {
          await removePod(pod.id, true);
        } catch (e) {
          log.error('kubelet.go:2461', 'Failed to remove pod', { pod: pod.name, err: log.errMsg(e) });
        }
      }
    }
    const ready = new Map(
      listPods()
        .filter((p) => p.static && p.state === 'SANDBOX_READY')
        .map((p) => [p.uid, p]),
    );
    const containers = containersNow();
    for (const want of desired) {
      let pod: PodRecord | undefined = ready.get(want.uid);
      if (!pod) {
        log.info('kubelet.go:2434', 'SyncLoop ADD', { source: 'file', pods: [`${want.namespace}/${want.fullName}`] });
        pod = createSandbox({ name: want.fullName, namespace: want.namespace, uid: want.uid, static: true, configHash: want.uid, source: want.file });
      }
      const c0 = want.manifest.spec.containers[0];
      const mine = containers.filter((c) => c.podId === pod!.id && c.name === c0.name);
      const running = mine.find((c) => c.state === 'CONTAINER_RUNNING');
      if (running) continue;
      const last = mine[mine.length - 1];
      const key = `${want.uid}/${c0.name}`;
      const ranMs = last ? Date.parse(last.finishedAt ?? new Date().toISOString()) - Date.parse(last.startedAt) : 0;
      if (!this.backoff.ready(key, ranMs)) continue;
      const attempt = nextAttempt(pod, c0.name, last);
      let argv = [...(c0.command ?? []), ...(c0.args ?? [])].map(String);
      if (argv.length === 0) argv = imageCommand(String(c0.image ?? '')) ?? [];
      if (argv.length === 0) {
        log.error('kuberuntime_manager.go:1256', 'container has no command (the lab runs command + args)', { pod: want.fullName, container: c0.name });
        continue;
      }
      const env: Record<string, string> = {};
      for (const e of c0.env ?? []) if (e?.name && typeof e.value === 'string') env[e.name] = e.value;
      // keep only the latest exited container, as the kubelet's garbage collection does
      for (const old of mine.slice(0, -1)) removeContainerRecord(old.id);
      try {
        const rec = await startContainer(pod, { name: c0.name, image: c0.image ?? '', argv, env: containerEnv(env), attempt });
        log.info('kuberuntime_container.go:259', last ? 'Restarted container' : 'Started container', {
          pod: want.fullName,
          container: c0.name,
          containerID: rec.id,
          attempt,
        });
      } catch (e) {
        this.backoff.restarted(key);
        log.error('pod_workers.go:1301', 'Error syncing pod, skipping', {
          pod: want.fullName,
          err: `failed to "StartContainer" for "${c0.name}": ${log.errMsg(e)}`,
        });
      }
      if (last) this.backoff.restarted(key);
    }
  }
}
