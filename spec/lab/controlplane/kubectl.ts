/** Run the machine's real kubectl (the lab's witness) with a kubeconfig. */
import { execFile } from 'node:child_process';
import { KUBECTL } from '../cluster/kube.js';

/** kubectl's exit code and output. */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the real kubectl v1.32 (`KUBECTL`) `--kubeconfig KC args...`; resolves for any exit code. */
export function kubectl(kubeconfig: string, ...args: string[]): Promise<KubectlResult> {
  return new Promise((resolve) => {
    execFile(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000, env: { ...process.env, KUBECONFIG: '' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}
