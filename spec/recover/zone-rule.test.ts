/**
 * The zone rule's trap, shown by its absence (recovery-procedure.md): on a 3 + 2 lab cluster (net 83),
 * the article's pki-wipe repaired with the early eviction pause skipped (eviction paused only during
 * step 13, as before), and the run frozen 55 s when step 11 starts (SLOW_STEP_11). With the masters
 * back and the workers not yet, 40% of the nodes are NotReady, under the 55% that would stop the node
 * lifecycle controller, so it taints the workers and evicts their pods (apps/static): the proof must
 * say so. spec/recover/recover.test.ts runs the same break with the pause, where nothing is evicted.
 * Its own lab, so that it runs beside recover.test.ts.
 */
import test from 'ava';
import { downSharedLab, requireRoot, sharedLab } from '../helpers/lab.js';
import { SLOW_STEP_11, assertKeyType, labOf, recover, status } from './recover-lab.js';

const LAB = labOf(83);

test.serial(
  "the same pki-wipe without the early eviction pause (eviction paused only during step 13, as before): the zone rule evicts the workers' pods while steps 10-12 run, and the proof says so",
  async (t) => {
    if (!requireRoot(t)) return;
    const lab = await sharedLab(LAB);
    const before = await status(lab);
    t.true(before.healthy, before.problems.join('; '));
    const statics = Object.keys(before.workloads).filter((id) => id.startsWith('apps/static-'));
    t.is(statics.length, 2);
    t.is((await lab.lab(['break', 'pki-wipe'])).code, 0);
    const r = await recover(lab, { extra: ['--skip', 'eviction/pause-first', '--skip', 'eviction/pause-joined'], freeze: SLOW_STEP_11 });
    t.is(r.code, 1, 'the proof of health fails');
    await assertKeyType(t, lab, 'EC'); // the lab's ECDSA-P256 (spec/helpers/lab.ts), kept through the full rebuild
    t.regex(r.out, /^FAIL  pods restarted only for in-cluster credentials\s+.*apps\/static-\S+ \(gone\)/m, r.out.slice(-3000));
    const kcm = (
      await Promise.all(
        ['m1', 'm2', 'm3'].map((m) =>
          lab.exec(m, ['sh', '-c', 'cat /var/log/pods/kube-system_kube-controller-manager-*/kube-controller-manager/*.log 2>/dev/null']),
        ),
      )
    )
      .map((x) => x.stdout)
      .join('\n');
    t.regex(kcm, /evicting pod apps\/static-\S+ from node w\d \(taint-based eviction\)/, 'the node lifecycle controller evicted them');
    const s = await status(lab);
    for (const id of statics) t.false(id in s.workloads, `${id} was evicted`);
    // its controller made them again once the workers were back: the cluster is whole again
    t.true(s.healthy, s.problems.join('; '));
    t.is(Object.keys(s.workloads).filter((id) => id.startsWith('apps/static-')).length, 2);
  },
);

// the lab is taken down when the file is done (KEEP_LAB=1 keeps it, to read its logs)
test.after.always(async () => {
  await downSharedLab(LAB);
});
