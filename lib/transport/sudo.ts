/**
 * sudo: how a command is wrapped to run as root on a host whose user is not root, and how a
 * sudo failure is told apart from the command's own. The password only ever travels on stdin,
 * and only when sudo asks for it (lib/transport/sudo-gate.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Host } from '../inventory/types.js';
import type { Arg } from '../shell/secret.js';

/** How one command reaches root on a host. */
export type SudoPlan = 'direct' | 'nopasswd' | 'password';

/** Which way a command runs on host (`sudo: false` in RunOptions runs it as the login user). */
export function sudoPlan(host: Pick<Host, 'user' | 'sudo'>, wantSudo: boolean | undefined): SudoPlan {
  if (wantSudo === false || host.user === 'root' || host.sudo === 'none') return 'direct';
  return host.sudo === 'password' ? 'password' : 'nopasswd';
}

/**
 * The markers of one command run with `sudo -S` (new ones for every command, as Ansible's become
 * makes them): the prompt sudo prints when it wants the password, and the line printed once sudo
 * has started the command; with the password to write when asked.
 */
export interface SudoExchange {
  prompt: string;
  ready: string;
  password: string;
}

/** Fresh markers for one command (no `%`: sudo would expand it in the prompt). */
export function sudoExchange(password: string): SudoExchange {
  const id = randomBytes(16).toString('hex');
  return { prompt: `[kubemend-sudo ${id}] password: `, ready: `KUBEMEND-SUDO-READY-${id}`, password };
}

/**
 * The argv to send: `sudo -n --` (nopasswd) or `sudo -S -p PROMPT -- sh -c 'echo READY >&2; exec "$@"' sh`
 * (password) in front of argv. Never the password.
 */
export function sudoArgv(plan: SudoPlan, argv: readonly Arg[], x?: Pick<SudoExchange, 'prompt' | 'ready'>): Arg[] {
  switch (plan) {
    case 'direct':
      return [...argv];
    case 'nopasswd':
      return ['sudo', '-n', '--', ...argv];
    case 'password':
      if (!x) throw new Error('sudoArgv: plan password needs a sudo exchange (prompt and ready markers)');
      return ['sudo', '-S', '-p', x.prompt, '--', 'sh', '-c', `echo ${x.ready} >&2; exec "$@"`, 'sh', ...argv];
  }
}

const AUTH_FAILURE =
  /^sudo: (a password is required|a terminal is required|\d+ incorrect password attempts?|no password was provided|no tty present)|^Sorry, try again\.|is not in the sudoers file|is not allowed to execute/m;

/**
 * Why sudo itself refused (wrong or missing password, not allowed), or undefined when the
 * command ran; decided from sudo's own stderr lines and exit code.
 */
export function sudoFailure(plan: SudoPlan, exitCode: number | null, stderr: string): string | undefined {
  if (plan === 'direct') return undefined;
  if (exitCode === 127 && /sudo: (command )?not found|sudo: No such file/.test(stderr)) return 'sudo is not installed';
  if (exitCode !== 1) return undefined;
  const m = AUTH_FAILURE.exec(stderr);
  if (!m) return undefined;
  if (plan === 'password' && /incorrect password|Sorry, try again|no password was provided/.test(stderr)) {
    return 'sudo refused the password (wrong password)';
  }
  return `sudo refused: ${m[0].trim()}`;
}
