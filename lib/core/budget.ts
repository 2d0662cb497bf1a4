/** Counts given as a number or a percentage of a total (`5`, `'25%'`), as Ansible and k0sctl take them. */
import type { CountOrPercent } from './types.js';

/** Resolve `v` against `total`: percentages round up for sizes (at least `min`), down for budgets when `floor`. */
export function resolveCount(v: CountOrPercent | undefined, total: number, fallback: number, opts: { floor?: boolean; min?: number } = {}): number {
  if (v === undefined) return fallback;
  let n: number;
  if (typeof v === 'number') n = v;
  else {
    const m = /^(\d+(?:\.\d+)?)%$/.exec(v);
    if (!m) throw new Error(`not a count or percentage: ${JSON.stringify(v)}`);
    const exact = (Number(m[1]) * total) / 100;
    n = opts.floor ? Math.floor(exact) : Math.ceil(exact);
  }
  if (!Number.isFinite(n) || n < 0) throw new Error(`not a count or percentage: ${JSON.stringify(v)}`);
  return Math.max(Math.floor(n), opts.min ?? 0);
}

/** Parse a CLI value into a count or a percentage (`'3'` -> 3, `'25%'` stays). */
export function parseCountOrPercent(s: string | number): CountOrPercent {
  if (typeof s === 'number') return s;
  if (/^\d+$/.test(s)) return Number(s);
  if (/^\d+(?:\.\d+)?%$/.test(s)) return s as `${number}%`;
  throw new Error(`expected a number or a percentage like 25%, got ${JSON.stringify(s)}`);
}
