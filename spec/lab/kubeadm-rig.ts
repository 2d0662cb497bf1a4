/** The kubeadm test rig (not the simulator, which is spec/lab/sim/kubeadm/): run the compiled lab kubeadm in a LAB_ROOT temp folder, and openssl. */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repo root. */
export const REPO = resolve(fileURLToPath(import.meta.url), '../../..');
/** The compiled sim (built by scripts/build-lab). */
export const KUBEADM_JS = join(process.env.LAB_SIM_DIST || join(REPO, 'dist-lab'), 'spec/lab/sim/kubeadm/main.js');

/** The result of one command. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `kubeadm args...` with LAB_ROOT=root (and a no-op systemctl). */
export function kubeadm(root: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((res) => {
    execFile(
      '/usr/bin/node',
      [KUBEADM_JS, ...args],
      {
        env: { ...process.env, LAB_ROOT: root, LAB_SYSTEMCTL: '/bin/true', ...env },
        maxBuffer: 16 << 20,
      },
      (err, stdout, stderr) => {
        res({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** Run openssl; returns stdout (throws on failure with stderr). */
export function openssl(args: string[], input?: string): Promise<string> {
  return new Promise((res, rej) => {
    const p = execFile('openssl', args, (err, stdout, stderr) => (err ? rej(new Error(`openssl ${args.join(' ')}: ${stderr}`)) : res(stdout)));
    if (input !== undefined) p.stdin!.end(input);
  });
}

/** A fresh LAB_ROOT temp folder. */
export function tempRoot(prefix = 'kubeadm-'): string {
  return tempDir(join(tmpdir(), prefix));
}

/** sha256 of every file under dir, by relative path. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out[p.slice(dir.length)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** A kubeadm config file (v1beta4) for node m1 at `addr`, written into root/cfg.yaml (or root/FILE); the certificate key goes in the InitConfiguration, as kubeadm wants it with --config. */
export function writeConfig(
  root: string,
  o: { addr: string; endpoint: string; name?: string; extraSANs?: string[]; certificateKey?: string; file?: string; encryptionAlgorithm?: string },
): string {
  const path = join(root, o.file ?? 'cfg.yaml');
  writeFileSync(
    path,
    `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
${o.certificateKey ? `certificateKey: ${o.certificateKey}\n` : ''}localAPIEndpoint:
  advertiseAddress: ${o.addr}
  bindPort: 6443
nodeRegistration:
  name: ${o.name ?? 'm1'}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
${o.encryptionAlgorithm ? `encryptionAlgorithm: ${o.encryptionAlgorithm}\n` : ''}controlPlaneEndpoint: ${o.endpoint}
apiServer:
  certSANs: [${(o.extraSANs ?? ['lb.lab.test', '10.75.0.100']).join(', ')}]
networking:
  podSubnet: 10.244.0.0/16
controllerManager:
  extraArgs:
  - name: lab-eviction-timeout
    value: 30s
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
serverTLSBootstrap: true
`,
  );
  return path;
}
