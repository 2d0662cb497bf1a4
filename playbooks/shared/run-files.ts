/** The run's folder on this machine and the files a playbook keeps there (a resumed run reads what the first attempt wrote). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defaultStateDir } from '../../lib/core/journal.js';
import { writePrivate } from '../../lib/core/private-file.js';
import { RUN } from '../../lib/core/shared.js';
import type { PhaseContext } from '../../lib/core/types.js';

/** The run's id (a fixed `plan` in dry runs). */
export function runIdOf(ctx: PhaseContext): string {
  return ctx.shared.get(RUN)?.id ?? 'plan';
}

/** The state dir with every run's folder (the CLI's --state-dir; the default one when not given). */
export function stateDirOf(ctx: PhaseContext): string {
  const r = ctx.shared.get(RUN);
  return r?.stateDir ?? (r?.dir ? dirname(r.dir) : defaultStateDir());
}

/** The run's folder on this machine (undefined in dry runs). */
export function runDirOf(ctx: PhaseContext): string | undefined {
  return ctx.shared.get(RUN)?.dir;
}

/** A JSON file this run kept in its folder (a resumed run reads what the first attempt wrote); undefined in dry runs or when absent. */
export function readRunFile<T>(ctx: PhaseContext, file: string): T | undefined {
  const dir = runDirOf(ctx);
  if (!dir || !existsSync(join(dir, file))) return undefined;
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as T;
}

/** Keep `value` as JSON in the run's folder, mode 0600 (real runs only: dry runs have no folder). */
export function writeRunFile(ctx: PhaseContext, file: string, value: unknown): void {
  const dir = runDirOf(ctx);
  if (dir) writePrivate(join(dir, file), JSON.stringify(value, null, 1) + '\n');
}
