#!/usr/bin/env node
// `scripts/bench recover`: the recovery's wall time on a 3 + 50 lab against spec/lab/solve-by-hand.sh,
// and the rolling rejoin's time per batch size. Guarded: needs the `recover` playbook registered.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const list = spawnSync('node', [join(ROOT, 'dist/lib/cli/main.js'), 'playbooks'], { encoding: 'utf8' });
if (!/^recover\b/m.test(list.stdout ?? '')) {
  process.stderr.write('scripts/bench recover: the recover playbook is not registered in playbooks/index.ts yet (playbooks/recover.ts is being finished); nothing measured\n');
  process.exit(2);
}
if (!existsSync(join(ROOT, 'spec/lab/solve-by-hand.sh'))) process.stderr.write('scripts/bench recover: spec/lab/solve-by-hand.sh is missing: no by-hand baseline\n');
// Not written yet: up a 3+50 cluster lab, `scripts/lab break pki-wipe`, time `kubemend run recover
// --batch-size B` (phase times from the journal's phase-start/phase-end) for B in 1,5,10,25,50, and
// spec/lab/solve-by-hand.sh DIR on a fresh break. See docs/benchmarks.md.
process.stderr.write('scripts/bench recover: the recover playbook is registered, but this measurement is not written yet (docs/benchmarks.md)\n');
process.exit(2);
