/** The few API calls kubemend makes, over @kubernetes/client-node (errors say what was being done). */
import {
  AppsV1Api,
  CertificatesV1Api,
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1CertificateSigningRequest,
  type V1DaemonSet,
  type V1Deployment,
  type V1Node,
  type V1Pod,
  type V1ReplicaSet,
  type V1Secret,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import { nodeReady } from './node-ready.js';
import { RESTARTED_AT } from './rollout.js';

/** The parts of a metav1.Status body that kubemend reads. */
interface StatusBody {
  message?: string;
  details?: { causes?: Array<{ message?: string }> };
}

/** An API error's Status body (the client gives it parsed, or as JSON text); undefined when it is plain text or missing. */
function statusBody(body: unknown): StatusBody | undefined {
  if (typeof body === 'string') {
    try {
      return statusBody(JSON.parse(body));
    } catch {
      return undefined; // plain text
    }
  }
  return body && typeof body === 'object' ? (body as StatusBody) : undefined;
}

/** The message of an API error: the status body's message when there is one. */
export function apiMessage(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  const msg = statusBody(e?.body)?.message || (e?.message ?? String(err));
  return e?.code ? `HTTP ${e.code}: ${msg}` : String(msg).split('\n')[0];
}

async function doing<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new Error(`${what}: ${apiMessage(err)}`, { cause: err });
  }
}

/** The API client for one cluster. */
export class Kube {
  readonly core: CoreV1Api;
  readonly certs: CertificatesV1Api;
  readonly coordination: CoordinationV1Api;
  readonly apps: AppsV1Api;
  constructor(kc: KubeConfig) {
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.certs = kc.makeApiClient(CertificatesV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
  }

  /** Every Node. */
  async nodes(): Promise<V1Node[]> {
    return (await doing('list nodes', () => this.core.listNode())).items;
  }

  /** One Node, or undefined when it does not exist. */
  async node(name: string): Promise<V1Node | undefined> {
    try {
      return await this.core.readNode({ name });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw new Error(`read node ${name}: ${apiMessage(err)}`, { cause: err });
    }
  }

  /**
   * Mark a Node's Ready condition Unknown, as node lifecycle does for a silent kubelet (used while
   * that controller is paused): kubeadm refuses to rejoin a name whose Node is still Ready.
   */
  async markNodeUnknown(name: string, message: string): Promise<void> {
    await doing(`mark node ${name} Ready=Unknown`, async () => {
      const node = await this.core.readNodeStatus({ name });
      const now = new Date();
      const conditions = (node.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
      conditions.push({ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message, lastHeartbeatTime: now, lastTransitionTime: now });
      node.status = { ...(node.status ?? {}), conditions };
      await this.core.replaceNodeStatus({ name, body: node });
    });
  }

  /** The renewTime of the node's Lease in kube-node-lease (undefined when absent). */
  async leaseRenewed(name: string): Promise<Date | undefined> {
    try {
      const l = await this.coordination.readNamespacedLease({ name, namespace: 'kube-node-lease' });
      const t = l.spec?.renewTime as unknown;
      return t ? new Date(t as string | Date) : undefined;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw new Error(`read lease kube-node-lease/${name}: ${apiMessage(err)}`, { cause: err });
    }
  }

  /**
   * Wait until each named Node is Ready and its Lease was renewed after `since`; returns the
   * names that were not, with why, when `timeoutMs` ran out.
   */
  async waitNodesReady(names: readonly string[], since: Date, timeoutMs: number, signal?: AbortSignal): Promise<Array<{ name: string; reason: string }>> {
    const pending = new Map(names.map((n) => [n, 'not checked yet']));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const name of [...pending.keys()]) {
        try {
          const node = await this.node(name);
          if (!node) pending.set(name, 'no Node object');
          else if (!nodeReady(node)) pending.set(name, 'Node not Ready');
          else {
            const renewed = await this.leaseRenewed(name);
            if (!renewed || renewed.getTime() < since.getTime() - 1000) pending.set(name, `Lease not renewed since ${since.toISOString()}`);
            else pending.delete(name);
          }
        } catch (err) {
          pending.set(name, err instanceof Error ? err.message : String(err));
        }
      }
      if (pending.size === 0 || Date.now() > deadline || signal?.aborted) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    return [...pending].map(([name, why]) => ({ name, reason: `not Ready after ${Math.round(timeoutMs / 1000)}s: ${why}` }));
  }

  /** Every CertificateSigningRequest. */
  async csrs(): Promise<V1CertificateSigningRequest[]> {
    return (await doing('list certificatesigningrequests', () => this.certs.listCertificateSigningRequest())).items;
  }

  /** Approve a CSR (the approval subresource, condition Approved). */
  async approveCsr(csr: V1CertificateSigningRequest, message: string): Promise<void> {
    const name = csr.metadata!.name!;
    const body: V1CertificateSigningRequest = {
      ...csr,
      status: {
        ...csr.status,
        conditions: [...(csr.status?.conditions ?? []), { type: 'Approved', status: 'True', reason: 'KubemendApprove', message, lastUpdateTime: new Date() }],
      },
    };
    await doing(`approve csr ${name}`, () => this.certs.replaceCertificateSigningRequestApproval({ name, body }));
  }

  /** Every Secret of a type, in every namespace. */
  async secretsOfType(type: string): Promise<V1Secret[]> {
    return (await doing(`list secrets of type ${type}`, () => this.core.listSecretForAllNamespaces({ fieldSelector: `type=${type}` }))).items.filter(
      (s) => s.type === type,
    );
  }

  /** A JSON merge patch on a Secret. */
  async mergePatchSecret(namespace: string, name: string, patch: object): Promise<V1Secret> {
    return doing(`patch secret ${namespace}/${name}`, () =>
      this.core.patchNamespacedSecret({ name, namespace, body: patch }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
    );
  }

  /** One Secret (undefined when gone). */
  async secret(namespace: string, name: string): Promise<V1Secret | undefined> {
    try {
      return await this.core.readNamespacedSecret({ name, namespace });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw new Error(`read secret ${namespace}/${name}: ${apiMessage(err)}`, { cause: err });
    }
  }

  /** Delete a Secret; true when it was there (a Secret already gone is fine). */
  async deleteSecret(namespace: string, name: string): Promise<boolean> {
    try {
      await this.core.deleteNamespacedSecret({ name, namespace });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return false;
      throw new Error(`delete secret ${namespace}/${name}: ${apiMessage(err)}`, { cause: err });
    }
  }

  /** Every Pod in every namespace. */
  async pods(): Promise<V1Pod[]> {
    return (await doing('list pods', () => this.core.listPodForAllNamespaces())).items;
  }

  /** Delete a Pod (its controller recreates it), only that very pod when `uid` is given; a Pod already gone is fine. */
  async deletePod(namespace: string, name: string, uid?: string): Promise<void> {
    try {
      await this.core.deleteNamespacedPod({ name, namespace, ...(uid ? { body: { preconditions: { uid } } } : {}) });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return;
      throw new Error(`delete pod ${namespace}/${name}: ${apiMessage(err)}`, { cause: err });
    }
  }

  /** A ConfigMap's data (undefined when absent). */
  async configMap(namespace: string, name: string): Promise<Record<string, string> | undefined> {
    try {
      return (await this.core.readNamespacedConfigMap({ name, namespace })).data ?? {};
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw new Error(`read configmap ${namespace}/${name}: ${apiMessage(err)}`, { cause: err });
    }
  }

  /** Every ReplicaSet (to find the Deployment that owns a pod). */
  async replicaSets(): Promise<V1ReplicaSet[]> {
    return (await doing('list replicasets', () => this.apps.listReplicaSetForAllNamespaces())).items;
  }

  /** A Deployment, DaemonSet or StatefulSet (undefined when gone). */
  async controller(kind: RestartableKind, namespace: string, name: string): Promise<V1Deployment | V1DaemonSet | V1StatefulSet | undefined> {
    try {
      if (kind === 'Deployment') return await this.apps.readNamespacedDeployment({ name, namespace });
      if (kind === 'DaemonSet') return await this.apps.readNamespacedDaemonSet({ name, namespace });
      return await this.apps.readNamespacedStatefulSet({ name, namespace });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw new Error(`read ${kind.toLowerCase()} ${namespace}/${name}: ${apiMessage(err)}`, { cause: err });
    }
  }

  /**
   * Restart a controller's pods as `kubectl rollout restart` does (objectrestarter.go): the pod
   * template's `kubectl.kubernetes.io/restartedAt` annotation set to `at`, as a strategic merge
   * patch; the controller then replaces its pods within its own maxUnavailable/maxSurge.
   */
  async restartController(kind: RestartableKind, namespace: string, name: string, at: string): Promise<void> {
    const body = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: at } } } } };
    const opts = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
    await doing(`rollout restart ${kind.toLowerCase()} ${namespace}/${name}`, async () => {
      if (kind === 'Deployment') await this.apps.patchNamespacedDeployment({ name, namespace, body }, opts);
      else if (kind === 'DaemonSet') await this.apps.patchNamespacedDaemonSet({ name, namespace, body }, opts);
      else await this.apps.patchNamespacedStatefulSet({ name, namespace, body }, opts);
    });
  }

  /**
   * Evict a pod through the Eviction API (policy/v1), so PodDisruptionBudgets are honoured:
   * `evicted`, `gone` (404), or `blocked` with the apiserver's reason (429: a budget allows no
   * disruption now; retry later).
   */
  async evictPod(namespace: string, name: string): Promise<{ result: 'evicted' | 'gone' } | { result: 'blocked'; reason: string }> {
    try {
      await this.core.createNamespacedPodEviction({ name, namespace, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } } });
      return { result: 'evicted' };
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 404) return { result: 'gone' };
      if (code === 429) {
        const body = statusBody((err as { body?: unknown }).body);
        const causes = (body?.details?.causes ?? []).map((c) => c.message).filter(Boolean);
        return { result: 'blocked', reason: [body?.message ?? 'TooManyRequests', ...causes].join(' ') };
      }
      throw new Error(`evict pod ${namespace}/${name}: ${apiMessage(err)}`, { cause: err });
    }
  }
}

/** The controllers `kubectl rollout restart` can restart. */
export type RestartableKind = 'Deployment' | 'DaemonSet' | 'StatefulSet';
