/**
 * Containers made by the lab's `ctr` (not by the kubelet: CRI never lists them, as with real
 * containerd): one JSON record per container under /var/lib/containerd/lab/containers/<namespace>/,
 * with its task's pid while it has one. The task's state comes from the process itself.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { p } from '../paths.js';
import { isAlive } from '../cri/process.js';

/** A ctr container and its task. */
export interface CtrContainer {
  id: string;
  namespace: string;
  image: string;
  args: string[];
  createdAt: string;
  /** The rootfs folder the task runs in (removed with the container). */
  rootfs: string;
  task?: { pid: number; pidStart?: number; exitCode?: number };
}

const dir = (ns: string) => p('var/lib/containerd/lab/containers', ns);

/** The folder under which a container's rootfs is made (tmpfs /run, like containerd's task state). */
export const taskDir = (ns: string, id: string) => p('run/lab/ctr', ns, id);

/** One container, or undefined. */
export function getCtr(ns: string, id: string): CtrContainer | undefined {
  try {
    return JSON.parse(readFileSync(join(dir(ns), `${id}.json`), 'utf8')) as CtrContainer;
  } catch {
    return undefined;
  }
}

/** Every container of namespace `ns`, by id. */
export function listCtr(ns: string): CtrContainer[] {
  let files: string[];
  try {
    files = readdirSync(dir(ns)).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files
    .map((f) => getCtr(ns, f.slice(0, -5)))
    .filter((c): c is CtrContainer => !!c)
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** Write a container record (atomic). */
export function putCtr(c: CtrContainer): void {
  mkdirSync(dir(c.namespace), { recursive: true });
  const f = join(dir(c.namespace), `${c.id}.json`);
  writeFileSync(`${f}.tmp`, JSON.stringify(c, null, 1) + '\n');
  renameSync(`${f}.tmp`, f);
}

/** Remove a container record and its task folder. */
export function removeCtr(c: CtrContainer): void {
  rmSync(join(dir(c.namespace), `${c.id}.json`), { force: true });
  rmSync(taskDir(c.namespace, c.id), { recursive: true, force: true });
}

/** RUNNING while the task's process lives, STOPPED after, undefined without a task. */
export function taskStatus(c: CtrContainer): 'RUNNING' | 'STOPPED' | undefined {
  if (!c.task) return undefined;
  return isAlive(c.task.pid, c.task.pidStart) ? 'RUNNING' : 'STOPPED';
}
