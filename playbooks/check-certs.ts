/** `check-certs`: read-only certificate expiry across the fleet (host, file, expires, days left, CA fingerprint). */
import { definePlaybook, type HostPhase } from '../lib/core/types.js';
import { daysLeft } from '../lib/doctor/diagnose.js';
import { type Collected, gatherPlaybook } from '../lib/doctor/gather.js';

/** One table row per certificate or kubeconfig, logged per host; changes nothing. */
export default definePlaybook({
  name: 'check-certs',
  description: 'Read-only: expiry of every certificate and kubeconfig (host, file, expires, days left, CA fingerprint)',
  destructive: false,
  readOnly: true,
  phases: (() => {
    const c: Collected = { hosts: new Map(), caPems: new Map(), etcd: null, api: 'unreachable' };
    const [cas, hosts] = gatherPlaybook(c).phases as HostPhase[];
    return [
      { ...cas!, id: 'certs/cas' },
      {
        ...hosts!,
        id: 'certs/expiry',
        title: 'Certificate expiry',
        async run(h) {
          await hosts!.run(h);
          const now = new Date().toISOString();
          for (const x of c.hosts.get(h.host.name)?.files ?? []) {
            if (x.chain === 'absent') continue;
            h.log(`${h.host.name}  ${x.path}  ${x.expires ?? '-'}  ${x.expires ? `${daysLeft(x.expires, now)}d` : '-'}  ${x.chain === 'ok' ? x.ca : '-'}`);
          }
        },
      },
    ];
  })(),
});
