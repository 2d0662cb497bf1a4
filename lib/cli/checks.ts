/**
 * Checks of what the command line names (host selection, files, folders), made before any host
 * is contacted: a problem is a UsageError (exit 2) that names the option.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';

/** A --limit that was given but names no host (`""`, `" , "`) is an error: it must never mean "every host". */
export function checkLimit(limit: string | undefined, flag = '--limit'): void {
  if (limit === undefined) return;
  if (limit.split(',').every((p) => p.trim() === '')) {
    throw new UsageError(`${flag} ${JSON.stringify(limit)} names no host; give names, globs or groups (${flag} all for every host); nothing was contacted`);
  }
}

const why = (e: unknown) =>
  (e as NodeJS.ErrnoException).code === 'ENOENT'
    ? 'no such file or directory'
    : (e as NodeJS.ErrnoException).code === 'EACCES'
      ? 'permission denied'
      : e instanceof Error
        ? e.message
        : String(e);

/** The closest folder of `p` (itself included) that exists. */
function existingAncestor(p: string): string {
  let cur = resolve(p);
  for (;;) {
    try {
      statSync(cur);
      return cur;
    } catch {
      const up = dirname(cur);
      if (up === cur) return cur;
      cur = up;
    }
  }
}

/** A file a command will write (`--out FILE`): its folder exists and is writable, and it is not a folder itself. */
export function checkOutFile(file: string, flag: string): void {
  const abs = resolve(file);
  try {
    if (statSync(abs).isDirectory()) throw new UsageError(`${flag} ${file}: is a folder; give a file name`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
  }
  const dir = dirname(abs);
  try {
    if (!statSync(dir).isDirectory()) throw new UsageError(`${flag} ${file}: ${dir} is not a folder`);
    accessSync(dir, constants.W_OK);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${flag} ${file}: cannot write in ${dir}: ${why(e)}`);
  }
}

/** A folder a command will create or write in (`--state-dir DIR`): a folder if it exists, else creatable under its closest existing parent. */
export function checkWritableDir(dir: string, flag: string): void {
  const at = existingAncestor(dir);
  let st;
  try {
    st = statSync(at);
  } catch (e) {
    throw new UsageError(`${flag} ${dir}: ${why(e)}`);
  }
  if (!st.isDirectory()) throw new UsageError(`${flag} ${dir}: ${at} is not a folder`);
  try {
    accessSync(at, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new UsageError(`${flag} ${dir}: cannot write in ${at}: ${why(e)}`);
  }
}

/** A reviewed plan (`--plan FILE`, made by `plan --out`): readable JSON of kind kubemend-plan version 1. */
export function readPlanFile(file: string): Plan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--plan ${file}: ${why(e)}`);
  }
  let plan: Plan;
  try {
    plan = JSON.parse(text) as Plan;
  } catch (e) {
    throw new UsageError(`--plan ${file}: not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (plan?.kind !== 'kubemend-plan' || plan.version !== 1) {
    throw new UsageError(
      `--plan ${file}: not a plan made by 'kubemend plan --out' (kind ${JSON.stringify(plan?.kind)}, version ${JSON.stringify(plan?.version)})`,
    );
  }
  return plan;
}
