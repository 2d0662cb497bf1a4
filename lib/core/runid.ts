/** Run ids: sortable by time and short enough to type (`20261129-052000-a1b2`). */
import { randomBytes } from 'node:crypto';

/** A new run id for a run starting now. */
export function newRunId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const d = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${d}-${randomBytes(2).toString('hex')}`;
}
