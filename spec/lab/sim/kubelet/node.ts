/**
 * The kubelet's Node: register it (labels the kubelet sets; node-role labels are kubeadm's), then
 * every heartbeat renew the Lease kube-node-lease/<node> and read the Node: its status (Ready,
 * addresses, nodeInfo) is patched when it differs from the kubelet's, heartbeat times aside, or when
 * STATUS_REPORT_MS has passed since the last patch (kubelet_node_status.go tryUpdateNodeStatus:
 * nodeStatusHasChanged || nodeStatusReportFrequency; the Lease is the heartbeat since 1.17). All
 * with the client cert of kubelet.conf: a cert the apiserver does not trust fails at TLS and
 * nothing is renewed; the controller-manager then marks the Node NotReady.
 */
import { randomUUID } from 'node:crypto';
import { arch, cpus, release, totalmem } from 'node:os';
import type { KubeClient } from '../kubeclient.js';
import * as log from './log.js';

/** The kubelet's version, as the simulated components say. */
export const KUBELET_VERSION = 'v1.32.4';

/** What the Node agent needs to know. */
export interface NodeInfo {
  name: string;
  ip: string;
  port: number;
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: string }[];
}

/** How often an unchanged status is patched all the same (the real nodeStatusReportFrequency is 5 min; the lab's clock runs faster). */
export const STATUS_REPORT_MS = 60_000;

/** What a status says, without its heartbeat times (kubelet_node_status.go nodeStatusHasChanged), over the kubelet's own condition types. */
export function statusGist(status: any, types: string[]): string {
  const conditions = (status?.conditions ?? [])
    .filter((c: any) => types.includes(c.type))
    .map((c: any) => [c.type, c.status, c.reason ?? '', c.message ?? ''])
    .sort((a: string[], b: string[]) => a[0].localeCompare(b[0]));
  const { capacity, allocatable, addresses, daemonEndpoints, nodeInfo } = status ?? {};
  return JSON.stringify({ conditions, capacity, allocatable, addresses, daemonEndpoints, nodeInfo });
}

function micro(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function seconds(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Registers the Node and keeps its Lease and status fresh. */
export class NodeAgent {
  registered = false;
  #lease: any;
  #uid?: string;
  readonly #bootID = randomUUID();
  readonly #readySince = seconds();
  /** When the status was last patched (0: not yet by this process). */
  #reportedAt = 0;
  lastError?: string;
  /** The Node's uid once registered (owner of the Lease and mirror pods). */
  get nodeUid(): string | undefined {
    return this.#uid;
  }
  constructor(
    readonly client: KubeClient,
    readonly node: NodeInfo,
  ) {}

  #status(): any {
    const now = seconds();
    const cond = (type: string, status: string, reason: string, message: string) => ({
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: now,
      lastTransitionTime: this.#readySince,
    });
    const mem = `${Math.floor(totalmem() / 1024)}Ki`;
    return {
      capacity: { cpu: String(cpus().length), memory: mem, pods: '110', 'ephemeral-storage': '61202244Ki', 'hugepages-2Mi': '0' },
      allocatable: { cpu: String(cpus().length), memory: mem, pods: '110', 'ephemeral-storage': '56403987978', 'hugepages-2Mi': '0' },
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: this.node.ip },
        { type: 'Hostname', address: this.node.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: this.node.port } },
      nodeInfo: {
        machineID: this.node.name.padEnd(32, '0').slice(0, 32),
        systemUUID: this.#bootID,
        bootID: this.#bootID,
        kernelVersion: release(),
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.24',
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: KUBELET_VERSION,
        operatingSystem: 'linux',
        architecture: arch() === 'x64' ? 'amd64' : arch(),
      },
    };
  }

  #labels(): Record<string, string> {
    const a = arch() === 'x64' ? 'amd64' : arch();
    return {
      'beta.kubernetes.io/arch': a,
      'beta.kubernetes.io/os': 'linux',
      'kubernetes.io/arch': a,
      'kubernetes.io/hostname': this.node.name,
      'kubernetes.io/os': 'linux',
      ...this.node.labels,
    };
  }

  /** Create the Node (or adopt the existing one); true once registered. */
  async register(): Promise<boolean> {
    const body = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: this.node.name,
        labels: this.#labels(),
        annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
      },
      spec: this.node.taints.length ? { taints: this.node.taints } : {},
      status: this.#status(),
    };
    const res = await this.client.post('/api/v1/nodes', body);
    if (res.status === 201 || res.status === 200) {
      this.#uid = res.body?.metadata?.uid;
      log.info('kubelet_node_status.go:79', 'Successfully registered node', { node: this.node.name });
    } else if (res.status === 409) {
      const got = await this.client.get(`/api/v1/nodes/${this.node.name}`);
      if (got.status !== 200) throw new Error(`Unable to register node with API server: get existing node: ${got.status} ${got.body?.message ?? ''}`);
      this.#uid = got.body?.metadata?.uid;
      const want = this.#labels();
      const have = got.body?.metadata?.labels ?? {};
      const missing = Object.fromEntries(Object.entries(want).filter(([k, v]) => have[k] !== v));
      if (Object.keys(missing).length) await this.client.patch(`/api/v1/nodes/${this.node.name}`, { metadata: { labels: missing } });
      log.info('kubelet_node_status.go:111', 'Node was previously registered', { node: this.node.name });
    } else {
      throw new Error(`Unable to register node with API server: ${res.status} ${res.body?.message ?? res.text.slice(0, 200)}`);
    }
    this.registered = true;
    return true;
  }

  /** One heartbeat: renew the Lease, read the Node, patch its status when it changed or is due. Throws on failure (logged by the caller). */
  async heartbeat(): Promise<void> {
    if (!this.registered) await this.register();
    await this.#renewLease();
    const status = this.#status();
    const notFound = () => {
      this.registered = false;
      return new Error(`error updating node status, will retry: nodes "${this.node.name}" not found`);
    };
    const failed = (res: { status: number; body?: any; text: string }) =>
      new Error(`error updating node status, will retry: ${res.status} ${res.body?.message ?? res.text.slice(0, 200)}`);
    if (Date.now() - this.#reportedAt < STATUS_REPORT_MS) {
      // from the apiserver's cache, as the real kubelet's first try (kubelet_node_status.go, tryUpdateNodeStatus: util.FromApiserverCache)
      const got = await this.client.get(`/api/v1/nodes/${this.node.name}?resourceVersion=0`);
      if (got.status === 404) throw notFound();
      if (got.status >= 300) throw failed(got);
      const types = status.conditions.map((c: any) => c.type);
      if (statusGist(got.body?.status, types) === statusGist(status, types)) return;
    }
    const res = await this.client.patch(`/api/v1/nodes/${this.node.name}/status`, { status });
    if (res.status === 404) throw notFound();
    if (res.status >= 300) throw failed(res);
    this.#reportedAt = Date.now();
  }

  async #renewLease(): Promise<void> {
    const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${this.node.name}`;
    if (!this.#lease) {
      const got = await this.client.get(path);
      if (got.status === 200) this.#lease = got.body;
      else if (got.status !== 404) throw new Error(`failed to get lease: ${got.status} ${got.body?.message ?? ''}`);
    }
    if (!this.#lease) {
      const lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: this.node.name,
          namespace: 'kube-node-lease',
          ...(this.#uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.node.name, uid: this.#uid }] } : {}),
        },
        spec: { holderIdentity: this.node.name, leaseDurationSeconds: 40, renewTime: micro() },
      };
      const res = await this.client.post('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease);
      if (res.status === 201 || res.status === 200) {
        this.#lease = res.body;
        return;
      }
      if (res.status === 409) return; // next beat reads it
      throw new Error(`failed to create lease: ${res.status} ${res.body?.message ?? ''}`);
    }
    const next = { ...this.#lease, spec: { ...this.#lease.spec, holderIdentity: this.node.name, renewTime: micro() } };
    const res = await this.client.put(path, next);
    if (res.status === 200) {
      this.#lease = res.body;
      return;
    }
    this.#lease = undefined; // conflict or gone: re-read next time
    throw new Error(`failed to update lease: ${res.status} ${res.body?.message ?? ''}`);
  }
}
