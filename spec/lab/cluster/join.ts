/** The join credentials `kubeadm init --upload-certs` prints, parsed once and kept secret. */
import { Secret } from '../../../lib/shell/secret.js';

/** What the other nodes need to join. */
export interface JoinInfo {
  endpoint: string;
  token: Secret;
  caCertHash: string;
  certificateKey: Secret;
}

/** Parses kubeadm init's output; throws (without echoing the output) when a part is missing. */
export function parseInitOutput(out: string): JoinInfo {
  const key = /\[upload-certs\] Using certificate key:\n([0-9a-f]{64})\n/.exec(out)?.[1];
  const join = /kubeadm join (\S+) --token ([a-z0-9]{6}\.[a-z0-9]{16}) \\\n\s*--discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})/.exec(out);
  if (!key || !join) throw new Error(`kubeadm init: its output has no ${key ? 'join command' : 'certificate key'}`);
  return {
    endpoint: join[1],
    token: new Secret('join-token', join[2]),
    caCertHash: join[3],
    certificateKey: new Secret('certificate-key', key),
  };
}
