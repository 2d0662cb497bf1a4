/** Phase selection by hierarchical id (`--only`, `--skip`, `--from`): `etcd` matches `etcd/certs`. */
import { UsageError } from './errors.js';
import type { Selection } from './events.js';

/** True when `id` is `pattern` or one of its sub-ids. */
export function matchesId(id: string, pattern: string): boolean {
  const p = pattern.replace(/\/+$/, '');
  return id === p || id.startsWith(p + '/');
}

/**
 * For each phase id, whether it runs and why not. Throws UsageError for a pattern that matches
 * nothing, a selection that selects no phase, or `--skip` of a guard. `guards` are safety checks
 * (a phase's `guard: true`, e.g. recover's `facts/shape`) that `--only` and `--from` cannot leave
 * out: they run whatever the selection, so a partial run still refuses what the playbook must not
 * act on.
 */
export function selectPhases(ids: readonly string[], sel: Selection, guards: readonly string[] = []): Map<string, { run: boolean; reason?: string }> {
  const check = (flag: string, patterns: readonly string[] | undefined) => {
    for (const p of patterns ?? []) {
      if (!ids.some((id) => matchesId(id, p))) {
        throw new UsageError(`${flag} ${p}: no phase has this id; phases: ${ids.join(', ')}`);
      }
    }
  };
  check('--only', sel.only);
  check('--skip', sel.skip);
  check('--from', sel.from ? [sel.from] : undefined);
  for (const g of guards) {
    const p = sel.skip?.find((x) => matchesId(g, x));
    if (p)
      throw new UsageError(`--skip ${p}: ${g} is a safety check that always runs (it refuses a cluster this playbook must not act on); it cannot be skipped`);
  }
  const out = new Map<string, { run: boolean; reason?: string }>();
  let reached = !sel.from;
  for (const id of ids) {
    if (!reached && sel.from && matchesId(id, sel.from)) reached = true;
    if (!reached) out.set(id, { run: false, reason: `before --from ${sel.from}` });
    else if (sel.only?.length && !sel.only.some((p) => matchesId(id, p))) out.set(id, { run: false, reason: 'not in --only' });
    else if (sel.skip?.some((p) => matchesId(id, p))) out.set(id, { run: false, reason: '--skip' });
    else out.set(id, { run: true });
  }
  if (ids.length && ![...out.values()].some((x) => x.run)) {
    const given = [sel.from && `--from ${sel.from}`, sel.only?.length && `--only ${sel.only.join(',')}`, sel.skip?.length && `--skip ${sel.skip.join(',')}`]
      .filter(Boolean)
      .join(' ');
    throw new UsageError(`${given}: selects no phase; phases in order: ${ids.join(', ')}`);
  }
  for (const g of guards) if (out.has(g)) out.set(g, { run: true });
  return out;
}

/** selectPhases over a playbook's phases, with their guards (`guard: true`) always run. */
export function selectPlaybookPhases(phases: ReadonlyArray<{ id: string; guard?: boolean }>, sel: Selection): Map<string, { run: boolean; reason?: string }> {
  return selectPhases(
    phases.map((p) => p.id),
    sel,
    phases.filter((p) => p.guard).map((p) => p.id),
  );
}
