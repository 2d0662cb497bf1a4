/**
 * Benchmark (not a test): the runner's own overhead per host, with the fake transport
 * answering at once. `npx tsx spec/core/bench-runner.ts [hosts]` prints plan and run times
 * for the hello playbook (1 + 2 steps per host) with the journal on.
 */
import { rmSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openJournal } from '../../lib/core/journal.js';
import { buildPlan } from '../../lib/core/plan.js';
import { runPlaybook } from '../../lib/core/runner.js';
import hello from '../../playbooks/hello.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

const n = Number(process.argv[2] ?? 1000);
const inv = fakeInventory(3, n - 3);
const fake = new FakeTransport().on(/^openssl/, { stdout: '0123456789abcdef0123456789abcdef\n' });
let t = performance.now();
const { plan } = await buildPlan({ playbook: hello, inventory: inv, transport: fake, options: {}, concurrency: 50 });
const planMs = performance.now() - t;
const dir = tempDir(join(tmpdir(), 'km-bench-'));
const j = openJournal(dir);
t = performance.now();
const r = await runPlaybook({ playbook: hello, inventory: inv, transport: fake, options: {}, dryRun: false, concurrency: 50, sinks: [j.sink] });
const runMs = performance.now() - t;
j.close();
rmSync(dir, { recursive: true });
const mem = process.memoryUsage().rss / 2 ** 20;
console.log(
  `hosts=${n} phases=${plan.phases.length} plan=${planMs.toFixed(0)}ms run=${runMs.toFixed(0)}ms (${((runMs * 1000) / n).toFixed(0)}us/host, journal on) exit=${r.exitCode} rss=${mem.toFixed(0)}MiB load=${(await import('node:os')).loadavg()[0].toFixed(1)}`,
);
