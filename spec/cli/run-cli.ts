/** Helpers for CLI tests: run kubemend (from source, through tsx) as a child process. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The real CLI entry. */
export const MAIN = fileURLToPath(new URL('../../lib/cli/main.ts', import.meta.url));
/** The CLI over the fake transport and a fake inventory (no lab needed). */
export const FAKE_MAIN = fileURLToPath(new URL('./fixtures/fake-main.ts', import.meta.url));

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
    const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
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
