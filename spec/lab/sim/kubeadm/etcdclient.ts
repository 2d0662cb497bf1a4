/**
 * kubeadm's etcd client (cmd/kubeadm/app/util/etcd/etcd.go, v1.31+ text; see
 * reference/sources.ts `etcdClient`), over etcd's v3 JSON gateway instead of gRPC: the same
 * calls, retries and timeouts, no more and no less.
 *
 * - Every call (member list, add, promote, status, endpoint sync) is polled every
 *   constants.EtcdAPICallRetryInterval (500 ms), first try at once, until
 *   Timeouts.EtcdAPICall (default 2m) has passed; each attempt has etcdTimeout (2 s). Whatever the
 *   error (etcdserver: unhealthy cluster, can only promote a learner member which is in sync with
 *   leader, a member still starting), it is retried; when time is up the last error is returned.
 * - addMember lists the members first and returns when this peer URL is there already; an add
 *   refused with "Peer URLs already exists" is taken as done.
 * - WaitForClusterAvailable: etcdHealthyCheckRetries (8) rounds, etcdHealthyCheckInterval (5 s)
 *   apart, of a Status call to every endpoint.
 * A kubeadm node has no etcdctl: kubeadm links the etcd client library, so this does not exec one.
 */
import https from 'node:https';
import { sleep } from './api.js';

/** constants.EtcdAPICallRetryInterval. */
export const ETCD_API_CALL_RETRY_INTERVAL_MS = 500;
/** v1beta4 Timeouts.EtcdAPICall default. */
export const ETCD_API_CALL_TIMEOUT_MS = 120_000;
/** etcdTimeout (each attempt). */
export const ETCD_TIMEOUT_MS = 2000;
/** etcdHealthyCheckInterval and etcdHealthyCheckRetries. */
export const ETCD_HEALTHY_CHECK_INTERVAL_MS = 5000;
export const ETCD_HEALTHY_CHECK_RETRIES = 8;

/** One member as the gateway returns it. */
export interface Member {
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

/** TLS material (the healthcheck-client certificate, as kubeadm uses). */
export interface EtcdClientTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** An error from etcd itself (the gateway's "error" text, e.g. "etcdserver: unhealthy cluster"). */
class EtcdServerError extends Error {}

/** kubeadm's etcdutil.Client. */
export class EtcdClient {
  readonly #agent: https.Agent;

  constructor(
    public endpoints: string[],
    tls: EtcdClientTls,
    readonly apiCallTimeoutMs = ETCD_API_CALL_TIMEOUT_MS,
  ) {
    this.#agent = new https.Agent({ keepAlive: false, ca: tls.ca, cert: tls.cert, key: tls.key });
  }

  /** One attempt: POST to the first endpoint that answers (as the gRPC balancer would pick one). */
  async #call(path: string, body: unknown, only?: string): Promise<any> {
    let last: Error = new Error('context deadline exceeded');
    for (const ep of only ? [only] : this.endpoints) {
      try {
        return await this.#post(ep, path, body);
      } catch (e) {
        if (e instanceof EtcdServerError) throw e;
        last = new Error('context deadline exceeded'); // what clientv3 says when no endpoint answers in DialTimeout
      }
    }
    throw last;
  }

  #post(endpoint: string, path: string, body: unknown): Promise<any> {
    const payload = Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = https.request(
        new URL(path, endpoint),
        { method: 'POST', agent: this.#agent, timeout: ETCD_TIMEOUT_MS, headers: { 'Content-Type': 'application/json', 'Content-Length': payload.length } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            let parsed: any;
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              parsed = undefined;
            }
            if (res.statusCode === 200 && parsed && !parsed.error) resolve(parsed);
            else reject(new EtcdServerError(parsed?.error ?? parsed?.message ?? `HTTP ${res.statusCode}`));
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('context deadline exceeded')));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** wait.PollUntilContextTimeout(EtcdAPICallRetryInterval, EtcdAPICall, immediate): the last error when time is up. */
  async #poll<T>(attempt: () => Promise<T | undefined>, timeoutMs = this.apiCallTimeoutMs): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: Error = new Error('context deadline exceeded');
    for (;;) {
      try {
        const v = await attempt();
        if (v !== undefined) return v;
      } catch (e) {
        last = e as Error;
      }
      if (Date.now() + ETCD_API_CALL_RETRY_INTERVAL_MS > deadline) throw last;
      await sleep(ETCD_API_CALL_RETRY_INTERVAL_MS);
    }
  }

  /** The members (one attempt). */
  async #members(): Promise<Member[]> {
    const r = await this.#call('/v3/cluster/member/list', {});
    return (r.members ?? []).map((m: any) => ({
      id: String(m.ID),
      name: m.name ?? '',
      peerURLs: m.peerURLs ?? [],
      clientURLs: m.clientURLs ?? [],
      isLearner: !!m.isLearner,
    }));
  }

  /** Client.Sync: the endpoints become the started voting members' client URLs. */
  async sync(): Promise<void> {
    const members = await this.#poll(() => this.#members());
    const eps = members.filter((m) => m.name !== '' && !m.isLearner).flatMap((m) => m.clientURLs);
    if (eps.length) this.endpoints = eps;
  }

  /** listMembers (polled). */
  listMembers(): Promise<Member[]> {
    return this.#poll(() => this.#members());
  }

  /** addMember(name, peerURL, isLearner): the members after the add (or after finding it there). */
  async addMember(peerURL: string, isLearner: boolean): Promise<Member[]> {
    const members = await this.#poll(async () => {
      const list = await this.#members();
      if (list.some((m) => m.peerURLs[0] === peerURL)) return list;
      try {
        await this.#call('/v3/cluster/member/add', { peerURLs: [peerURL], isLearner });
      } catch (e) {
        if (/Peer URLs already exists/.test((e as Error).message)) return this.#members();
        throw e;
      }
      return this.#members();
    });
    const host = new URL(peerURL).hostname;
    this.endpoints = [...this.endpoints, `https://${host.includes(':') ? `[${host}]` : host}:2379`];
    return members;
  }

  /** MemberPromote: returns at once when the member is no learner; else polls the promotion. */
  async memberPromote(id: string): Promise<void> {
    const isLearner = async () => (await this.listMembers()).some((m) => m.id === id && m.isLearner);
    if (!(await isLearner())) return;
    await this.#poll(async () => {
      if (!(await isLearner())) return true;
      await this.#call('/v3/cluster/member/promote', { ID: id });
      return true;
    });
  }

  /** WaitForClusterAvailable(retries, interval): every endpoint answers a Status call. */
  async waitForClusterAvailable(retries = ETCD_HEALTHY_CHECK_RETRIES, intervalMs = ETCD_HEALTHY_CHECK_INTERVAL_MS): Promise<void> {
    for (let i = 0; i < retries; i++) {
      if (i > 0) await sleep(intervalMs);
      try {
        for (const ep of this.endpoints) await this.#poll(() => this.#call('/v3/maintenance/status', {}, ep));
        return;
      } catch {
        // klog "[etcd] Attempt failed with error": next round
      }
    }
    throw new Error('timeout waiting for etcd cluster to be available');
  }

  /** Close the connections. */
  close(): void {
    this.#agent.destroy();
  }
}
