/**
 * `renew-certs`: back up, then `kubeadm certs renew all` on each selected master one at a time
 * (CAs kept), its control-plane static pods restarted and health-gated, then a check that every
 * leaf was renewed and every CA kept. Workers are skipped (their kubelets rotate their own certs).
 */
import { masters } from '../lib/core/hosts.js';
import { definePlaybook } from '../lib/core/types.js';
import { archivePhase } from './shared/backup.js';
import { renewFactsPhase } from './renew/facts.js';
import { renewHealthPhase } from './renew/health.js';
import { renewMastersPhase } from './renew/master.js';
import { type RenewOptions, renewOptions } from './renew/options.js';
import { renewVerifyPhase } from './renew/verify.js';

/** The playbook. */
export default definePlaybook<RenewOptions>({
  name: 'renew-certs',
  description: 'kubeadm certs renew all on each selected master, one at a time (CA kept), control plane restarted and health-gated',
  destructive: true,
  subset: { roles: ['master'], preselect: 'all' },
  options: renewOptions,
  phases: [
    {
      ...archivePhase<RenewOptions>('Back up /etc/kubernetes and /var/lib/kubelet/pki of each selected master (archived on the host, pulled with sha256)'),
      hosts: masters,
    },
    renewFactsPhase,
    renewMastersPhase,
    renewHealthPhase,
    renewVerifyPhase,
  ],
});
