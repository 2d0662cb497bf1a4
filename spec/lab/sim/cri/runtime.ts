/**
 * The runtime operations both the kubelet and crictl perform on the CRI store: refresh a
 * container's state from its process, stop and remove containers and pod sandboxes, with
 * containerd's refusals (a running container cannot be removed, a ready sandbox neither).
 */
import { createHash } from 'node:crypto';
import { isAlive, stopProcess } from './process.js';
import {
  type ContainerRecord,
  type PodRecord,
  getContainer,
  getPod,
  listContainers,
  putContainer,
  putPod,
  removeContainerRecord,
  removePodRecord,
} from './store.js';

/** containerd-style image reference (sha256 of the image name, stable per image). */
export function imageRef(image: string): string {
  return 'sha256:' + createHash('sha256').update(image).digest('hex');
}

/** Mark a container EXITED when its process is gone; returns the up-to-date record. */
export function refresh(c: ContainerRecord, exitCode = 255): ContainerRecord {
  if (c.state === 'CONTAINER_RUNNING' && !isAlive(c.pid, c.pidStart)) {
    const fresh = getContainer(c.id);
    if (!fresh) return { ...c, state: 'CONTAINER_EXITED' };
    if (fresh.state !== 'CONTAINER_RUNNING') return fresh;
    const done: ContainerRecord = { ...fresh, state: 'CONTAINER_EXITED', exitCode, finishedAt: new Date().toISOString() };
    putContainer(done);
    return done;
  }
  return c;
}

/** Every container with its state refreshed from its process. */
export function containersNow(): ContainerRecord[] {
  return listContainers().map((c) => refresh(c));
}

/** Stop a container (kill its process) and record it EXITED. */
export async function stopContainer(id: string, graceMs = 0): Promise<void> {
  const c = getContainer(id);
  if (!c) throw new Error(`rpc error: code = NotFound desc = an error occurred when try to find container "${id}": not found`);
  if (c.state !== 'CONTAINER_RUNNING') return;
  const code = await stopProcess(c.pid, c.pidStart, graceMs);
  const now = getContainer(id) ?? c;
  putContainer({
    ...now,
    state: 'CONTAINER_EXITED',
    exitCode: now.state === 'CONTAINER_EXITED' ? now.exitCode : code,
    finishedAt: now.finishedAt ?? new Date().toISOString(),
  });
}

/** Remove a container record; refuses a running one unless `force` (which stops it first). */
export async function removeContainer(id: string, force = false): Promise<void> {
  const c = getContainer(id);
  if (!c) throw new Error(`rpc error: code = NotFound desc = an error occurred when try to find container "${id}": not found`);
  const cur = refresh(c);
  if (cur.state === 'CONTAINER_RUNNING') {
    if (!force) {
      throw new Error(`rpc error: code = Unknown desc = failed to set removing state for container "${id}": container is still running, to stop first`);
    }
    await stopContainer(id, 0);
  }
  removeContainerRecord(id);
}

/** Stop every container of a pod sandbox and mark it NOTREADY. */
export async function stopPod(id: string, graceMs = 0): Promise<void> {
  const p = getPod(id);
  if (!p) throw new Error(`rpc error: code = NotFound desc = an error occurred when try to find sandbox "${id}": not found`);
  for (const c of listContainers().filter((c) => c.podId === id)) await stopContainer(c.id, graceMs);
  const now = getPod(id);
  if (now) putPod({ ...now, state: 'SANDBOX_NOTREADY' });
}

/** Remove a pod sandbox and its containers; refuses a READY sandbox unless `force`. */
export async function removePod(id: string, force = false): Promise<void> {
  const p: PodRecord | undefined = getPod(id);
  if (!p) throw new Error(`rpc error: code = NotFound desc = an error occurred when try to find sandbox "${id}": not found`);
  if (p.state === 'SANDBOX_READY') {
    if (!force) throw new Error(`rpc error: code = Unknown desc = sandbox container "${id}" is not fully stopped`);
    await stopPod(id, 0);
  }
  for (const c of listContainers().filter((c) => c.podId === id)) {
    await stopContainer(c.id, 0);
    removeContainerRecord(c.id);
  }
  removePodRecord(id);
}
