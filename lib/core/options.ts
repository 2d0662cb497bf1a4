/**
 * Playbook options: a zod object schema whose keys become CLI flags (`batchSize` ->
 * `--batch-size <value>`, booleans without a value); values are validated by the schema.
 */
import { z } from 'zod';
import { UsageError } from './errors.js';
import type { CountOrPercent } from './types.js';

const PERCENT = /^(\d+(?:\.\d+)?)%$/;
/** The number of a percentage string (NaN when it is not one: the regex check reports that). */
const percentOf = (s: string) => Number(PERCENT.exec(s)?.[1] ?? NaN);

/** A count or percentage option accepting CLI strings; `min` is the smallest count (a percentage must then be above 0), percentages at most 100%. */
function countOrPercentOf(min: 0 | 1) {
  return z.preprocess(
    (v) => (typeof v === 'string' ? (/^\d+$/.test(v) ? Number(v) : v) : v),
    z.union([
      z
        .number()
        .int(`a whole number >= ${min} or a percentage like 25%`)
        .min(min, min ? 'must be at least 1 (or a percentage above 0%)' : 'must not be negative'),
      z
        .string()
        .regex(PERCENT, `a whole number >= ${min} or a percentage like 25%`)
        .refine((s) => !(percentOf(s) > 100), 'a percentage cannot exceed 100%')
        .refine((s) => !min || !(percentOf(s) <= 0), 'must be above 0%'),
    ]),
  ) as unknown as z.ZodType<CountOrPercent>;
}

/** A count or percentage option (`3`, `'25%'`): 0 or more, at most 100% (failure budgets). */
export const countOrPercent = countOrPercentOf(0);

/** A count or percentage that must select at least one host (`1`, `'25%'`; not 0, not 0%, at most 100%): batch sizes. */
export const positiveCountOrPercent = countOrPercentOf(1);

/** One CLI flag derived from a schema key. */
export interface OptionFlag {
  key: string;
  flag: string;
  description: string;
  boolean: boolean;
  defaultValue?: unknown;
}

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** The part of a zod 4 schema these walks read: its definition (wrappers hold innerType, a pipe in/out) and its description. */
type SchemaNode = { description?: string; def?: { type: string; innerType?: SchemaNode; in?: SchemaNode; out?: SchemaNode; defaultValue?: unknown } };

/** The type under a schema's wrappers (optional, default, nullable, prefault, pipe): 'boolean', 'number', ... */
function baseType(t: SchemaNode | undefined): string {
  let cur = t;
  for (let i = 0; i < 10 && cur?.def; i++) {
    const ty = cur.def.type;
    if (ty === 'optional' || ty === 'default' || ty === 'nullable' || ty === 'prefault') cur = cur.def.innerType;
    else if (ty === 'pipe') cur = cur.def.out ?? cur.def.in;
    else return ty;
  }
  return 'unknown';
}

/** The default a schema's `.default()` gives, if any. */
function defaultOf(t: SchemaNode | undefined): unknown {
  let cur = t;
  for (let i = 0; i < 10 && cur?.def; i++) {
    if (cur.def.type === 'default') return typeof cur.def.defaultValue === 'function' ? cur.def.defaultValue() : cur.def.defaultValue;
    cur = cur.def.innerType;
  }
  return undefined;
}

/** The CLI flags of a playbook options schema. */
export function optionFlags(schema: z.ZodObject | undefined): OptionFlag[] {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([key, t]: [string, SchemaNode]) => ({
    key,
    flag: `--${kebab(key)}`,
    description: t.description ?? '',
    boolean: baseType(t) === 'boolean',
    defaultValue: defaultOf(t),
  }));
}

/** Validate raw option values (strings from the CLI or values from a journal); UsageError on bad input. */
export function parseOptions<O>(schema: z.ZodObject | undefined, raw: Record<string, unknown>, playbook: string): O {
  if (!schema) {
    const extra = Object.keys(raw).filter((k) => raw[k] !== undefined);
    if (extra.length)
      throw new UsageError(
        `playbook ${playbook} takes no options (got ${extra
          .map(kebab)
          .map((k) => '--' + k)
          .join(', ')})`,
      );
    return {} as O;
  }
  const flags = new Map(optionFlags(schema).map((f) => [f.key, f]));
  const input: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    const f = flags.get(k);
    if (!f) throw new UsageError(`playbook ${playbook} has no option --${kebab(k)}`);
    const ty = baseType(schema.shape[k]);
    input[k] = typeof v === 'string' && ty === 'number' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  }
  const r = schema.safeParse(input);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `--${kebab(String(i.path[0] ?? ''))}: ${i.message}`).join('; ');
    throw new UsageError(`playbook ${playbook} options: ${msg}`);
  }
  return r.data as O;
}
