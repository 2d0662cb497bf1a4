/**
 * Container processes: started detached in their own session (so they outlive the kubelet, like
 * containers outlive a kubelet restart), checked by pid + start time, stopped by signal.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A started process: pid, its start time (clock ticks since boot) and a promise of its exit code. */
export interface Started {
  pid: number;
  pidStart?: number;
  /** Resolves with the exit code (128+signal when killed) while this process is its parent. */
  exited: Promise<number>;
}

/** Start time of a process in clock ticks since boot, or undefined when it does not exist or is a zombie. */
export function procStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
    return Number(rest[19]);
  } catch {
    return undefined;
  }
}

/** Whether `pid` is alive and (when given) is still the process that started at `start`. */
export function isAlive(pid: number, start?: number): boolean {
  if (!pid || pid <= 0) return false;
  const s = procStart(pid);
  if (s === undefined) return false;
  return start === undefined || s === start;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/**
 * Start `argv` detached (setsid) with stdout+stderr appended to `logPath`; throws when the
 * executable cannot be started (ENOENT and friends), with what was being started.
 */
export async function startDetached(argv: string[], env: NodeJS.ProcessEnv, logPath: string, cwd = '/'): Promise<Started> {
  mkdirSync(dirname(logPath), { recursive: true });
  const fd = openSync(logPath, 'a');
  try {
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', fd, fd], env, cwd });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid!));
      child.once('error', (e) => reject(new Error(`start ${argv[0]}: ${e.message}`)));
    });
    const exited = new Promise<number>((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? (SIGNALS[signal] ?? 1) : 1)));
    });
    child.unref();
    return { pid, pidStart: procStart(pid), exited };
  } finally {
    closeSync(fd);
  }
}

/**
 * Stop a process: SIGTERM, wait up to `graceMs`, then SIGKILL (graceMs 0 = SIGKILL at once, as
 * containerd does for a zero stop timeout). Returns the exit code the runtime records.
 */
export async function stopProcess(pid: number, start: number | undefined, graceMs: number): Promise<number> {
  if (!isAlive(pid, start)) return 0;
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  if (graceMs > 0) {
    kill('SIGTERM');
    const until = Date.now() + graceMs;
    while (Date.now() < until) {
      if (!isAlive(pid, start)) return 143;
      await sleep(50);
    }
  }
  kill('SIGKILL');
  for (let i = 0; i < 100 && isAlive(pid, start); i++) await sleep(20);
  return 137;
}
