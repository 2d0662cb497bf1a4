/** Step 7: first master: certificate key (Secret), upload-certs, join token (Secret), CA pin hash. */
import type { HostContext, HostPhase } from '../../lib/core/types.js';
import { firstMaster } from '../../lib/core/hosts.js';
import { CA_CRT } from '../../lib/facts/paths.js';
import { type RecoverOptions, createToken, kubeadm, onPath, secretLine } from './common.js';

/** sha256 of the CA's SubjectPublicKeyInfo (DER), as kubeadm's --discovery-token-ca-cert-hash wants. */
export async function caCertHash(h: HostContext): Promise<string> {
  return h.capture('ca-cert-hash', async () => {
    const r = await h.read(['sh', '-c', 'openssl x509 -pubkey -noout -in "$1" | openssl pkey -pubin -outform der | openssl dgst -sha256 -hex | sed "s/^.* //"', 'sh', CA_CRT], { what: 'CA public key hash' });
    return `sha256:${r.stdout.trim()}`;
  });
}

/** Step 7. */
export const uploadCertsPhase: HostPhase<RecoverOptions> = {
  id: 'first/upload-certs',
  title: '7. First master: kubeadm certs certificate-key, init phase upload-certs, token create (secrets as placeholders)',
  hosts: firstMaster,
  strategy: { kind: 'serial' },
  rerunOnResume: true,
  shouldRun: onPath('full-rebuild', 'replace-ca'),
  async run(h) {
    const key = await h.capture('certificate-key', async () => secretLine((await h.run(['kubeadm', 'certs', 'certificate-key'], { what: 'kubeadm certs certificate-key' })).stdout, 'certificate-key', `${h.host.name}: kubeadm certs certificate-key`), { secret: true });
    await kubeadm(h, ['init', 'phase', 'upload-certs', '--upload-certs', '--certificate-key', key], 'kubeadm init phase upload-certs');
    await h.capture('cp-join-token', () => createToken(h, '2h'), { secret: true });
    await caCertHash(h);
  },
};
