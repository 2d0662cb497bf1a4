/** kubemend's version, from package.json (found from the source or the dist tree). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Set by scripts/bundle.mjs (esbuild `define`): the bundle carries its version, wherever it lies. */
declare const KUBEMEND_BUNDLED_VERSION: string | undefined;

let cached: string | undefined;

/** The version in package.json, or `0.0.0` when it cannot be found. */
export function version(): string {
  if (cached) return cached;
  if (typeof KUBEMEND_BUNDLED_VERSION === 'string') return (cached = KUBEMEND_BUNDLED_VERSION);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      cached = String(JSON.parse(readFileSync(p, 'utf8')).version ?? '0.0.0');
      return cached;
    }
    dir = dirname(dir);
  }
  return (cached = '0.0.0');
}
