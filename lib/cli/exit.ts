/** Exit codes and how errors map to them: 0 done, 1 the run failed, 2 bad input or usage, 130 interrupted. */
import { errorMessage } from '../core/errors.js';

/** The exit codes of kubemend. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** An error that ends the command with a given exit code and message. */
export class ExitError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'ExitError';
  }
}

/** Turn any error into a message and an exit code (InventoryError printed with format(), no host contacted). */
export function exitFor(err: unknown): { code: number; message: string } {
  const e = err as { code?: string; format?: () => string; exitCode?: number; name?: string; file?: string };
  if (err instanceof ExitError) return { code: err.exitCode, message: err.message };
  if (e?.code === 'EINVENTORY' && typeof e.format === 'function') return { code: EXIT.usage, message: `invalid inventory ${e.file ?? ''}:\n${e.format()}` };
  if (e?.code === 'EUSAGE' || e?.code === 'ELIMIT') return { code: EXIT.usage, message: errorMessage(err) };
  if (e?.name === 'ExitPromptError' || e?.name === 'AbortPromptError') return { code: EXIT.interrupted, message: 'interrupted' };
  return { code: EXIT.failed, message: errorMessage(err) };
}
