/**
 * The lab's simulated kube-apiserver: started by the kubelet as a static pod with kubeadm's real
 * flags; reads its files once at start, stores objects in the real etcd over TLS.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Etcd } from './etcd.js';
import { parseFlags } from './flags.js';
import { loadPublicKeys } from './jwt.js';
import { error, info } from './log.js';
import { createServer } from './server.js';
import { Store } from './store.js';
import { WatchCache } from './cache.js';
import { Rbac } from './rbac.js';
import { runTrustController } from './trust.js';
import { ensureNamespaces } from './bootstrap.js';
import { type Blip, watchBlip } from './blip.js';

function read(flag: string, path: string | undefined): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`--${flag}: ${(e as Error).message}`);
  }
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2));
  info(`Version: v1.32.4 (lab simulation)`);
  if (!f.tlsCertFile || !f.tlsPrivateKeyFile) throw new Error('--tls-cert-file and --tls-private-key-file are required in the lab');
  if (f.etcdServers.length === 0) throw new Error('--etcd-servers must be specified');
  if (f.serviceAccountKeyFiles.length === 0 || f.serviceAccountIssuers.length === 0) {
    throw new Error('service-account-issuer and service-account-key-file are required');
  }
  if (!f.serviceAccountSigningKeyFile) throw new Error('--service-account-signing-key-file and --service-account-issuer are required flags');
  const cert = read('tls-cert-file', f.tlsCertFile)!;
  const key = read('tls-private-key-file', f.tlsPrivateKeyFile)!;
  const clientCA = read('client-ca-file', f.clientCaFile);
  const requestHeaderCA = read('requestheader-client-ca-file', f.requestheaderClientCaFile);
  const etcd = new Etcd(f.etcdServers, {
    ca: read('etcd-cafile', f.etcdCafile),
    cert: read('etcd-certfile', f.etcdCertfile),
    key: read('etcd-keyfile', f.etcdKeyfile),
  });
  // every key of every --service-account-key-file verifies tokens; the signing key issues TokenRequests
  const saKeys = loadPublicKeys(f.serviceAccountKeyFiles);
  const signingKey = createPrivateKey(read('service-account-signing-key-file', f.serviceAccountSigningKeyFile)!);
  const cache = new WatchCache(etcd);
  const store = new Store(etcd, cache);
  const enableBootstrap = f.enableBootstrapTokenAuth;
  let blip: Blip | undefined; // the lab's fault apiserver-blip (blip.ts)
  const rbac = new Rbac(store);
  const server = createServer({
    unavailable: () => blip?.unavailable() ?? false,
    cert,
    key,
    clientCA,
    store,
    rbac,
    serverAddress: `${f.advertiseAddress ?? f.bindAddress}:${f.securePort}`,
    authn: { saKeys, issuers: f.serviceAccountIssuers, audiences: f.apiAudiences, bootstrapTokens: enableBootstrap, anonymous: f.anonymousAuth },
    issuer: {
      key: signingKey,
      issuer: f.serviceAccountIssuers[0],
      audiences: f.apiAudiences,
      extendExpiration: f.serviceAccountExtendTokenExpiration,
      maxExpirationSeconds: f.serviceAccountMaxTokenExpirationSeconds,
    },
  });
  const host = f.bindAddress;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new Error(`listen on ${f.bindAddress}:${f.securePort}: ${e.message}`)));
      server.listen(f.securePort, host, () => resolve());
    });
  await listen();
  info(`Serving securely on ${f.bindAddress}:${f.securePort}`);
  blip = watchBlip(server, listen);
  ensureNamespaces(store);
  const stopTrust = runTrustController(
    store,
    {
      clientCA: clientCA?.toString('utf8'),
      requestHeaderCA: requestHeaderCA?.toString('utf8'),
      requestHeaderAllowedNames: f.requestheaderAllowedNames,
      requestHeaderUsernameHeaders: f.requestheaderUsernameHeaders,
      requestHeaderGroupHeaders: f.requestheaderGroupHeaders,
      requestHeaderExtraHeaderPrefixes: f.requestheaderExtraHeadersPrefix,
    },
    f.labTrustSyncSeconds,
  );
  const shutdown = (sig: string) => {
    info(`received ${sig}, shutting down`);
    stopTrust();
    rbac.close();
    cache.close();
    server.close();
    server.closeAllConnections?.();
    etcd.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((e) => {
  error(`kube-apiserver: ${(e as Error).message}`);
  process.exit(1);
});
