/** Confirmation before a run changes a cluster: the operator types the cluster name. Never hangs without a terminal. */
import { EXIT, ExitError } from './exit.js';
import { whilePrompting } from './io.js';

/** True when a person can answer a prompt (stdin and stderr are terminals). */
export function canPrompt(): boolean {
  return !!process.stdin.isTTY && !!process.stderr.isTTY;
}

/** Exit 2 right away when confirmation will be needed and nobody can give it. */
export function requirePrompt(what: string): void {
  if (!canPrompt()) {
    throw new ExitError(EXIT.usage, `${what} needs confirmation, but there is no terminal to ask on (stdin is not a TTY): pass --yes to run without asking`);
  }
}

/** Ask the operator to type the cluster name; ExitError(2) when the answer differs. */
export async function confirmCluster(cluster: string, what: string): Promise<void> {
  requirePrompt(what);
  const { input } = await import('@inquirer/prompts');
  const answer = await whilePrompting(() => input({ message: `${what}: type the cluster name (${cluster}) to go on:` }, { output: process.stderr }));
  if (answer.trim() !== cluster)
    throw new ExitError(EXIT.usage, `not confirmed: typed ${JSON.stringify(answer.trim())}, cluster is ${cluster}; nothing was changed`);
}

/** Ask a yes/no question on the terminal (default no); used by phases through the runner's `ask`. */
export async function askYesNo(question: string): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  return whilePrompting(() => confirm({ message: question, default: false }, { output: process.stderr }));
}
