/** Step 12: first master: a fresh join token (Secret) and the CA pin hash, for the workers' rejoin. */
import type { HostPhase } from '../../lib/core/types.js';
import { firstMaster } from '../../lib/core/hosts.js';
import { type RecoverOptions, createToken, decision } from './common.js';
import { caCertHash } from './07-upload-certs.js';

/** Step 12: captures `join-token` (Secret) and `ca-cert-hash`. */
export const joinTokenPhase: HostPhase<RecoverOptions> = {
  id: 'first/join-token',
  title: '12. First master: a fresh join token (kubeadm token create) and the CA pin hash',
  hosts: firstMaster,
  strategy: { kind: 'serial' },
  rerunOnResume: true,
  shouldRun: (ctx) => decision(ctx).path !== 'nothing-to-do',
  async run(h) {
    await h.capture('join-token', () => createToken(h, '2h'), { secret: true });
    if (!h.has('ca-cert-hash')) await caCertHash(h);
  },
};
