/**
 * The kubelet's HTTPS endpoint (port 10250) and its serving certificate: with
 * serverTLSBootstrap a `kubernetes.io/kubelet-serving` CSR (CN system:node:<name>, O system:nodes,
 * SANs = host name + InternalIP) that stays Pending until someone approves it, then
 * kubelet-server-current.pem; without it a self-signed kubelet.crt/kubelet.key. Also the
 * plain-HTTP healthz endpoint (127.0.0.1:10248).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { KubeClient } from '../kubeclient.js';
import { certValidNow, csrUsages, firstCertPem, keyMatchesCert, makeCSR, newKey, selfSignedServing } from './certs.js';
import { requestCertificate, storeCert } from './bootstrap.js';
import * as log from './log.js';

/** The serving side of the kubelet. */
export class Serving {
  server?: https.Server;
  healthz?: http.Server;
  #requesting = false;
  #lastTry = 0;
  constructor(
    readonly o: {
      certDir: string;
      node: string;
      ip: string;
      port: number;
      address: string;
      healthzPort: number;
      healthzBind: string;
      tlsBootstrap: boolean;
      certFile?: string;
      keyFile?: string;
    },
  ) {}

  /** The current serving cert+key: the bootstrapped one, the configured files, or the self-signed one (made if missing). */
  async current(): Promise<{ cert: string; key: string; source: string } | undefined> {
    const cur = join(this.o.certDir, 'kubelet-server-current.pem');
    if (this.o.tlsBootstrap) {
      // as real: no serving cert until the kubelet-serving CSR is signed (TLS handshakes fail meanwhile)
      const pem = existsSync(cur) ? readFileSync(cur, 'utf8') : '';
      return certValidNow(pem) && keyMatchesCert(pem) ? { cert: firstCertPem(pem)!, key: pem, source: cur } : undefined;
    }
    if (this.o.certFile && this.o.keyFile)
      return { cert: readFileSync(this.o.certFile, 'utf8'), key: readFileSync(this.o.keyFile, 'utf8'), source: this.o.certFile };
    const crt = join(this.o.certDir, 'kubelet.crt');
    const key = join(this.o.certDir, 'kubelet.key');
    if (!existsSync(crt) || !existsSync(key) || !certValidNow(readFileSync(crt))) {
      const made = await selfSignedServing(this.o.node, this.o.ip);
      mkdirSync(this.o.certDir, { recursive: true });
      writeFileSync(crt, made.certPem, { mode: 0o644 });
      writeFileSync(key, made.keyPem, { mode: 0o600 });
    }
    return { cert: readFileSync(crt, 'utf8'), key: readFileSync(key, 'utf8'), source: crt };
  }

  /** Listen on the kubelet port (fails like the real one when the port is taken) and the healthz port. */
  async listen(): Promise<void> {
    const c = await this.current();
    this.server = https.createServer(c ? { cert: c.cert, key: c.key } : {}, (_req, res) => {
      res.writeHead(401, { 'Content-Type': 'text/plain' }).end('Unauthorized');
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', (e) =>
        reject(
          new Error(
            `failed to listen on ${this.o.address}:${this.o.port}: listen tcp ${this.o.address}:${this.o.port}: bind: ${(e as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'address already in use' : (e as Error).message}`,
          ),
        ),
      );
      this.server!.listen(this.o.port, this.o.address, () => resolve());
    });
    log.info('server.go:163', 'Starting to listen', { address: this.o.address, port: this.o.port });
    if (this.o.healthzPort > 0) {
      this.healthz = http.createServer((req, res) =>
        res.writeHead(req.url === '/healthz' ? 200 : 404, { 'Content-Type': 'text/plain' }).end(req.url === '/healthz' ? 'ok' : '404 page not found'),
      );
      await new Promise<void>((resolve, reject) => {
        this.healthz!.once('error', reject);
        this.healthz!.listen(this.o.healthzPort, this.o.healthzBind, () => resolve());
      }).catch((e) => log.error('server.go:206', 'Failed to start healthz server', { err: log.errMsg(e) }));
    }
  }

  /** Reload the serving cert into the listening server (new TLS connections get it). */
  async reload(): Promise<void> {
    const c = await this.current();
    if (c) this.server?.setSecureContext({ cert: c.cert, key: c.key });
  }

  /**
   * With serverTLSBootstrap and no valid serving cert: request one (in the background; the CSR
   * waits for approval) and install it when signed. Safe to call every heartbeat.
   */
  maybeRequest(client: KubeClient, stopping: () => boolean): void {
    if (!this.o.tlsBootstrap || this.#requesting || Date.now() - this.#lastTry < 30_000) return;
    const cur = join(this.o.certDir, 'kubelet-server-current.pem');
    if (existsSync(cur) && certValidNow(readFileSync(cur))) return;
    this.#requesting = true;
    this.#lastTry = Date.now();
    void (async () => {
      try {
        const key = await newKey();
        const cn = `system:node:${this.o.node}`;
        const pem = await makeCSR(key, cn, ['system:nodes'], [this.o.node], [this.o.ip]);
        const name = 'csr-' + [...randomBytes(5)].map((b) => 'bcdfghjklmnpqrstvwxz2456789'[b % 27]).join('');
        log.info('certificate_manager.go:356', 'Rotating certificates', { logger: 'kubernetes.io/kubelet-serving' });
        const cert = await requestCertificate(
          client,
          { name, pem, signerName: 'kubernetes.io/kubelet-serving', usages: csrUsages(key, 'server auth') },
          2000,
          stopping,
        );
        storeCert(this.o.certDir, 'kubelet-server', cert, key.pem);
        await this.reload();
        log.info('certificate_manager.go:605', 'Certificate rotation detected, shutting down client connections to start using new credentials', {
          logger: 'kubernetes.io/kubelet-serving',
        });
      } catch (e) {
        log.error('certificate_manager.go:562', 'Failed while requesting a signed certificate from the control plane', {
          err: log.errMsg(e),
          logger: 'kubernetes.io/kubelet-serving',
        });
      } finally {
        this.#requesting = false;
      }
    })();
  }

  /** Stop listening. */
  close(): void {
    this.server?.close();
    this.healthz?.close();
  }
}
