/**
 * systemctl verbs for a unit that a tool wrote under /etc/systemd/system (kubespray's etcd.service),
 * run by the lab's supervisor (supervise.ts). The kubelet keeps its own handling in main.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { p, paths } from '../paths.js';
import { isAlive, procStart } from '../cri/process.js';
import { ETC_UNITS, readEtcUnit } from './unitfile.js';

/** What a verb printed and its exit code. */
export interface Out {
  out?: string;
  err?: string;
  code: number;
}

/** Files of a supervised unit's state. */
export function unitPaths(unit: string): { pid: string; state: string; log: string; wants: string; file: string } {
  const base = unit.replace(/\.service$/, '');
  return {
    pid: p(`run/lab/units/${base}.pid`),
    state: p(`run/lab/units/${base}.state`),
    log: p(`var/log/${base}.log`),
    wants: join(paths.unitWants, unit),
    file: join(ETC_UNITS, unit),
  };
}

/** True when /etc/systemd/system holds this unit. */
export function isEtcUnit(unit: string): boolean {
  return existsSync(unitPaths(unit).file);
}

function supervisorPid(unit: string): number | undefined {
  try {
    const [pid, start] = readFileSync(unitPaths(unit).pid, 'utf8').trim().split(/\s+/).map(Number);
    return isAlive(pid, start || undefined) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function readState(unit: string): { state: string; since?: string; result?: string; mainPid?: number } {
  try {
    return JSON.parse(readFileSync(unitPaths(unit).state, 'utf8'));
  } catch {
    return { state: 'inactive' };
  }
}

/** ActiveState/SubState as systemd names them. */
function active(unit: string): { active: string; sub: string; since?: string; mainPid?: number } {
  const sup = supervisorPid(unit);
  const st = readState(unit);
  if (sup) {
    if (st.state === 'active' && st.mainPid && isAlive(st.mainPid)) return { active: 'active', sub: 'running', since: st.since, mainPid: st.mainPid };
    return { active: 'activating', sub: 'auto-restart', since: st.since };
  }
  if (st.state === 'failed') return { active: 'failed', sub: 'failed', since: st.since };
  return { active: 'inactive', sub: 'dead', since: st.since };
}

function superviseJs(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'supervise.js');
}

/** systemctl start UNIT. */
export async function start(unit: string): Promise<Out> {
  if (supervisorPid(unit)) return { code: 0 };
  if (!readEtcUnit(unit)) return { err: `Failed to start ${unit}: Unit ${unit} not found.\n`, code: 5 };
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith('LAB_')) env[k] = v;
  const child = spawn(process.execPath, [superviseJs(), unit], { detached: true, stdio: 'ignore', env, cwd: '/' });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', reject);
  });
  child.unref();
  mkdirSync(dirname(unitPaths(unit).pid), { recursive: true });
  writeFileSync(unitPaths(unit).pid, `${pid} ${procStart(pid) ?? ''}\n`);
  // Type=notify waits for READY=1; the lab waits until the main process runs (or the start failed)
  for (let i = 0; i < 100; i++) {
    const a = active(unit);
    if (a.active === 'active' || a.active === 'failed' || a.sub === 'dead') break;
    await sleep(50);
  }
  const a = active(unit);
  if (a.active === 'failed')
    return {
      err: `Job for ${unit} failed because the control process exited with error code.\nSee "systemctl status ${unit}" and "journalctl -xeu ${unit}" for details.\n`,
      code: 1,
    };
  return { code: 0 };
}

/** systemctl stop UNIT. */
export async function stop(unit: string): Promise<Out> {
  const sup = supervisorPid(unit);
  if (sup) {
    const begin = procStart(sup);
    process.kill(sup, 'SIGTERM');
    const until = Date.now() + 15_000;
    while (Date.now() < until && isAlive(sup, begin)) await sleep(50);
    if (isAlive(sup, begin)) process.kill(sup, 'SIGKILL');
  }
  const st = readState(unit);
  if (st.mainPid && isAlive(st.mainPid)) {
    try {
      process.kill(st.mainPid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(unitPaths(unit).pid, { force: true });
  mkdirSync(dirname(unitPaths(unit).state), { recursive: true });
  writeFileSync(unitPaths(unit).state, JSON.stringify({ state: 'inactive', since: new Date().toISOString(), result: 'success', mainPid: 0 }));
  return { code: 0 };
}

/** The verbs for an /etc/systemd/system unit (undefined: not one of them). */
export async function serviceVerb(verb: string, unit: string): Promise<Out | undefined> {
  const f = unitPaths(unit);
  const enabled = existsSync(f.wants);
  switch (verb) {
    case 'start':
      return start(unit);
    case 'stop':
      return stop(unit);
    case 'restart':
    case 'reload-or-restart':
      await stop(unit);
      return start(unit);
    case 'try-restart':
      return supervisorPid(unit) ? (await stop(unit), start(unit)) : { code: 0 };
    case 'is-active': {
      const a = active(unit).active;
      return { out: `${a}\n`, code: a === 'active' ? 0 : 3 };
    }
    case 'is-failed': {
      const a = active(unit).active;
      return { out: `${a}\n`, code: a === 'failed' ? 0 : 1 };
    }
    case 'is-enabled':
      return { out: enabled ? 'enabled\n' : 'disabled\n', code: enabled ? 0 : 1 };
    case 'enable':
      if (!enabled) {
        mkdirSync(dirname(f.wants), { recursive: true });
        writeFileSync(f.wants, '');
        return { err: `Created symlink /etc/systemd/system/multi-user.target.wants/${unit} → /etc/systemd/system/${unit}.\n`, code: 0 };
      }
      return { code: 0 };
    case 'disable':
      if (enabled) {
        rmSync(f.wants, { force: true });
        return { err: `Removed "/etc/systemd/system/multi-user.target.wants/${unit}".\n`, code: 0 };
      }
      return { code: 0 };
    case 'status': {
      const a = active(unit);
      const dot = a.active === 'active' || a.active === 'activating' ? '●' : a.active === 'failed' ? '×' : '○';
      const desc = readEtcUnit(unit)?.get('Unit')?.get('Description')?.at(-1) ?? unit;
      const lines = [
        `${dot} ${unit} - ${desc}`,
        `     Loaded: loaded (/etc/systemd/system/${unit}; ${enabled ? 'enabled' : 'disabled'}; preset: enabled)`,
        `     Active: ${a.active} (${a.sub})${a.since ? ` since ${a.since}` : ''}`,
      ];
      if (a.mainPid) lines.push(`   Main PID: ${a.mainPid} (${unit.replace(/\.service$/, '')})`);
      let tail: string[] = [];
      try {
        tail = readFileSync(f.log, 'utf8').split('\n').filter(Boolean).slice(-10);
      } catch {
        tail = [];
      }
      return { out: lines.join('\n') + '\n' + (tail.length ? `\n${tail.join('\n')}\n` : ''), code: a.active === 'active' ? 0 : 3 };
    }
    case 'show': {
      const a = active(unit);
      return {
        out: `Id=${unit}\nActiveState=${a.active}\nSubState=${a.sub}\nMainPID=${a.mainPid ?? 0}\nUnitFileState=${enabled ? 'enabled' : 'disabled'}\nLoadState=loaded\nFragmentPath=/etc/systemd/system/${unit}\n`,
        code: 0,
      };
    }
    case 'kill': {
      const pid = active(unit).mainPid;
      if (pid) process.kill(pid, 'SIGTERM');
      return { code: 0 };
    }
    case 'cat':
      return { out: `# /etc/systemd/system/${unit}\n${readFileSync(f.file, 'utf8')}`, code: 0 };
    default:
      return undefined;
  }
}
