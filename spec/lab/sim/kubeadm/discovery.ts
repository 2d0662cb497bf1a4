/**
 * Token discovery as kubeadm's discovery/token: fetch `kube-public/cluster-info` without trusting
 * the server, wait for the JWS signature of our token id, verify it, then verify the CA pin.
 */
import YAML from 'yaml';
import * as pki from '../pki.js';
import { Api, sleep } from './api.js';
import type { Discovery } from './config.js';
import { detachedTokenIsValid } from './jws.js';
import { parseToken } from './tokens.js';

/** What discovery learns: the endpoint to use and the CA to trust. */
export interface DiscoveryResult {
  server: string;
  caPem: string;
  clusterName: string;
}

/** Run token discovery against `d.apiServerEndpoint`; throws kubeadm's errors. */
export async function discover(d: Discovery): Promise<DiscoveryResult> {
  if (!d.apiServerEndpoint) throw new Error('discovery.bootstrapToken.apiServerEndpoint: Invalid value: "": the API server endpoint is required');
  if (!d.token) throw new Error('discovery.bootstrapToken.token: Invalid value: "": the bootstrap token is invalid');
  if (!d.unsafeSkipCAVerification && d.caCertHashes.length === 0) {
    throw new Error(
      'discovery.bootstrapToken: Invalid value: "": using token-based discovery without caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue',
    );
  }
  for (const h of d.caCertHashes) {
    if (!/^sha256:[0-9a-f]{64}$/i.test(h)) throw new Error(`invalid hash "${h}", expected "format:hex-value". Known format(s) are: sha256`);
  }
  const token = parseToken(d.token);
  const endpoint = `https://${d.apiServerEndpoint}`;
  const insecure = Api.fromCreds({ server: endpoint, insecure: true });
  const deadline = Date.now() + d.timeoutMs;
  let lastErr: Error | undefined;
  let cm: any;
  try {
    for (;;) {
      try {
        const r = await insecure.req('GET', '/api/v1/namespaces/kube-public/configmaps/cluster-info');
        if (r.status === 200) {
          if (r.body?.data?.[`jws-kubeconfig-${token.id}`]) {
            cm = r.body;
            break;
          }
          lastErr = new Error(`could not find a JWS signature in the cluster-info ConfigMap for token ID "${token.id}"`);
        } else {
          lastErr = new Error(r.body?.message ?? `configmaps "cluster-info" is forbidden: HTTP ${r.status}`);
        }
      } catch (e) {
        lastErr = e as Error;
      }
      if (Date.now() > deadline) throw new Error(`couldn't validate the identity of the API Server: ${lastErr?.message}`);
      await sleep(Math.min(2000, Math.max(100, deadline - Date.now())));
    }
  } finally {
    insecure.close();
  }
  const kubeconfigText: string = cm.data.kubeconfig ?? '';
  if (!kubeconfigText) throw new Error(`couldn't validate the identity of the API Server: there is no kubeconfig key in the cluster-info ConfigMap`);
  if (!detachedTokenIsValid(cm.data[`jws-kubeconfig-${token.id}`], kubeconfigText, token.id, token.secret)) {
    throw new Error(
      `couldn't validate the identity of the API Server: failed to verify JWS signature of received cluster info object, can't trust this API Server`,
    );
  }
  const kc = YAML.parse(kubeconfigText);
  const cluster = kc?.clusters?.[0]?.cluster ?? {};
  const caPem = Buffer.from(cluster['certificate-authority-data'] ?? '', 'base64').toString('utf8');
  if (!d.unsafeSkipCAVerification) {
    let hash = '';
    try {
      hash = pki.caPinHash(caPem);
    } catch (e) {
      throw new Error(`couldn't validate the identity of the API Server: failed to parse certificate: ${(e as Error).message}`);
    }
    if (!d.caCertHashes.map((h) => h.toLowerCase()).includes(hash)) {
      throw new Error(
        `couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${hash}" are pinned`,
      );
    }
  }
  // second fetch, now trusting the pinned CA, must give the same kubeconfig; retried until the
  // same deadline as the first (kubeadm's getClusterInfo polls both), so a busy apiserver is waited for
  const secure = Api.fromCreds({ server: endpoint, ca: Buffer.from(caPem) });
  try {
    for (;;) {
      let r;
      try {
        r = await secure.req('GET', '/api/v1/namespaces/kube-public/configmaps/cluster-info');
        if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`couldn't validate the identity of the API Server: ${(e as Error).message}`);
        await sleep(Math.min(2000, Math.max(100, deadline - Date.now())));
        continue;
      }
      if (r.body?.data?.kubeconfig !== kubeconfigText) {
        throw new Error(`couldn't validate the identity of the API Server: the second kubeconfig from the cluster-info ConfigMap did not match the first`);
      }
      break;
    }
  } finally {
    secure.close();
  }
  return { server: cluster.server ?? endpoint, caPem, clusterName: kc?.clusters?.[0]?.name || 'kubernetes' };
}
