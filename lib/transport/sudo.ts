/**
 * sudo: how a command is wrapped to run as root on a host whose user is not root, and how a
 * sudo failure is told apart from the command's own. The password only ever travels on stdin.
 */
import type { Host } from '../inventory/types.js';
import type { Arg } from '../core/secret.js';

/** How one command reaches root on a host. */
export type SudoPlan = 'direct' | 'nopasswd' | 'password';

/** Which way a command runs on host (`sudo: false` in RunOptions runs it as the login user). */
export function sudoPlan(host: Pick<Host, 'user' | 'sudo'>, wantSudo: boolean | undefined): SudoPlan {
  if (wantSudo === false || host.user === 'root' || host.sudo === 'none') return 'direct';
  return host.sudo === 'password' ? 'password' : 'nopasswd';
}

/** The argv to send: `sudo -n --` or `sudo -S -p '' --` in front of argv (never a password). */
export function sudoArgv(plan: SudoPlan, argv: readonly Arg[]): Arg[] {
  switch (plan) {
    case 'direct':
      return [...argv];
    case 'nopasswd':
      return ['sudo', '-n', '--', ...argv];
    case 'password':
      return ['sudo', '-S', '-p', '', '--', ...argv];
  }
}

/** The stdin for a command: the sudo password line first (plan 'password'), then the command's own. */
export function sudoStdin(plan: SudoPlan, password: string | undefined, stdin?: string | Buffer): Buffer | undefined {
  const own = stdin === undefined ? undefined : Buffer.isBuffer(stdin) ? stdin : Buffer.from(stdin, 'utf8');
  if (plan !== 'password') return own;
  if (password === undefined) throw new Error('sudo password needed but not given');
  return Buffer.concat([Buffer.from(`${password}\n`, 'utf8'), own ?? Buffer.alloc(0)]);
}

const AUTH_FAILURE = /^sudo: (a password is required|a terminal is required|\d+ incorrect password attempts?|no password was provided|no tty present)|^Sorry, try again\.|is not in the sudoers file|is not allowed to execute/m;

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
