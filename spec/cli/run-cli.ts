/**
 * Helpers for CLI tests: run kubemend as a child process. MAIN is the CLI as it ships (the bundle
 * package.json's bin runs, dist/bin/kubemend.js), built from lib/ first when a source is newer
 * (scripts/kubemend does, under a lock): a start costs ~0.1 s of CPU, not the ~1 s of the sources
 * through tsx. SOURCE_MAIN and FAKE_MAIN run from source through tsx.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The CLI as it ships: the bundle of lib/cli/main.ts (scripts/bundle.mjs). */
export const MAIN = fileURLToPath(new URL('../../dist/bin/kubemend.js', import.meta.url));
/** The CLI's entry in the sources (run through tsx). */
export const SOURCE_MAIN = fileURLToPath(new URL('../../lib/cli/main.ts', import.meta.url));
/** The CLI over the fake transport and a fake inventory (no lab needed). */
export const FAKE_MAIN = fileURLToPath(new URL('./fixtures/fake-main.ts', import.meta.url));

// MAIN as the sources are now, once per test process
await promisify(execFile)(fileURLToPath(new URL('../../scripts/kubemend', import.meta.url)), ['--version'], { cwd: ROOT });

/** node's arguments to run `entry` with `args`: a .ts source through tsx, a built file as it is. */
export function nodeArgs(entry: string, args: string[] = []): string[] {
  return entry.endsWith('.ts') ? ['--import', 'tsx', entry, ...args] : [entry, ...args];
}

/** What a CLI run printed and how it exited. */
export interface CliResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Run `entry` with args; stdin is not a terminal. `onStdout` sees output as it comes (to send signals). */
export function cli(
  entry: string,
  args: string[],
  opts: {
    env?: Record<string, string>;
    onStdout?: (text: string, child: ReturnType<typeof spawn>) => void;
    onSpawn?: (child: ReturnType<typeof spawn>) => void;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs(entry, args), {
      cwd: ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    opts.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      opts.onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
