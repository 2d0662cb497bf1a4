/** Local file paths written in inventories: `~` and relative paths resolved, existence checked. */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** Resolve `p` (with `~`, `~/x`) against `baseDir`. */
export function resolvePath(p: string, baseDir: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return join(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

/** Why `abs` is not a readable regular file, or undefined when it is one. */
export function fileProblem(abs: string): string | undefined {
  try {
    const st = statSync(abs);
    return st.isFile() ? undefined : `not a regular file: ${abs}`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `file not found: ${abs}` : `cannot read ${abs}: ${code ?? 'error'}`;
  }
}
