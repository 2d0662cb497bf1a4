/**
 * lab-workload: a pod's process. With credentials (SA_TOKEN_FILE, SA_CA_FILE from the kubelet) it
 * is an in-cluster client as client-go builds one (rest.InClusterConfig): the CA file is read ONCE
 * at start (a CA that changes later is not seen: TLS fails with x509 until the pod is restarted);
 * the token file is re-read every minute and after a 401 (transport.NewCachedFileTokenSource:
 * period 1 min, leeway 10 s; tokenSourceTransport resets the cached token on a 401). Every 2 s it
 * reads its own Pod, over one kept connection as client-go's. It writes
 * /run/lab/workloads/<ns>_<name>.health (`ok`, or what failed once 3 checks in a row failed, a
 * readiness probe's failureThreshold) and <ns>_<name>.client (JSON: when
 * it started, its last successful API call, its last error), which the lab's witnesses read.
 * Errors go to its log in client-go's words. Without a token it just stays healthy.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { dirname, join } from 'node:path';
import { paths } from '../paths.js';

const ns = process.env.POD_NAMESPACE ?? 'default';
const name = process.env.POD_NAME ?? 'unknown';
const health = join(paths.workloads, `${ns}_${name}.health`);
const report = join(paths.workloads, `${ns}_${name}.client`);
const intervalMs = Number(process.env.LAB_WORKLOAD_INTERVAL_MS) || 2000;
/** Failed checks in a row before a ready pod turns unready (a probe's failureThreshold). */
const FAILURE_THRESHOLD = 3;
/** client-go's fileTokenSource period and cachingTokenSource leeway. */
const TOKEN_PERIOD_MS = 60_000;
const TOKEN_LEEWAY_MS = 10_000;

function atomicWrite(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function readOr(path: string | undefined): Buffer | undefined {
  try {
    return path ? readFileSync(path) : undefined;
  } catch {
    return undefined;
  }
}

/** klog's header (`E1204 10:00:00.000000    1234 file.go:1] `). */
function klog(sev: 'I' | 'E', where: string, msg: string): void {
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  process.stdout.write(
    `${sev}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}000 ${String(process.pid).padStart(7)} ${where}] ${msg}\n`,
  );
}

/** Node's TLS error codes in Go's crypto/x509 words. */
function goTlsError(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_SIGNATURE_FAILURE':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: certificate is valid for other names, not this one`;
    case 'ECONNREFUSED':
      return `dial tcp: connect: connection refused`;
    default:
      return e.message;
  }
}

/** The token as client-go's cached file token source gives it: re-read after its period, or at once after a reset. */
class FileToken {
  #token = '';
  #expires = 0;
  constructor(readonly path: string) {}
  get(): string {
    if (this.#token && Date.now() < this.#expires - TOKEN_LEEWAY_MS) return this.#token;
    const t = (readOr(this.path)?.toString('utf8') ?? '').trim();
    if (t) {
      this.#token = t;
      this.#expires = Date.now() + TOKEN_PERIOD_MS;
    }
    return this.#token;
  }
  /** ResetTokenOlderThan: a 401 makes the next request read the file again. */
  reset(): void {
    this.#expires = 0;
  }
}

/** One call: GET own pod; resolves to `ok`, the HTTP status, or the error in client-go's words. */
function check(url: URL, token: string, agent: https.Agent): Promise<{ ok: boolean; status?: number; probe: string; text: string }> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    const req = https.request(url, { method: 'GET', headers, agent, timeout: 5000 }, (res) => {
      res.resume();
      const probe = `${res.statusCode} ${res.statusMessage ?? ''}`.trim();
      res.on('end', () =>
        resolve(
          res.statusCode === 200
            ? { ok: true, status: 200, probe: 'ok', text: 'ok' }
            : { ok: false, status: res.statusCode, probe, text: res.statusCode === 401 ? 'Unauthorized' : probe },
        ),
      );
    });
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('net/http: request canceled (Client.Timeout exceeded while awaiting headers)'), { code: 'ETIMEDOUT' })),
    );
    req.on('error', (e) => {
      const text = `Get "${url.href}": ${goTlsError(e as NodeJS.ErrnoException)}`;
      resolve({ ok: false, probe: `error: ${text}`, text });
    });
    req.end();
  });
}

function main(): void {
  process.on('SIGTERM', () => process.exit(0));
  const tokenFile = process.env.SA_TOKEN_FILE;
  if (!tokenFile) {
    atomicWrite(health, 'ok\n');
    setInterval(() => atomicWrite(health, 'ok\n'), 60_000);
    return;
  }
  const started = new Date().toISOString();
  // rest.InClusterConfig: the CA file is loaded once, into the transport's TLS config
  const ca = readOr(process.env.SA_CA_FILE);
  if (!ca)
    klog(
      'E',
      'config.go:547',
      `Expected to load root CA config from ${process.env.SA_CA_FILE}, but got err: open ${process.env.SA_CA_FILE}: no such file or directory`,
    );
  const token = new FileToken(tokenFile);
  const api = process.env.KUBE_API ?? 'https://127.0.0.1:6443';
  const url = new URL(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}`, api);
  // client-go keeps one connection to the apiserver (HTTP/2) and makes a new one only when it is
  // cut (an apiserver restart, a timeout): a new CA is met at that reconnection, as here
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca });
  // a readiness probe's failureThreshold (3, Kubernetes' default): not ready until the first
  // success, then ready until 3 checks in a row failed, so one slow answer of a busy apiserver
  // does not flip the pod (a token the apiserver refuses still shows within ~3 intervals)
  let ready = false;
  let failures = 0;
  let lastSuccess: string | null = null;
  let lastError: { at: string; error: string } | null = null;
  let logged = '';
  const loop = async () => {
    const r = await check(url, token.get(), agent);
    const now = new Date().toISOString();
    if (r.ok) {
      [ready, failures, lastSuccess] = [true, 0, now];
      if (logged) klog('I', 'reflector.go:376', `Caches populated for *v1.Pod from pkg/mod/k8s.io/client-go/tools/cache/reflector.go:251`);
      logged = '';
    } else {
      if (r.status === 401) token.reset();
      if (++failures >= FAILURE_THRESHOLD) ready = false;
      lastError = { at: now, error: r.text };
      if (r.text !== logged)
        klog(
          'E',
          'reflector.go:158',
          `"Unhandled Error" err="pkg/mod/k8s.io/client-go/tools/cache/reflector.go:251: Failed to watch *v1.Pod: failed to list *v1.Pod: ${r.text}"`,
        );
      logged = r.text;
    }
    atomicWrite(health, (ready ? 'ok' : r.probe) + '\n');
    atomicWrite(report, JSON.stringify({ started, lastSuccess, lastError }) + '\n');
    setTimeout(loop, intervalMs);
  };
  void loop();
}

main();
