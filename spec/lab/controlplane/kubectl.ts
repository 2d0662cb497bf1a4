/** Run the machine's real kubectl (the lab's witness) with a kubeconfig. */
import { execFile } from 'node:child_process';

/** kubectl's exit code and output. */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `/usr/bin/kubectl --kubeconfig KC args...`; resolves for any exit code. */
export function kubectl(kubeconfig: string, ...args: string[]): Promise<KubectlResult> {
  return new Promise((resolve) => {
    execFile('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000, env: { ...process.env, KUBECONFIG: '' } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}
