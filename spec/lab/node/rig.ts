/**
 * Test rig for the lab's node side outside lab hosts: one simulated node = one LAB_ROOT folder,
 * driven through the real shims (systemctl, crictl) with the env a lab host would give them.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { LAB_BIN, SIM_DIST, freePort } from '../controlplane/index.js';
import { pollUntil, sleep } from '../../helpers/wait.js';

const run = promisify(execFile);

/** What a command returned. */
export interface Res {
  code: number;
  stdout: string;
  stderr: string;
}

/** How much longer than nominal a wait may take (env NODE_TEST_WAIT_FACTOR, default 3). */
export const WAIT_FACTOR = Number(process.env.NODE_TEST_WAIT_FACTOR) || 3;

/** Sleep. */
export { sleep };

/** Poll `fn` until it returns a truthy value; throws with what was awaited and the last error. */
export function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs = 20_000,
  everyMs = 250,
): Promise<T> {
  // the machine is shared (load averages of 50+ were seen): waits stretch, they never shorten a passing test
  return pollUntil(what, fn, timeoutMs * WAIT_FACTOR, everyMs);
}

/** One simulated node in a folder. */
export class NodeRig {
  readonly env: NodeJS.ProcessEnv;
  port = 0;
  constructor(
    readonly root: string,
    readonly name: string,
  ) {
    const path = `${LAB_BIN}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
    this.env = {
      ...process.env,
      PATH: path,
      LAB_ROOT: root,
      LAB_SIM_DIST: SIM_DIST,
      LAB_PATH: path,
      LAB_KUBELET_RESTART_SEC: '2',
    };
  }

  /** Make a fresh node folder with a KubeletConfiguration (staticPodPath under the folder). */
  static async create(root: string, name: string, config: Record<string, unknown> = {}): Promise<NodeRig> {
    rmSync(root, { recursive: true, force: true });
    const rig = new NodeRig(root, name);
    rig.port = await freePort();
    mkdirSync(rig.path('etc/kubernetes/manifests'), { recursive: true });
    mkdirSync(rig.path('etc/default'), { recursive: true });
    writeFileSync(rig.path('etc/default/kubelet'), `KUBELET_EXTRA_ARGS=--hostname-override=${name} --node-ip=127.0.0.1\n`);
    rig.writeConfig(config);
    return rig;
  }

  /** A path inside the node. */
  path(rel: string): string {
    return join(this.root, rel);
  }

  /** Write /var/lib/kubelet/config.yaml (kubeadm's fields; port chosen per rig). */
  writeConfig(extra: Record<string, unknown> = {}): void {
    mkdirSync(this.path('var/lib/kubelet'), { recursive: true });
    const cfg = {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      authentication: { x509: { clientCAFile: '/etc/kubernetes/pki/ca.crt' } },
      cgroupDriver: 'systemd',
      clusterDNS: ['10.96.0.10'],
      clusterDomain: 'cluster.local',
      rotateCertificates: true,
      staticPodPath: this.path('etc/kubernetes/manifests'),
      port: this.port,
      healthzPort: 0,
      ...extra,
    };
    writeFileSync(this.path('var/lib/kubelet/config.yaml'), YAML.stringify(cfg));
  }

  /** Write a static pod manifest. */
  manifest(file: string, pod: unknown): void {
    writeFileSync(this.path(`etc/kubernetes/manifests/${file}`), YAML.stringify(pod));
  }

  /** Run one of the lab's shims (systemctl, crictl, kubelet) as the node's root would. */
  async sh(cmd: string, ...args: string[]): Promise<Res> {
    try {
      const { stdout, stderr } = await run(join(LAB_BIN, cmd), args, { env: this.env, timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (e: any) {
      if (typeof e.code !== 'number') throw e;
      return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  /** systemctl ARGS. */
  systemctl(...args: string[]): Promise<Res> {
    return this.sh('systemctl', ...args);
  }

  /** crictl ARGS. */
  crictl(...args: string[]): Promise<Res> {
    return this.sh('crictl', ...args);
  }

  /** `crictl ps -o json` containers. */
  async containers(all = true): Promise<any[]> {
    const r = await this.crictl('ps', ...(all ? ['-a'] : []), '-o', 'json');
    if (r.code !== 0) throw new Error(`crictl ps: ${r.stderr}`);
    return JSON.parse(r.stdout).containers;
  }

  /** The kubelet's log so far. */
  log(): string {
    try {
      return readFileSync(this.path('var/log/kubelet.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** The pid of a running container (from crictl inspect). */
  async pidOf(id: string): Promise<number> {
    const r = await this.crictl('inspect', id);
    return JSON.parse(r.stdout).info.pid;
  }

  /** Stop the kubelet, kill every container, remove the folder. */
  async destroy(keep = !!process.env.KEEP_NODE_RIGS): Promise<void> {
    if (keep) return;
    await this.systemctl('stop', 'kubelet');
    await this.crictl('rmp', '-f', '--all');
    if (existsSync(this.root)) rmSync(this.root, { recursive: true, force: true });
  }
}

/** Whether a process exists (and is not a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}
