/** `facts`: a read-only playbook: what each host says about itself (hostname, kubelet, cluster CA). */
import { allHosts } from '../lib/core/hosts.js';
import { certFingerprint, hostname, serviceActive } from '../lib/core/facts.js';
import { definePlaybook } from '../lib/core/types.js';
import { CA_CRT } from '../lib/facts/paths.js';

/** Gather facts from every host; changes nothing. */
export default definePlaybook({
  name: 'facts',
  description: 'Read-only: hostname, kubelet state and the cluster CA fingerprint of every host',
  destructive: false,
  readOnly: true,
  separateEtcd: true, // reads hostname, kubelet and CA on any host
  phases: [
    {
      id: 'facts/host',
      title: 'Gather host facts',
      hosts: allHosts,
      strategy: { kind: 'parallel', maxFailures: '100%' },
      async run(h) {
        const [name, kubelet, ca] = await Promise.all([h.fact(hostname), h.fact(serviceActive('kubelet')), h.fact(certFingerprint(CA_CRT))]);
        h.log(`hostname=${name} kubelet=${kubelet ? 'active' : 'inactive'} ca=${ca ?? 'absent'}`);
        if (name !== h.host.name) h.log(`reports hostname ${name}, inventory says ${h.host.name}`, 'warn');
      },
    },
  ],
});
