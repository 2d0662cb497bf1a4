/**
 * kubeadm with a configuration file that may hold secrets (a join token, a certificate key):
 * never a kubeadm argument, where `ps`, /proc/PID/cmdline and sudo's log (COMMAND=...) would show
 * it. The file's text travels on the command's stdin, like the transport's sudo upload
 * (lib/transport/ssh.ts SUDO_UPLOAD_SCRIPT: `umask 077; cat > FILE`), and the same shell that
 * writes it runs kubeadm and removes it in an EXIT trap: the file (0600, in /run, a tmpfs: never on
 * a disk) lives exactly as long as the kubeadm command, also when kubeadm fails or the shell is
 * signalled, and no second command (that a lost connection could leave unsent) is needed to clean up.
 */
import { quoteArgv } from '../shell/quote.js';
import type { CommandOptions, HostContext } from '../core/types.js';
import type { CommandResult } from '../transport/types.js';

/** Where the file is made (`mktemp`: a new name, mode 0600). */
export const CONFIG_TEMPLATE = '/run/kubemend-kubeadm.XXXXXXXX';

/**
 * The shell script for `kubeadm WORDS --config FILE`: FILE made with mktemp (umask 077), filled
 * from stdin, removed by the trap. WORDS are constants (no secret), quoted by quoteArgv.
 */
export function kubeadmConfigScript(words: readonly string[]): string {
  const cmd = quoteArgv(['kubeadm', ...words]).wire;
  return [
    'set -eu',
    'umask 077',
    `f=$(mktemp ${CONFIG_TEMPLATE})`,
    'trap \'rm -f "$f"\' EXIT',
    "trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM",
    'cat > "$f"',
    `${cmd} --config "$f"`,
  ].join('\n');
}

/**
 * Run `kubeadm WORDS --config <config>` on the host (mutating), the config given on stdin to a
 * file that exists only while kubeadm runs. `config` may hold secrets: stdin is never logged.
 */
export function kubeadmWithConfig(h: HostContext, words: readonly string[], config: string, opts: Omit<CommandOptions, 'stdin'> = {}): Promise<CommandResult> {
  return h.run(['sh', '-c', kubeadmConfigScript(words)], {
    timeoutMs: 300_000,
    what: `kubeadm ${words.join(' ')} --config <0600 file, removed after>`,
    ...opts,
    stdin: config,
  });
}
