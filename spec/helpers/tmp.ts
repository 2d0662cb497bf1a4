/** Temporary folders for tests, removed when the test process ends: a run's state folder holds its backups (private keys). */
import { mkdtempSync, rmSync } from 'node:fs';

const made: string[] = [];

/** `mkdtempSync(prefix)`, removed with all it holds when this process exits. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(prefix);
  if (made.push(dir) === 1) {
    process.on('exit', () => {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}
