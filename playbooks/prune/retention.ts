/**
 * The retention rule of `kubemend prune`: from a list of run folders (on a host, or on this
 * machine), which are removed and why the others stay. Only folders named like a run id are ever
 * considered; a run this machine knows as unfinished (failed, interrupted, still running) stays
 * unless asked, since its backups may be the way back.
 */
import { parseDuration } from '../../lib/inventory/duration.js';

/** A run id as newRunId makes it: `YYYYMMDD-HHMMSS-xxxx` (UTC). */
export const RUN_ID = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-[0-9a-f]{4}$/;

/** When run `id` started (from its id), or undefined when `id` is not a run id. */
export function runTime(id: string): Date | undefined {
  const m = RUN_ID.exec(id);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && h < 24 && mi < 60 && s < 60 ? t : undefined;
}

/** A retention age: `30d`, `2w`, or a Go duration (`12h`, `90m`); milliseconds, or undefined when malformed. */
export function parseRetention(s: string): number | undefined {
  const m = /^(\d{1,5})(d|w)$/.exec(s.trim());
  if (m) return Number(m[1]) * (m[2] === 'w' ? 7 : 1) * 86_400_000;
  return parseDuration(s);
}

/** What to remove: beyond the `keep` newest, older than `olderThanMs`, and the runs named. */
export interface RetentionRule {
  keep?: number;
  olderThanMs?: number;
  runs?: readonly string[];
  includeUnfinished?: boolean;
}

/** The rule's verdict on one location's run folders (in the order given). */
export interface Verdict<R extends { id: string }> {
  remove: R[];
  keep: Array<R & { why: string }>;
}

/**
 * Apply `rule` to `runs` at time `now`. `status` is what this machine's journals say of a run
 * (`done`, `failed`, `interrupted`, `running`); a run it does not know is judged by the rule alone.
 */
export function retention<R extends { id: string }>(
  runs: readonly R[],
  rule: RetentionRule,
  now: Date,
  status: ReadonlyMap<string, string> = new Map(),
): Verdict<R> {
  const ids = runs
    .map((r) => r.id)
    .filter((id) => runTime(id) !== undefined)
    .sort();
  const newest = new Set(rule.keep === undefined ? [] : ids.slice(Math.max(0, ids.length - rule.keep)));
  const byRule = rule.keep !== undefined || rule.olderThanMs !== undefined;
  const named = new Set(rule.runs ?? []);
  const out: Verdict<R> = { remove: [], keep: [] };
  for (const r of runs) {
    const t = runTime(r.id);
    const keep = (why: string) => out.keep.push({ ...r, why });
    if (!t) {
      keep('not a kubemend run id: left alone');
      continue;
    }
    const st = status.get(r.id);
    const wanted = named.has(r.id) || (byRule && !newest.has(r.id) && (rule.olderThanMs === undefined || now.getTime() - t.getTime() > rule.olderThanMs));
    if (!wanted) {
      if (newest.has(r.id) && !named.has(r.id)) keep(`one of the ${rule.keep} newest`);
      else keep(byRule ? 'younger than --older-than' : 'not named by --runs');
      continue;
    }
    if (st !== undefined && st !== 'done' && !rule.includeUnfinished) {
      keep(`unfinished (${st}): its backups may still be needed; --include-unfinished removes it`);
      continue;
    }
    out.remove.push(r);
  }
  return out;
}
