/**
 * The lab's stand-in for systemd's service manager, for one unit read from /etc/systemd/system
 * (kubespray's etcd.service): runs ExecStart with the unit's EnvironmentFile=, restarts it after
 * RestartSec= when it exits and Restart= says so (kubespray: `Restart=always`, `RestartSec=10s`),
 * re-reading the environment file each time as systemd does; on SIGTERM stops the main process
 * (SIGTERM, SIGKILL after the stop timeout) and exits. State in /run/lab/units/UNIT.state, output in
 * /var/log/UNIT.log. `node supervise.js UNIT`.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SERVICE_PATH } from './unit.js';
import { execStart, readEtcUnit, restartMs, serviceEnv, serviceValue } from './unitfile.js';
import { unitPaths } from './service.js';

let stopping = false;
let child: ReturnType<typeof spawn> | undefined;

function state(unit: string, s: string, result = 'success', mainPid?: number): void {
  const f = unitPaths(unit).state;
  mkdirSync(dirname(f), { recursive: true });
  writeFileSync(f, JSON.stringify({ state: s, since: new Date().toISOString(), result, mainPid: mainPid ?? 0 }));
}

/** Run the unit's main process once; resolves with its exit code (or a spawn failure's 203, systemd's EXEC status). */
async function runOnce(unit: string): Promise<number> {
  const u = readEtcUnit(unit);
  if (!u) throw new Error(`Unit ${unit} not found.`);
  const env = serviceEnv(u);
  const argv = execStart(u, env);
  const log = unitPaths(unit).log;
  mkdirSync(dirname(log), { recursive: true });
  const fd = openSync(log, 'a');
  try {
    child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', fd, fd], env: { PATH: SERVICE_PATH, LANG: 'C.UTF-8', ...env }, cwd: '/' });
  } finally {
    closeSync(fd);
  }
  const c = child;
  return new Promise<number>((resolve) => {
    c.once('error', (e) => {
      writeFileSync(log, `${unit}: Failed at step EXEC spawning ${argv[0]}: ${e.message}\n`, { flag: 'a' });
      resolve(203);
    });
    c.once('spawn', () => state(unit, 'active', 'success', c.pid));
    c.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1)));
  });
}

async function main(unit: string): Promise<void> {
  process.on('SIGTERM', () => {
    stopping = true;
    const c = child;
    if (c?.pid && c.exitCode === null) {
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 10_000).unref();
    }
  });
  state(unit, 'activating');
  for (;;) {
    const code = await runOnce(unit).catch((e: Error) => {
      writeFileSync(unitPaths(unit).log, `${unit}: ${e.message}\n`, { flag: 'a' });
      return 1;
    });
    if (stopping) break;
    const u = readEtcUnit(unit);
    const restart = u ? (serviceValue(u, 'Restart') ?? 'no') : 'no';
    const again = restart === 'always' || (restart === 'on-failure' && code !== 0);
    if (!again) {
      state(unit, code === 0 ? 'inactive' : 'failed', code === 0 ? 'success' : 'exit-code');
      return;
    }
    state(unit, 'activating', 'exit-code');
    await sleep(u ? restartMs(u) : 10_000);
    if (stopping) break;
  }
  state(unit, 'inactive');
}

main(process.argv[2] ?? '').then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`supervise: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
