/**
 * lab-workload: a pod's process. Every 2 s it reads its own Pod from the apiserver with the
 * service-account token the kubelet gave it at start (SA_TOKEN_FILE, server checked with
 * SA_CA_FILE) and writes `ok`, the HTTP status or the TLS error to
 * /run/lab/workloads/<ns>_<name>.health (once ready, only after 3 failures in a row, as a
 * readiness probe's failureThreshold). Without a token it just stays healthy.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { dirname, join } from 'node:path';
import { paths } from '../paths.js';

const ns = process.env.POD_NAMESPACE ?? 'default';
const name = process.env.POD_NAME ?? 'unknown';
const health = join(paths.workloads, `${ns}_${name}.health`);
const intervalMs = Number(process.env.LAB_WORKLOAD_INTERVAL_MS) || 2000;
/** Failed checks in a row before a ready pod turns unready (a probe's failureThreshold). */
const FAILURE_THRESHOLD = 3;

function write(text: string): void {
  mkdirSync(dirname(health), { recursive: true });
  const tmp = `${health}.${process.pid}.tmp`;
  writeFileSync(tmp, text + '\n');
  renameSync(tmp, health);
}

function readOr(path: string | undefined): Buffer | undefined {
  try {
    return path ? readFileSync(path) : undefined;
  } catch {
    return undefined;
  }
}

/** One check: GET own pod with the token; resolves to `ok` or what went wrong. */
function check(api: string, token: string, ca: Buffer | undefined, agent: https.Agent): Promise<string> {
  const url = new URL(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}`, api);
  return new Promise((resolve) => {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    const req = https.request(url, { method: 'GET', headers, agent, ca, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? 'ok' : `${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve(`error: ${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}`.trim()));
    req.end();
  });
}

function main(): void {
  process.on('SIGTERM', () => process.exit(0));
  const tokenFile = process.env.SA_TOKEN_FILE;
  if (!tokenFile) {
    write('ok');
    setInterval(() => write('ok'), 60_000);
    return;
  }
  const token = (readOr(tokenFile)?.toString('utf8') ?? '').trim();
  const ca = readOr(process.env.SA_CA_FILE);
  const api = process.env.KUBE_API ?? 'https://127.0.0.1:6443';
  const agent = new https.Agent({ keepAlive: false, ca });
  // a readiness probe's failureThreshold (3, Kubernetes' default): not ready until the first
  // success, then ready until 3 checks in a row failed, so one slow answer of a busy apiserver
  // does not flip the pod (a token the apiserver refuses still shows within ~3 intervals)
  let ready = false;
  let failures = 0;
  const loop = async () => {
    const r = await check(api, token, ca, agent);
    if (r === 'ok') [ready, failures] = [true, 0];
    else if (++failures >= FAILURE_THRESHOLD) ready = false;
    write(ready ? 'ok' : r);
    setTimeout(loop, intervalMs);
  };
  void loop();
}

main();
