/** `kubemend plan PLAYBOOK -i INVENTORY [--out plan.json]`: what a run would do, without changing anything. */
import type { Selection } from '../../core/events.js';
import { errorMessage, formatFailures } from '../../core/errors.js';
import { jsonRenderer } from '../../core/log.js';
import { buildPlan, formatPlan, formatPlanSummary } from '../../core/plan.js';
import { writePrivate } from '../../core/private-file.js';
import type { Deps } from '../deps.js';
import { EXIT } from '../exit.js';
import { onInterrupt } from '../interrupt.js';
import { err, out } from '../io.js';
import { prepare } from '../prepare.js';
import { checkOutFile } from '../checks.js';

/** Options of `plan`. */
export interface PlanArgs {
  inventory?: string;
  out?: string;
  concurrency: number;
  logFormat: 'text' | 'json';
  acceptNewHostKeys?: boolean;
  /** Where earlier runs' folders are (a playbook may read them, e.g. recover's saved ClusterConfiguration). */
  stateDir?: string;
  selection: Selection;
  rawOptions: Record<string, unknown>;
}

/** Build the plan (facts run for real, nothing mutating is sent), print it, optionally save it. */
export async function planCommand(deps: Deps, name: string, a: PlanArgs): Promise<number> {
  if (a.out) checkOutFile(a.out, '--out'); // before any host is contacted
  const p = await prepare(deps, { playbook: name, inventory: a.inventory, rawOptions: a.rawOptions, selection: a.selection });
  const transport = deps.createTransport(p.inventory, { acceptNewHostKeys: a.acceptNewHostKeys });
  const intr = onInterrupt(err, 0);
  try {
    const { plan, result } = await buildPlan({
      playbook: p.playbook,
      inventory: p.inventory,
      transport,
      options: p.options,
      hosts: p.hosts,
      selection: p.selection,
      concurrency: a.concurrency,
      stop: intr.stop,
      abort: intr.abort,
      stateDir: a.stateDir,
      sinks: a.logFormat === 'json' ? [jsonRenderer((l) => process.stderr.write(l + '\n'))] : [],
    });
    if (a.out) {
      try {
        writePrivate(a.out, JSON.stringify(plan, null, 2) + '\n');
      } catch (e) {
        throw new Error(`--out ${a.out}: writing the plan: ${errorMessage(e)}`);
      }
      out(formatPlanSummary(plan));
      out(`plan written to ${a.out}`);
    } else out(formatPlan(plan));
    if (result.status === 'interrupted') return EXIT.interrupted;
    if (result.failures.length) {
      const refused = result.failures.some((f) => f.refused);
      err(`${refused ? 'refused' : 'cannot plan every host'}: ${formatFailures(result.failures)}`);
      return refused ? EXIT.usage : EXIT.failed;
    }
    return EXIT.ok;
  } finally {
    intr.dispose();
    await transport.close();
  }
}
