/**
 * Start and stop the control-plane processes of a local test control plane: the real etcd with
 * client TLS, and the simulated kube-apiserver (compiled, through its shim) with kubeadm's flags.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import net from 'node:net';
import https from 'node:https';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repo root (this file is spec/lab/controlplane/procs.ts). */
export const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');
/** The compiled tree the shims run (LAB_SIM_DIST). */
export const SIM_DIST = process.env.LAB_SIM_DIST || join(REPO, 'dist-lab');
/** The lab's shims. */
export const LAB_BIN = join(REPO, 'spec/lab/bin');

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => res(port));
    });
  });
}

/** A running process with its log file. */
export interface Proc {
  child: ChildProcess;
  log: string;
  /** Stop with SIGTERM (SIGKILL after 3 s); resolves when it exited. */
  stop(): Promise<void>;
  /** The exit code, once the process exited, its output ended and all of it is in the log file. */
  closed: Promise<number | null>;
}

/** Spawn a command, logging stdout+stderr to `log`. */
export function startProc(cmd: string, args: string[], log: string, env: NodeJS.ProcessEnv = {}): Proc {
  mkdirSync(resolve(log, '..'), { recursive: true });
  const out = createWriteStream(log, { flags: 'a' });
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LAB_SIM_DIST: SIM_DIST, ...env } });
  // { end: false }: the first stream to end would otherwise end the file and drop the other's last
  // lines; the file ends once both have ('close'). 'exit' can come before the last output is read.
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const closed = new Promise<number | null>((r) => child.once('close', (code) => out.end(() => r(code))));
  return {
    child,
    log,
    closed,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Poll an HTTPS URL until it answers `ok` (status 200) or the deadline passes. */
export async function waitHttpsOk(
  url: string,
  tls: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer },
  timeoutMs = 20_000,
  proc?: Proc,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (proc && proc.child.exitCode !== null) throw new Error(`waiting for ${url}: process exited with ${proc.child.exitCode} (log ${proc.log})`);
    try {
      const status = await new Promise<number>((res, rej) => {
        const req = https.get(url, { ...tls, timeout: 2000 }, (r) => {
          r.resume();
          r.on('end', () => res(r.statusCode ?? 0));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', rej);
      });
      if (status === 200) return;
      last = `HTTP ${status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`waiting for ${url}: not ok after ${timeoutMs} ms: ${last}`);
}
