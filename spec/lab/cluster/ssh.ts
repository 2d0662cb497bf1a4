/**
 * Commands on lab hosts over REAL OpenSSH (`ssh` with the lab key and known_hosts, host keys
 * checked), as an operator would run them. Remote command lines are made by quoteArgv only.
 */
import { spawn } from 'node:child_process';
import { quoteArgv } from '../../../lib/shell/quote.js';
import { redact, type Arg } from '../../../lib/shell/secret.js';
import type { Host, LabDir } from './labdir.js';

/** What a remote command returned. */
export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** ssh options for the lab: its key, its known_hosts, strict host key checking, no prompts. */
export function sshOptions(lab: LabDir): string[] {
  return [
    '-i',
    lab.key,
    '-o',
    `UserKnownHostsFile=${lab.knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'KexAlgorithms=curve25519-sha256',
    '-o',
    'ConnectTimeout=20',
    '-o',
    'ServerAliveInterval=15',
    '-o',
    'LogLevel=ERROR',
    '-p',
    String(lab.sshPort),
  ];
}

/** Runs argv on host as root over ssh; never throws on a non-zero exit. */
export function ssh(lab: LabDir, host: Host, argv: readonly Arg[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Result> {
  const cmd = quoteArgv(argv);
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', [...sshOptions(lab), `root@${host.address}`, '--', cmd.wire], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new Error(`ssh ${host.name}: ${cmd.display}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs argv on host and returns stdout; throws `what on host: cmd: exit N: stderr` (redacted). */
export async function sshOk(lab: LabDir, host: Host, what: string, argv: readonly Arg[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await ssh(lab, host, argv, opts);
  if (r.code !== 0) {
    const tail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-6).join('\n');
    throw new Error(redact(`${what} on ${host.name}: ${quoteArgv(argv).display}: exit ${r.code}: ${tail}`));
  }
  return r.stdout;
}

/** Runs a bash script (given on stdin, never on a command line) on host; throws like sshOk. */
export function sshScript(lab: LabDir, host: Host, what: string, script: string, timeoutMs?: number): Promise<string> {
  return sshOk(lab, host, what, ['bash', '-euo', 'pipefail', '-s'], { input: script, timeoutMs });
}
