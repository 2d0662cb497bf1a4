/**
 * The lab's systemctl (there is no systemd in a lab host): the kubelet unit, and any unit a tool
 * wrote under /etc/systemd/system (kubespray's etcd.service: service.ts, run by supervise.ts). start
 * spawns the kubelet detached with its unit's flags (kubeadm's drop-in, or kubespray's
 * /etc/systemd/system/kubelet.service with /etc/kubernetes/kubelet.env) and systemd's service
 * environment; stop sends SIGTERM (SIGKILL after 5 s); is-active / is-enabled / status answer with
 * systemd's words and exit codes.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { isAlive, procStart } from '../cri/process.js';
import { SERVICE_PATH, UNIT, readState, unitFiles } from './unit.js';
import { kubeletCommand } from './unitfile.js';
import { isEtcUnit, serviceVerb } from './service.js';

interface Out {
  out?: string;
  err?: string;
  code: number;
}

function unitName(arg: string): string {
  return arg.includes('.') ? arg : `${arg}.service`;
}

/** The kubelet's main pid when it runs. */
function mainPid(): number | undefined {
  try {
    const [pid, start] = readFileSync(unitFiles.pid, 'utf8').trim().split(/\s+/).map(Number);
    return isAlive(pid, start || undefined) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function writeState(state: string, result = 'success'): void {
  mkdirSync(dirname(unitFiles.state), { recursive: true });
  writeFileSync(unitFiles.state, JSON.stringify({ state, since: new Date().toISOString(), result }));
}

/** The unit's ActiveState and SubState as systemd names them. */
function activeState(): { active: string; sub: string; since?: string; result?: string } {
  const pid = mainPid();
  const st = readState();
  if (pid) {
    if (st?.state === 'activating') return { active: 'activating', sub: 'auto-restart', since: st.since, result: st.result };
    return { active: 'active', sub: 'running', since: st?.since };
  }
  if (st?.state === 'failed') return { active: 'failed', sub: 'failed', since: st.since, result: st.result };
  return { active: 'inactive', sub: 'dead', since: st?.since };
}

function enabled(): boolean {
  return existsSync(unitFiles.wants);
}

function kubeletJs(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return join(here, '..', 'kubelet', 'main.js');
}

async function start(): Promise<Out> {
  if (mainPid()) return { code: 0 };
  mkdirSync(dirname(unitFiles.log), { recursive: true });
  const fd = openSync(unitFiles.log, 'a');
  const env: NodeJS.ProcessEnv = { PATH: process.env.LAB_PATH ?? SERVICE_PATH, LANG: 'C.UTF-8', INVOCATION_ID: Math.random().toString(16).slice(2) };
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith('LAB_')) env[k] = v;
  const child = spawn(process.execPath, [kubeletJs(), ...kubeletCommand().args], { detached: true, stdio: ['ignore', fd, fd], env, cwd: '/' });
  closeSync(fd);
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', reject);
  });
  child.unref();
  mkdirSync(dirname(unitFiles.pid), { recursive: true });
  writeFileSync(unitFiles.pid, `${pid} ${procStart(pid) ?? ''}\n`);
  writeState('active');
  return { code: 0 };
}

async function stop(): Promise<Out> {
  const pid = mainPid();
  if (pid) {
    const begin = procStart(pid);
    writeState('deactivating');
    process.kill(pid, 'SIGTERM');
    const until = Date.now() + 5000;
    while (Date.now() < until && isAlive(pid, begin)) await sleep(50);
    if (isAlive(pid, begin)) {
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 100 && isAlive(pid, begin); i++) await sleep(20);
    }
  }
  rmSync(unitFiles.pid, { force: true });
  rmSync(unitFiles.lock, { force: true });
  writeState('inactive');
  return { code: 0 };
}

function ago(iso: string | undefined): string {
  if (!iso) return '';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
  const d = new Date(iso);
  const day = d.toUTCString().slice(0, 3);
  const when = `${day} ${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)} UTC`;
  const rel = s < 60 ? `${s}s ago` : s < 3600 ? `${Math.floor(s / 60)}min ${s % 60}s ago` : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}min ago`;
  return `since ${when}; ${rel}`;
}

function status(): Out {
  const st = activeState();
  const pid = mainPid();
  const en = enabled() ? 'enabled' : 'disabled';
  const dot = st.active === 'active' || st.active === 'activating' ? '●' : st.active === 'failed' ? '×' : '○';
  let active = `${st.active} (${st.sub})`;
  if (st.active === 'activating') active += ` (Result: ${st.result ?? 'exit-code'})`;
  const cmd = kubeletCommand();
  const lines = [
    `${dot} ${UNIT} - ${cmd.dropIn ? 'kubelet: The Kubernetes Node Agent' : 'Kubernetes Kubelet Server'}`,
    `     Loaded: loaded (${cmd.unitPath}; ${en}; preset: enabled)`,
    ...(cmd.dropIn ? [`    Drop-In: /usr/lib/systemd/system/kubelet.service.d`, `             └─10-kubeadm.conf`] : []),
    `     Active: ${active} ${ago(st.since)}`.trimEnd(),
    `       Docs: https://kubernetes.io/docs/`,
  ];
  if (pid) lines.push(`   Main PID: ${pid} (kubelet)`);
  let tail: string[] = [];
  try {
    tail = readFileSync(unitFiles.log, 'utf8').split('\n').filter(Boolean).slice(-10);
  } catch {
    tail = [];
  }
  const out = lines.join('\n') + '\n' + (tail.length ? '\n' + tail.map((l) => `kubelet[${pid ?? ''}]: ${l}`).join('\n') + '\n' : '');
  return { out, code: st.active === 'active' ? 0 : 3 };
}

const KNOWN_VERBS = new Set([
  'start',
  'stop',
  'restart',
  'try-restart',
  'reload-or-restart',
  'is-active',
  'is-enabled',
  'is-failed',
  'status',
  'enable',
  'disable',
  'daemon-reload',
  'reset-failed',
  'show',
  'cat',
  'kill',
]);

async function main(argv: string[]): Promise<number> {
  const opts = new Set(argv.filter((a) => a.startsWith('-')));
  const quiet = opts.has('-q') || opts.has('--quiet');
  const now = opts.has('--now');
  const [verb, ...names] = argv.filter((a) => !a.startsWith('-'));
  const emit = (o: Out) => {
    if (o.out && !quiet) process.stdout.write(o.out);
    if (o.err) process.stderr.write(o.err);
    return o.code;
  };
  if (!verb) return emit(status().code === 0 ? { out: '', code: 0 } : { code: 0 });
  if (!KNOWN_VERBS.has(verb)) return emit({ err: `Unknown command verb '${verb}'.\n`, code: 1 });
  if (verb === 'daemon-reload') return 0;
  if (verb === 'reset-failed') {
    if (readState()?.state === 'failed') writeState('inactive');
    return 0;
  }
  if (names.length === 0) return emit({ err: `Too few arguments.\n`, code: 1 });
  let code = 0;
  for (const raw of names) {
    const unit = unitName(raw);
    const isKubelet = unit === UNIT;
    let o: Out;
    const other = !isKubelet && isEtcUnit(unit) ? await serviceVerb(verb, unit) : undefined;
    if (other) {
      code = Math.max(code, emit(other));
      continue;
    }
    switch (verb) {
      case 'start':
        o = isKubelet ? await start() : { err: `Failed to start ${unit}: Unit ${unit} not found.\n`, code: 5 };
        break;
      case 'stop':
        o = isKubelet ? await stop() : { err: `Failed to stop ${unit}: Unit ${unit} not loaded.\n`, code: 5 };
        break;
      case 'restart':
      case 'reload-or-restart':
        o = isKubelet ? (await stop(), await start()) : { err: `Failed to restart ${unit}: Unit ${unit} not found.\n`, code: 5 };
        break;
      case 'try-restart':
        o = isKubelet ? (mainPid() ? (await stop(), await start()) : { code: 0 }) : { code: 0 };
        break;
      case 'is-active': {
        const a = isKubelet ? activeState().active : 'inactive';
        o = { out: `${a}\n`, code: a === 'active' ? 0 : 3 };
        break;
      }
      case 'is-failed': {
        const a = isKubelet ? activeState().active : 'inactive';
        o = { out: `${a}\n`, code: a === 'failed' ? 0 : 1 };
        break;
      }
      case 'is-enabled':
        o = isKubelet
          ? { out: enabled() ? 'enabled\n' : 'disabled\n', code: enabled() ? 0 : 1 }
          : { err: `Failed to get unit file state for ${unit}: No such file or directory\n`, code: 1 };
        break;
      case 'enable':
        if (!isKubelet) {
          o = { err: `Failed to enable unit: Unit file ${unit} does not exist.\n`, code: 1 };
          break;
        }
        if (!enabled()) {
          mkdirSync(dirname(unitFiles.wants), { recursive: true });
          writeFileSync(unitFiles.wants, '');
          process.stderr.write(`Created symlink /etc/systemd/system/multi-user.target.wants/${UNIT} → /lib/systemd/system/${UNIT}.\n`);
        }
        o = now ? await start() : { code: 0 };
        break;
      case 'disable':
        if (!isKubelet) {
          o = { err: `Failed to disable unit: Unit file ${unit} does not exist.\n`, code: 1 };
          break;
        }
        if (enabled()) {
          rmSync(unitFiles.wants, { force: true });
          process.stderr.write(`Removed "/etc/systemd/system/multi-user.target.wants/${UNIT}".\n`);
        }
        o = now ? await stop() : { code: 0 };
        break;
      case 'status':
        o = isKubelet ? status() : { err: `Unit ${unit} could not be found.\n`, code: 4 };
        break;
      case 'show': {
        const st = activeState();
        o = isKubelet
          ? {
              out: `Id=${UNIT}\nActiveState=${st.active}\nSubState=${st.sub}\nMainPID=${mainPid() ?? 0}\nUnitFileState=${enabled() ? 'enabled' : 'disabled'}\nLoadState=loaded\n`,
              code: 0,
            }
          : { out: `Id=${unit}\nActiveState=inactive\nSubState=dead\nMainPID=0\nLoadState=not-found\n`, code: 0 };
        break;
      }
      case 'kill': {
        const pid = isKubelet ? mainPid() : undefined;
        if (pid) process.kill(pid, 'SIGTERM');
        o = isKubelet ? { code: 0 } : { err: `Failed to kill unit ${unit}: Unit ${unit} not loaded.\n`, code: 5 };
        break;
      }
      default:
        o = isKubelet
          ? { out: `# /lib/systemd/system/${UNIT}\n[Unit]\nDescription=kubelet: The Kubernetes Node Agent\n`, code: 0 }
          : { err: `No files found for ${unit}.\n`, code: 1 };
    }
    code = Math.max(code, emit(o));
  }
  return code;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e) => {
    process.stderr.write(`systemctl: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
