/**
 * The kubelet unit as kubeadm's package installs it (kubelet.service + the 10-kubeadm.conf
 * drop-in): its command line built from the drop-in's environment files, and the files where the
 * lab keeps the unit's state (pid, sub-state, enablement).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { p, paths } from '../paths.js';

/** The unit the lab knows. */
export const UNIT = 'kubelet.service';

/** Files of the unit's runtime state. */
export const unitFiles = {
  pid: paths.kubeletPid,
  /** JSON {state, since, result}: written by the daemon (active / activating auto-restart) and systemctl. */
  state: p('run/lab/kubelet.state'),
  lock: p('run/lab/kubelet.lock'),
  log: paths.kubeletLog,
  wants: join(paths.unitWants, UNIT),
  defaults: p('etc/default/kubelet'),
};

/** systemd's PATH for services. */
export const SERVICE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** systemd restarts the kubelet 10 s after it exits (RestartSec=10 in kubelet.service). */
export function restartSec(): number {
  return Number(process.env.LAB_KUBELET_RESTART_SEC ?? 10);
}

/** Parse a systemd EnvironmentFile (KEY=value, optional quotes, # comments); missing file = empty. */
export function readEnvFile(path: string): Record<string, string> {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  const env: Record<string, string> = {};
  // a line ending in a backslash continues on the next one (systemd.exec(5) EnvironmentFile=; kubespray's kubelet.env uses it)
  for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let v = line.slice(eq + 1).trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    env[line.slice(0, eq).trim()] = v;
  }
  return env;
}

/**
 * The kubelet's argv as the drop-in's ExecStart gives it:
 * `$KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS`.
 */
export function kubeletArgs(): string[] {
  const split = (s: string | undefined) => (s ?? '').split(/\s+/).filter(Boolean);
  return [
    `--bootstrap-kubeconfig=${paths.bootstrapKubeletConf}`,
    `--kubeconfig=${paths.kubeletConf}`,
    `--config=${paths.kubeletConfigYaml}`,
    ...split(readEnvFile(paths.kubeadmFlagsEnv).KUBELET_KUBEADM_ARGS),
    ...split(readEnvFile(unitFiles.defaults).KUBELET_EXTRA_ARGS),
  ];
}

/** The unit's recorded state. */
export interface UnitState {
  state: 'active' | 'activating' | 'inactive' | 'failed' | 'deactivating';
  since: string;
  result?: string;
}

/** Read the recorded state (undefined when none). */
export function readState(): UnitState | undefined {
  try {
    return JSON.parse(readFileSync(unitFiles.state, 'utf8'));
  } catch {
    return undefined;
  }
}
