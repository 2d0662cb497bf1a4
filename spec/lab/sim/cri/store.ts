/**
 * The simulated container runtime's state, shared by the kubelet and crictl: one JSON file per
 * pod sandbox and per container under /run/lab/cri (see spec/lab/README.md). Writes are atomic
 * (temp file + rename) so a reader never sees half a record.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { paths } from '../paths.js';

/** A pod sandbox record (`pods/<id>.json`). */
export interface PodRecord {
  id: string;
  name: string;
  namespace: string;
  uid: string;
  createdAt: string;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  static: boolean;
  attempt?: number;
  /** Static pods: hash of the manifest content the pod was made from. */
  configHash?: string;
  /** Static pods: the manifest file it came from. */
  source?: string;
}

/** A container record (`containers/<id>.json`). */
export interface ContainerRecord {
  id: string;
  podId: string;
  name: string;
  image: string;
  attempt: number;
  createdAt: string;
  startedAt: string;
  finishedAt?: string;
  state: 'CONTAINER_RUNNING' | 'CONTAINER_EXITED';
  pid: number;
  /** Start time of `pid` in clock ticks since boot (/proc/PID/stat field 22): guards against pid reuse. */
  pidStart?: number;
  exitCode: number;
  /** Real layout: /var/log/pods/<ns>_<pod>_<uid>/<container>/<attempt>.log */
  logPath?: string;
  command?: string[];
}

/** A new runtime id: 64 lowercase hex characters, like containerd's. */
export function newId(): string {
  return randomBytes(32).toString('hex');
}

function dir(kind: 'pods' | 'containers'): string {
  return join(paths.cri, kind);
}

function writeAtomic(path: string, obj: unknown): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(obj, null, 2) + '\n');
  renameSync(tmp, path);
}

function readAll<T>(kind: 'pods' | 'containers'): T[] {
  let names: string[];
  try {
    names = readdirSync(dir(kind));
  } catch {
    return [];
  }
  const out: T[] = [];
  for (const n of names) {
    if (!n.endsWith('.json')) continue;
    try {
      out.push(JSON.parse(readFileSync(join(dir(kind), n), 'utf8')) as T);
    } catch {
      // removed or being replaced while we read: skip
    }
  }
  return out;
}

/** Make the store's folders. */
export function ensureStore(): void {
  mkdirSync(dir('pods'), { recursive: true });
  mkdirSync(dir('containers'), { recursive: true });
}

/** Every pod sandbox, oldest first. */
export function listPods(): PodRecord[] {
  return readAll<PodRecord>('pods').sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** Every container, oldest first. */
export function listContainers(): ContainerRecord[] {
  return readAll<ContainerRecord>('containers').sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** One pod sandbox by full id, or undefined. */
export function getPod(id: string): PodRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dir('pods'), `${id}.json`), 'utf8'));
  } catch {
    return undefined;
  }
}

/** One container by full id, or undefined. */
export function getContainer(id: string): ContainerRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dir('containers'), `${id}.json`), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Write (create or replace) a pod sandbox record. */
export function putPod(p: PodRecord): void {
  ensureStore();
  writeAtomic(join(dir('pods'), `${p.id}.json`), p);
}

/** Write (create or replace) a container record. */
export function putContainer(c: ContainerRecord): void {
  ensureStore();
  writeAtomic(join(dir('containers'), `${c.id}.json`), c);
}

/** Remove a pod sandbox record (not its containers). */
export function removePodRecord(id: string): void {
  rmSync(join(dir('pods'), `${id}.json`), { force: true });
}

/** Remove a container record. */
export function removeContainerRecord(id: string): void {
  rmSync(join(dir('containers'), `${id}.json`), { force: true });
}

/**
 * Resolve a full id or a unique prefix (as containerd does) among `ids`.
 * Throws a runtime-style error when nothing or more than one id matches.
 */
export function resolveId(prefix: string, ids: readonly string[], what: 'container' | 'sandbox'): string {
  const hits = ids.filter((id) => id.startsWith(prefix));
  if (prefix === '' || hits.length === 0) {
    throw new Error(`rpc error: code = NotFound desc = an error occurred when try to find ${what} "${prefix}": not found`);
  }
  if (hits.length > 1) {
    throw new Error(`rpc error: code = Unknown desc = failed to find ${what} "${prefix}": multiple IDs found with provided prefix: "${prefix}"`);
  }
  return hits[0];
}
