/**
 * A tiny Kubernetes REST client for the lab's simulated components: reads a kubeconfig
 * file (client certificate, bearer token, CA) and speaks HTTPS. Not used by kubemend itself.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import YAML from 'yaml';

/** What a kubeconfig's current context gives: where and who. */
export interface KubeCreds {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  /** Skip server verification (kubeadm discovery before the CA is pinned). */
  insecure?: boolean;
}

/** A response: status code, parsed JSON body (or undefined) and raw text. */
export interface KubeResponse<T = any> {
  status: number;
  body: T;
  text: string;
}

function fileOrData(base: string, obj: any, key: string): Buffer | undefined {
  if (obj?.[`${key}-data`]) return Buffer.from(obj[`${key}-data`], 'base64');
  if (obj?.[key]) return readFileSync(resolve(base, obj[key]));
  return undefined;
}

/** Load the current context of a kubeconfig file into credentials. */
export function loadKubeconfig(path: string): KubeCreds {
  const doc = YAML.parse(readFileSync(path, 'utf8'));
  const base = dirname(path);
  const ctxName = doc['current-context'] ?? doc.contexts?.[0]?.name;
  const ctx = doc.contexts?.find((c: any) => c.name === ctxName)?.context ?? doc.contexts?.[0]?.context;
  const cluster = doc.clusters?.find((c: any) => c.name === ctx?.cluster)?.cluster ?? doc.clusters?.[0]?.cluster;
  const user = doc.users?.find((u: any) => u.name === ctx?.user)?.user ?? doc.users?.[0]?.user ?? {};
  if (!cluster?.server) throw new Error(`${path}: no cluster server in kubeconfig`);
  return {
    server: cluster.server,
    ca: fileOrData(base, cluster, 'certificate-authority'),
    cert: fileOrData(base, user, 'client-certificate'),
    key: fileOrData(base, user, 'client-key'),
    token: user.token,
    insecure: cluster['insecure-skip-tls-verify'] === true,
  };
}

/** An open streaming GET (a watch) with a 2xx status: `close` ends it; `ended` settles when it ends (with the error, if any). */
export interface KubeStream {
  status: number;
  close(): void;
  ended: Promise<Error | undefined>;
}

/** Reads a whole response: its status, its text and the text parsed as JSON (undefined when it is not JSON). */
export function readResponse(res: IncomingMessage, resolve: (r: KubeResponse) => void, reject: (e: Error) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    resolve({ status: res.statusCode ?? 0, body, text });
  });
  res.on('error', reject);
}

/** Kubernetes REST over HTTPS with one keep-alive agent (and another for long-lived streams). */
export class KubeClient {
  readonly agent: https.Agent;
  #streamAgent?: https.Agent;
  constructor(
    readonly creds: KubeCreds,
    readonly timeoutMs = 10_000,
  ) {
    this.agent = new https.Agent({
      keepAlive: true,
      maxSockets: 8,
      ca: creds.ca,
      cert: creds.cert,
      key: creds.key,
      rejectUnauthorized: !creds.insecure,
    });
  }

  /** The agent of streams: they hold a socket each for as long as they run, so they do not take the request agent's sockets. */
  get streamAgent(): https.Agent {
    return (this.#streamAgent ??= new https.Agent({
      keepAlive: true,
      ca: this.creds.ca,
      cert: this.creds.cert,
      key: this.creds.key,
      rejectUnauthorized: !this.creds.insecure,
    }));
  }

  /** Build a client from a kubeconfig file. */
  static fromFile(path: string, timeoutMs?: number): KubeClient {
    return new KubeClient(loadKubeconfig(path), timeoutMs);
  }

  /** One request; resolves for any HTTP status, rejects on network/TLS errors. */
  request<T = any>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<KubeResponse<T>> {
    const url = new URL(path, this.creds.server);
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (payload) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = String(payload.length);
    }
    if (this.creds.token) headers.Authorization = `Bearer ${this.creds.token}`;
    return new Promise((resolvePromise, reject) => {
      const req = https.request(url, { method, headers, agent: this.agent, timeout: this.timeoutMs }, (res) => readResponse(res, resolvePromise, reject));
      req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname}: timed out after ${this.timeoutMs} ms`)));
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  /**
   * A streaming GET (`?watch=true`): resolves once the headers arrive (within `timeoutMs`), then gives each
   * newline-delimited line of the body to `onLine` until the server ends it or `close` is called. A non-2xx answer
   * resolves as a KubeResponse (its whole body read) instead; network and TLS errors reject.
   */
  stream(path: string, onLine: (line: string) => void): Promise<KubeStream | KubeResponse> {
    const url = new URL(path, this.creds.server);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.creds.token) headers.Authorization = `Bearer ${this.creds.token}`;
    return new Promise((resolvePromise, reject) => {
      const req = https.request(url, { method: 'GET', headers, agent: this.streamAgent }, (res) => {
        clearTimeout(timer);
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) return readResponse(res, resolvePromise, reject);
        let endStream: (err?: Error) => void = () => {};
        const ended = new Promise<Error | undefined>((r) => {
          let done = false;
          endStream = (err) => {
            if (done) return;
            done = true;
            r(err);
          };
        });
        let rest = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const lines = (rest + chunk).split('\n');
          rest = lines.pop()!;
          for (const line of lines) if (line.trim()) onLine(line);
        });
        res.on('end', () => endStream());
        res.on('error', (e) => endStream(e));
        res.on('close', () => endStream(res.complete ? undefined : new Error(`GET ${url.pathname}: stream closed`)));
        resolvePromise({ status, ended, close: () => (endStream(), req.destroy()) });
      });
      const timer = setTimeout(() => req.destroy(new Error(`GET ${url.pathname}: no answer after ${this.timeoutMs} ms`)), this.timeoutMs);
      req.on('error', (e) => (clearTimeout(timer), reject(e)));
      req.end();
    });
  }

  /** GET path. */
  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }
  /** POST a JSON body. */
  post<T = any>(path: string, body: unknown) {
    return this.request<T>('POST', path, body);
  }
  /** PUT a JSON body. */
  put<T = any>(path: string, body: unknown) {
    return this.request<T>('PUT', path, body);
  }
  /** PATCH with a JSON merge patch. */
  patch<T = any>(path: string, body: unknown) {
    return this.request<T>('PATCH', path, body, 'application/merge-patch+json');
  }
  /** DELETE path. */
  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }
  /** Close idle sockets. */
  close(): void {
    this.agent.destroy();
    this.#streamAgent?.destroy();
  }
}
