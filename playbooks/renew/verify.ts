/** renew/verify (read-only): on each renewed master every leaf has a new serial and a later notAfter, every CA is the same. */
import { masters } from '../../lib/core/hosts.js';
import type { HostPhase } from '../../lib/core/types.js';
import { compareRenewal, masterCerts } from './certs.js';
import { type RenewOptions, renewState } from './options.js';

/** The phase. */
export const renewVerifyPhase: HostPhase<RenewOptions> = {
  id: 'renew/verify',
  title: 'Check: every leaf certificate renewed (new serial, later notAfter), every CA unchanged (fingerprint)',
  hosts: masters,
  strategy: { kind: 'parallel' },
  rerunOnResume: true,
  async run(h) {
    const before = renewState(h).before[h.host.name] ?? [];
    // a dry run renews nothing: the comparison is planned, not made
    await h.wet(
      `check ${before.length} certificates against those read before the renewal`,
      async () => {
        const after = await h.fact(masterCerts('after'));
        const problems = compareRenewal(before, after);
        if (problems.length) throw new Error(`renewal check: ${problems.join('; ')}`);
        const leaves = after.filter((c) => c.kind === 'leaf');
        const until = leaves.map((c) => c.notAfter).sort()[0];
        h.log(`${leaves.length} certificates renewed${until ? ` (valid until ${until} at least)` : ''}, ${after.length - leaves.length} CAs unchanged`);
      },
      undefined,
    );
  },
};
