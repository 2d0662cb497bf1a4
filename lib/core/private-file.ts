/**
 * Private files on the laptop: 0600 files in 0700 folders whatever the umask, also when the file
 * existed with a looser mode (a `mode` given to writeFileSync only applies to a file it creates).
 */
import { chmodSync, closeSync, fchmodSync, mkdirSync, openSync, writeFileSync } from 'node:fs';

/** Create `dir` (and missing parents) with mode 0700, or make an existing one 0700; returns it. */
export function privateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

/** Write `content` to `file` with mode 0600: the mode is set before the first byte is written. */
export function writePrivate(file: string, content: string | Buffer): void {
  const fd = openSync(file, 'w', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeFileSync(fd, content);
  } finally {
    closeSync(fd);
  }
}
