/**
 * Durations as Go's time.ParseDuration reads them (what kubectl users type: `30s`, `1m30s`,
 * `1.5h`, `500ms`): a sequence of decimal numbers, each with a unit (ns, us, µs, ms, s, m, h).
 */

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Milliseconds of a Go duration (`1m30s` -> 90000; sub-millisecond totals round up to 1); undefined when malformed, negative or zero. */
export function parseDuration(s: string): number | undefined {
  const text = s.trim();
  if (!text || text.length > 64) return undefined;
  let ms = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== at) return undefined;
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  return Math.max(1, Math.round(ms));
}

/** What a duration looks like, for error messages. */
export const DURATION_FORMS = 'a duration like 30s, 1m30s, 2m, 1.5h or 500ms';
