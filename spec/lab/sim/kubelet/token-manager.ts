/**
 * The kubelet's service-account token manager (pkg/kubelet/token/token_manager.go): tokens from the
 * TokenRequest API cached per (service account, namespace, audiences, expiration, bound object);
 * a cached token is refreshed when older than 80% of its requested lifetime (measured from
 * `status.expirationTimestamp`, with up to 10 s of jitter), older than 24 h, or issued in the
 * future; a failed refresh keeps the cached token while it has not expired. The cache lives in
 * the kubelet's memory only: a restarted kubelet requests every token again.
 */

/** authentication.k8s.io/v1 TokenRequest, the parts the manager reads. */
export interface TokenRequest {
  spec: {
    audiences?: string[];
    expirationSeconds?: number;
    boundObjectRef?: { apiVersion?: string; kind?: string; name?: string; uid?: string };
  };
  status?: { token: string; expirationTimestamp: string };
}

const MAX_TTL_MS = 24 * 3600_000;
const MAX_JITTER_MS = 10_000;

/** Fetch a token for service account `name` in `namespace` (the TokenRequest API). */
export type GetToken = (namespace: string, name: string, tr: TokenRequest) => Promise<TokenRequest>;

/** keyFunc: name, namespace, audiences, expiration and bound object. */
function keyOf(name: string, namespace: string, tr: TokenRequest): string {
  return JSON.stringify([name, namespace, tr.spec.audiences ?? null, tr.spec.expirationSeconds ?? 0, tr.spec.boundObjectRef ?? null]);
}

/** Caches and refreshes projected service-account tokens. */
export class TokenManager {
  readonly #cache = new Map<string, TokenRequest>();
  constructor(
    readonly getToken: GetToken,
    readonly now: () => number = Date.now,
    readonly jitter: () => number = () => Math.floor(Math.random() * (MAX_JITTER_MS / 1000)) * 1000,
  ) {}

  /** requiresRefresh: past 80% of the lifetime (or 24 h) minus jitter, or issued in the future. */
  requiresRefresh(tr: TokenRequest): boolean {
    const seconds = tr.spec.expirationSeconds;
    if (!seconds || !tr.status) return false;
    const now = this.now();
    const exp = Date.parse(tr.status.expirationTimestamp);
    const iat = exp - seconds * 1000;
    const jitter = this.jitter();
    if (now > iat + MAX_TTL_MS - jitter) return true;
    if (now > exp - Math.floor((seconds * 20) / 100) * 1000 - jitter) return true;
    return now < iat;
  }

  /** GetServiceAccountToken: the cached token, or a new one when it needs a refresh. */
  async token(namespace: string, name: string, tr: TokenRequest): Promise<TokenRequest> {
    const key = keyOf(name, namespace, tr);
    const cached = this.#cache.get(key);
    if (cached && !this.requiresRefresh(cached)) return cached;
    let fresh: TokenRequest;
    try {
      fresh = await this.getToken(namespace, name, tr);
    } catch (e) {
      if (!cached) throw new Error(`failed to fetch token: ${(e as Error).message}`);
      if (this.now() > Date.parse(cached.status!.expirationTimestamp)) throw new Error(`token ${key} expired and refresh failed: ${(e as Error).message}`);
      return cached; // "Couldn't update token": the old one is still valid
    }
    this.#cache.set(key, fresh);
    return fresh;
  }

  /** DeleteServiceAccountToken: forget the tokens bound to a pod that is gone. */
  forgetPod(podUid: string): void {
    for (const [k, tr] of this.#cache) if (tr.spec.boundObjectRef?.uid === podUid) this.#cache.delete(k);
  }
}
