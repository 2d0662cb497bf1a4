/**
 * The secure health endpoint the real kube-controller-manager (10257) and kube-scheduler (10259)
 * serve on `--bind-address:--secure-port`, with an in-memory self-signed cert as when no
 * `--tls-cert-file` is given: /healthz, /livez, /readyz answer `ok` to anyone; every other path is
 * 403 for anonymous. `--secure-port=0` turns it off; a port in use fails the start, as real.
 */
import https from 'node:https';
import { newCA } from '../pki.js';
import type { Logger } from './log.js';
import type { Flags } from './flags.js';

const OPEN = new Set(['/healthz', '/livez', '/readyz']);

/** Start the health endpoint from `--bind-address`/`--secure-port` (default port given); resolves once listening. */
export async function serveHealth(flags: Flags, defaultPort: number, log: Logger): Promise<https.Server | undefined> {
  const port = Number(flags.get('secure-port') ?? defaultPort);
  if (!port) return undefined;
  const bind = flags.get('bind-address') ?? '0.0.0.0';
  const self = await newCA(`localhost@${Math.floor(Date.now() / 1000)}`);
  const server = https.createServer({ cert: self.certPem, key: self.keyPem }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (OPEN.has(path) && req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }).end('ok');
      return;
    }
    const body = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `forbidden: User "system:anonymous" cannot get path "${path}"`,
      reason: 'Forbidden',
      details: {},
      code: 403,
    };
    res.writeHead(403, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`failed to create listener: failed to listen on ${bind}:${port}: ${(e as Error).message}`)));
    server.listen(port, bind, () => resolve());
  });
  log.info(`Serving securely on ${bind}:${port}`);
  return server;
}
