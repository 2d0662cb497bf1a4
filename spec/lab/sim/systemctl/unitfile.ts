/**
 * systemd unit files as systemd reads them (systemd.unit(5), systemd.service(5), systemd.exec(5)):
 * sections, `key=value` lines with `\` continuations, `EnvironmentFile=` (a leading `-` makes a
 * missing file fine) and `ExecStart=` with `$VAR` (split on whitespace into several words) and
 * `${VAR}` (one word) taken from those files. The lab reads a unit that a tool wrote under
 * /etc/systemd/system (kubespray's etcd.service and kubelet.service), as a real host would run it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { p } from '../paths.js';
import { kubeletArgs, readEnvFile } from './unit.js';

/** Where an administrator's (or a tool's) units live; they override /lib/systemd/system. */
export const ETC_UNITS = p('etc/systemd/system');

/** A parsed unit: section -> key -> values (a key may repeat). */
export type UnitFile = Map<string, Map<string, string[]>>;

/** Parse a unit file's text. */
export function parseUnit(text: string): UnitFile {
  const out: UnitFile = new Map();
  let section = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].trim();
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i].trim()}`;
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1];
      if (!out.has(section)) out.set(section, new Map());
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0 || !section) continue;
    const key = line.slice(0, eq).trim();
    const m = out.get(section)!;
    m.set(key, [...(m.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return out;
}

/** The unit file of `unit` under /etc/systemd/system, or undefined when there is none. */
export function readEtcUnit(unit: string): UnitFile | undefined {
  const f = join(ETC_UNITS, unit);
  return existsSync(f) ? parseUnit(readFileSync(f, 'utf8')) : undefined;
}

/** A [Service] value (the last one set). */
export function serviceValue(u: UnitFile, key: string): string | undefined {
  return u.get('Service')?.get(key)?.at(-1);
}

/** The environment of a service: every EnvironmentFile= in order (`-`: optional); a required one missing is an error, as systemd fails the start. */
export function serviceEnv(u: UnitFile): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of u.get('Service')?.get('EnvironmentFile') ?? []) {
    const optional = raw.startsWith('-');
    const file = raw.replace(/^-/, '');
    if (!existsSync(p(file))) {
      if (optional) continue;
      throw new Error(`Failed to load environment files: No such file or directory (${file})`);
    }
    Object.assign(env, readEnvFile(p(file)));
  }
  for (const raw of u.get('Service')?.get('Environment') ?? []) {
    for (const kv of raw.match(/"[^"]*"|\S+/g) ?? []) {
      const t = kv.replace(/^"|"$/g, '');
      const eq = t.indexOf('=');
      if (eq > 0) env[t.slice(0, eq)] = t.slice(eq + 1);
    }
  }
  return env;
}

/**
 * ExecStart's words with the environment substituted (systemd.service(5) "Command lines"): a word
 * that is exactly `$NAME` becomes the value split at whitespace (none when empty or unset); `${NAME}`
 * is replaced inside its word. A leading `-`, `@`, `+`, `!` prefix is dropped.
 */
export function execStart(u: UnitFile, env: Record<string, string>): string[] {
  const line = serviceValue(u, 'ExecStart');
  if (!line) throw new Error('Service has no ExecStart= setting');
  const words = line.replace(/^[-@+!:]+/, '').match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
  const out: string[] = [];
  for (const w of words) {
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(w);
    if (whole) {
      out.push(...(env[whole[1]] ?? '').split(/\s+/).filter(Boolean));
      continue;
    }
    out.push(
      w
        .replace(/^"(.*)"$/, '$1')
        .replace(/^'(.*)'$/, '$1')
        .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, n: string) => env[n] ?? ''),
    );
  }
  return out;
}

/** RestartSec= in milliseconds (systemd's default 100 ms); LAB_UNIT_RESTART_SEC overrides it in the lab. */
export function restartMs(u: UnitFile): number {
  if (process.env.LAB_UNIT_RESTART_SEC) return Number(process.env.LAB_UNIT_RESTART_SEC) * 1000;
  const v = serviceValue(u, 'RestartSec') ?? '100ms';
  const m = /^(\d+(?:\.\d+)?)(ms|s|min)?$/.exec(v);
  if (!m) return 100;
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'min' ? 60_000 : 1000);
}

/**
 * The kubelet's arguments: from /etc/systemd/system/kubelet.service when a tool wrote one there
 * (kubespray: `EnvironmentFile=-/etc/kubernetes/kubelet.env`, `ExecStart=/usr/local/bin/kubelet
 * $KUBE_LOG_LEVEL ... $KUBELET_ARGS ...`, roles/kubernetes/node/templates/kubelet.service.j2), else
 * kubeadm's packaged unit and its 10-kubeadm.conf drop-in.
 */
export function kubeletCommand(): { args: string[]; unitPath: string; dropIn: boolean } {
  const u = readEtcUnit('kubelet.service');
  if (u) return { args: execStart(u, serviceEnv(u)).slice(1), unitPath: '/etc/systemd/system/kubelet.service', dropIn: false };
  return { args: kubeletArgs(), unitPath: '/lib/systemd/system/kubelet.service', dropIn: true };
}
