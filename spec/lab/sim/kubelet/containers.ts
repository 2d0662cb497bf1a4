/**
 * How the kubelet runs a pod's container on the simulated runtime: make the sandbox record,
 * start the process detached, record it, and record its exit while the kubelet is its parent.
 * Also the crash-loop backoff (doubling from 2 s, capped at 10 s in the lab).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type ContainerRecord, type PodRecord, getContainer, newId, putContainer, putPod } from '../cri/store.js';
import { startDetached } from '../cri/process.js';
import { recordImage } from '../cri/images.js';
import { p } from '../paths.js';

/** A new pod sandbox record, READY. */
export function createSandbox(o: {
  name: string;
  namespace: string;
  uid: string;
  static: boolean;
  configHash?: string;
  source?: string;
  attempt?: number;
}): PodRecord {
  const rec: PodRecord = {
    id: newId(),
    name: o.name,
    namespace: o.namespace,
    uid: o.uid,
    createdAt: new Date().toISOString(),
    state: 'SANDBOX_READY',
    static: o.static,
    attempt: o.attempt ?? 0,
    ...(o.configHash ? { configHash: o.configHash } : {}),
    ...(o.source ? { source: o.source } : {}),
  };
  putPod(rec);
  return rec;
}

/** The real container log path: /var/log/pods/<ns>_<pod>_<uid>/<container>/<attempt>.log */
export function containerLogPath(pod: PodRecord, container: string, attempt: number): string {
  return join(p('var/log/pods'), `${pod.namespace}_${pod.name}_${pod.uid}`, container, `${attempt}.log`);
}

/**
 * The attempt number of a pod's next container: the last container's + 1; when the runtime lost
 * the containers (crictl rm), the highest `<n>.log` in the container's log folder + 1, as the real
 * kubelet's calcRestartCountByLogDir does, so restarts stay counted.
 */
export function nextAttempt(pod: PodRecord, container: string, last?: ContainerRecord): number {
  if (last) return last.attempt + 1;
  try {
    const ns = readdirSync(dirname(containerLogPath(pod, container, 0)))
      .map((f) => /^(\d+)\.log$/.exec(f)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number);
    return ns.length ? Math.max(...ns) + 1 : 0;
  } catch {
    return 0;
  }
}

/** Start one container of `pod` running `argv`; returns its record (state RUNNING). */
export async function startContainer(
  pod: PodRecord,
  o: { name: string; image: string; argv: string[]; env: NodeJS.ProcessEnv; attempt: number },
): Promise<ContainerRecord> {
  const id = newId();
  const logPath = containerLogPath(pod, o.name, o.attempt);
  const createdAt = new Date().toISOString();
  recordImage(o.image); // pulled before its first container (IfNotPresent): kept in containerd's store
  const started = await startDetached(o.argv, o.env, logPath);
  const rec: ContainerRecord = {
    id,
    podId: pod.id,
    name: o.name,
    image: o.image,
    attempt: o.attempt,
    createdAt,
    startedAt: new Date().toISOString(),
    state: 'CONTAINER_RUNNING',
    pid: started.pid,
    pidStart: started.pidStart,
    exitCode: 0,
    logPath,
    command: o.argv,
  };
  putContainer(rec);
  void started.exited.then((code) => {
    const now = getContainer(id);
    if (now && now.state === 'CONTAINER_RUNNING' && now.pid === started.pid) {
      putContainer({ ...now, state: 'CONTAINER_EXITED', exitCode: code, finishedAt: new Date().toISOString() });
    }
  });
  return rec;
}

/** Crash-loop backoff per container key: first restart at once, then 2 s doubling to 10 s; reset after 20 s of running. */
export class Backoff {
  readonly #next = new Map<string, { at: number; delay: number }>();
  constructor(
    readonly initialMs = 2000,
    readonly maxMs = Number(process.env.LAB_KUBELET_MAX_BACKOFF_MS) || 10_000,
  ) {}

  /** Whether `key` may be restarted now; `ranMs` = how long its last run lasted. */
  ready(key: string, ranMs: number): boolean {
    const e = this.#next.get(key);
    if (!e) return true;
    if (ranMs >= 2 * this.maxMs) {
      this.#next.delete(key);
      return true;
    }
    return Date.now() >= e.at;
  }

  /** Record a restart of `key` now. */
  restarted(key: string): void {
    const e = this.#next.get(key);
    const delay = e ? Math.min(e.delay * 2, this.maxMs) : this.initialMs;
    this.#next.set(key, { at: Date.now() + delay, delay });
  }

  /** The time until `key` may restart (0 when ready). */
  waitMs(key: string): number {
    const e = this.#next.get(key);
    return e ? Math.max(0, e.at - Date.now()) : 0;
  }

  /** Forget `key`. */
  forget(key: string): void {
    this.#next.delete(key);
  }
}

/** The environment a container gets: its own env plus PATH and the lab's variables (LAB_*). */
export function containerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' };
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith('LAB_')) env[k] = v;
  return { ...env, ...extra };
}
