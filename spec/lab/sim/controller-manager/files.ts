/** The files kube-controller-manager reads once at start: signing CA, root CA, sa.key. */
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Context } from './context.js';
import type { Options } from './options.js';

function read(what: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Read the files the controller-manager uses, once, as the real one does at start. */
export function loadFiles(o: Options): Pick<Context, 'signingCA' | 'rootCA' | 'saKey'> {
  const out: Pick<Context, 'signingCA' | 'rootCA' | 'saKey'> = {};
  if (o.clusterSigningCertFile || o.clusterSigningKeyFile) {
    if (!o.clusterSigningCertFile || !o.clusterSigningKeyFile)
      throw new Error('cluster signing: both --cluster-signing-cert-file and --cluster-signing-key-file are needed');
    const certPem = read('cluster signing cert', o.clusterSigningCertFile);
    const keyPem = read('cluster signing key', o.clusterSigningKeyFile);
    const certPub = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
    const keyPub = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
    if (!certPub.equals(keyPub))
      throw new Error(`cluster signing: ${o.clusterSigningKeyFile}: tls: private key does not match public key of ${o.clusterSigningCertFile}`);
    out.signingCA = { certPem, keyPem };
  }
  if (o.rootCaFile) out.rootCA = read('root CA file', o.rootCaFile);
  if (o.serviceAccountPrivateKeyFile) out.saKey = createPrivateKey(read('service account private key', o.serviceAccountPrivateKeyFile));
  return out;
}
