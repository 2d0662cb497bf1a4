/**
 * The cluster seen through real kubectl with the admin.conf fetched from the first reachable
 * master over ssh (it changes when the CA changes), cached as DIR/admin.conf.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabDir } from './labdir.js';
import { ssh, type Result } from './ssh.js';

/**
 * The real kubectl v1.32 on this machine. /usr/bin/kubectl is the Google Cloud SDK's dispatcher,
 * which picks kubectl.1.27 .. 1.33 by the server's version (and falls back to a default when it
 * cannot read it): the witness is pinned to 1.32 when that binary is there.
 */
export const KUBECTL = existsSync('/usr/lib/google-cloud-sdk/bin/kubectl.1.32') ? '/usr/lib/google-cloud-sdk/bin/kubectl.1.32' : '/usr/bin/kubectl';

/** Path of the cached admin kubeconfig. */
export function adminConfPath(lab: LabDir): string {
  return join(lab.dir, 'admin.conf');
}

/**
 * Fetches /etc/kubernetes/admin.conf from m1, falling back to the other masters, and writes it
 * to DIR/admin.conf (0600); its server is the controlPlaneEndpoint (m1:6443, the balancer, or a
 * name). A name (api.lab.test) lives only in the hosts' /etc/hosts, not this machine's: the copy
 * then goes to the address the name has on that master (getent there), with the name as the TLS
 * server name, so the witness reaches the API where the hosts do. Returns false when no master has one.
 */
export async function refreshAdminConf(lab: LabDir): Promise<boolean> {
  for (const m of lab.masters) {
    const r = await ssh(lab, m, ['cat', '/etc/kubernetes/admin.conf'], { timeoutMs: 30_000 });
    if (r.code === 0 && r.stdout.includes('client-certificate-data')) {
      writeFileSync(adminConfPath(lab), await reachableHere(lab, m, r.stdout), { mode: 0o600 });
      return true;
    }
  }
  return false;
}

/** `text` (a kubeconfig of master `m`) with a server name replaced by its address on `m`, and that name as tls-server-name. */
async function reachableHere(lab: LabDir, m: LabDir['masters'][number], text: string): Promise<string> {
  const s = /^(\s*)server: https:\/\/([^:/\s]+):(\d+)\s*$/m.exec(text);
  if (!s || /^[\d.]+$/.test(s[2]!)) return text;
  const g = await ssh(lab, m, ['getent', 'ahosts', s[2]!], { timeoutMs: 30_000 });
  const addr = g.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .find((a) => a && /^[\d.]+$/.test(a));
  if (g.code !== 0 || !addr) return text;
  return text.replace(s[0], `${s[1]}server: https://${addr}:${s[3]}\n${s[1]}tls-server-name: ${s[2]}`);
}

/** Runs real kubectl with DIR/admin.conf; never throws on a non-zero exit. */
export function kubectl(lab: LabDir, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL,
      ['--kubeconfig', adminConfPath(lab), '--request-timeout', '20s', ...args],
      { maxBuffer: 256 << 20, timeout: opts.timeoutMs ?? 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.on('error', () => {});
    child.stdin?.end(opts.input ?? '');
  });
}

/** Runs kubectl and parses `-o json` output; throws `what: kubectl ...: exit N: stderr`. */
export async function kubectlJson<T = any>(lab: LabDir, what: string, args: string[]): Promise<T> {
  const r = await kubectl(lab, [...args, '-o', 'json']);
  if (r.code !== 0) throw new Error(`${what}: kubectl ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as T;
}

/** Sleeps ms. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
