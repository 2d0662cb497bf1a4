/**
 * Which of recover's steps 13-16 run on each repair path, read from the phases themselves (each
 * phase file carries its own condition): workers, serving CSRs and eviction on any path that
 * repairs something; SA tokens and the pod restarts only when the CA and sa.key were made anew.
 */
import test from 'ava';
import recover from '../../playbooks/recover.js';
import { PATH_DECISION, type RecoverPath } from '../../playbooks/recover/common.js';
import { Shared } from '../../lib/core/shared.js';
import type { PhaseContext } from '../../lib/core/types.js';

const STEPS = ['api/pods-before', 'workers/rejoin', 'eviction/restore', 'api/serving-csrs', 'api/sa-tokens', 'api/restart-pods'];

/** The steps whose condition holds when facts/path chose `path`. */
async function running(path: RecoverPath): Promise<string[]> {
  const shared = new Shared();
  shared.set(PATH_DECISION, { path, lost: [], staleWorkers: [], reason: 'test' });
  const ctx = { shared } as unknown as PhaseContext<never>;
  const out: string[] = [];
  for (const id of STEPS) {
    const p = recover.phases.find((x) => x.id === id);
    if (!p) throw new Error(`recover has no phase ${id}`);
    if (!p.shouldRun || (await p.shouldRun(ctx))) out.push(id);
  }
  return out;
}

test('nothing-to-do: none of steps 13-16 runs', async (t) => {
  t.deepEqual(await running('nothing-to-do'), []);
});

test('rebuild-one: workers, eviction and serving CSRs; SA tokens and pods untouched (the CA and sa.key were copied, every token holds)', async (t) => {
  t.deepEqual(await running('rebuild-one'), ['api/pods-before', 'workers/rejoin', 'eviction/restore', 'api/serving-csrs']);
});

test('full-rebuild and replace-ca: every step, SA tokens blanked and pods with credentials restarted', async (t) => {
  t.deepEqual(await running('full-rebuild'), STEPS);
  t.deepEqual(await running('replace-ca'), STEPS);
});

test("the steps run in the procedure's order", (t) => {
  const ids = recover.phases.map((p) => p.id);
  const at = STEPS.map((s) => ids.indexOf(s));
  t.deepEqual(
    [...at].sort((a, b) => a - b),
    at,
  );
  t.true(ids.indexOf('masters/controller-manager') < at[0] && at[at.length - 1] < ids.indexOf('verify'));
});
