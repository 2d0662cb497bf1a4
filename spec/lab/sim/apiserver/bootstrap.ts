/** Objects the apiserver creates at start when missing: the system namespaces. */
import { warn } from './log.js';
import { findResource } from './resources.js';
import { ApiError } from './status.js';
import type { Store } from './store.js';
import { prepareCreate } from './strategy.js';
import { ANONYMOUS } from './user.js';

const namespaces = findResource('', 'v1', 'namespaces')!;
/** The namespaces every cluster has. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Create the system namespaces that are missing; retries until etcd answers. */
export function ensureNamespaces(store: Store): void {
  const attempt = async () => {
    for (const name of SYSTEM_NAMESPACES) {
      if (await store.tryGet(namespaces, undefined, name)) continue;
      try {
        await store.create(namespaces, prepareCreate(namespaces, { metadata: { name } }, undefined, ANONYMOUS));
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 409)) throw e;
      }
    }
  };
  const loop = () =>
    attempt().catch((e) => {
      warn(`create system namespaces: ${(e as Error).message}; retrying`);
      setTimeout(loop, 1000);
    });
  void loop();
}
