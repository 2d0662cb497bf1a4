/**
 * The lab's simulated `kubeadm` v1.32.4 entry point. The command line is read as real kubeadm
 * reads it, from the table (spec/lab/sim/kubeadm/reference: cobra's and pflag's refusals, the
 * positional-argument rules, `--config` mixed with other flags); then the command runs. Errors
 * are printed as kubeadm's CheckErr prints them (`error execution phase X: ...` for a phase, then
 * "To see the stack trace of this error execute with --v=5 or higher", exit 1 or the phase's code).
 */
import type { Args } from './args.js';
import { certsCmd, kubeconfigUserCmd, resetCmd, tokenCmd, versionCmd } from './commands.js';
import { runInit, runInitPhase } from './init.js';
import { runJoin, runJoinPhase } from './join.js';
import { PhaseError } from './out.js';
import { childrenOf, nameOf, type CommandDef } from './reference/commands.js';
import { STACK_HINT, commandPath, parseKubeadm } from './reference/parse.js';

/** A short help text, as cobra prints it (usage and sub-commands). */
function help(c: CommandDef): string {
  const kids = childrenOf(c).map(nameOf);
  const lines = ['Usage:', `  ${commandPath(c)}${kids.length ? ' [command]' : ''} [flags]`, ''];
  if (kids.length) lines.push('Available Commands:', ...kids.map((k) => `  ${k}`), '');
  return lines.join('\n') + '\n';
}

async function dispatch(c: CommandDef, a: Args): Promise<void> {
  const w = c.path.split(' ');
  if (c.path === 'init') return runInit(a);
  if (c.path.startsWith('init phase ')) return runInitPhase(w.slice(2), a);
  if (c.path === 'join') return runJoin(a);
  if (c.path.startsWith('join phase ')) return runJoinPhase(w.slice(2), a, c.flags.includes('discovery-file'));
  if (w[0] === 'token') return tokenCmd(w[1], a);
  if (w[0] === 'certs') return certsCmd(w.slice(1), a);
  if (c.path === 'kubeconfig user') return kubeconfigUserCmd(a);
  if (c.path === 'version') return versionCmd(a);
  if (c.path === 'reset') return resetCmd(a);
  throw new Error(`lab kubeadm: ${commandPath(c)} is in the table but not simulated`);
}

/** Run kubeadm with argv; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const parsed = parseKubeadm(argv);
  if (!parsed.ok) {
    process.stderr.write(`${parsed.message}\n${STACK_HINT}\n`);
    return parsed.exitCode;
  }
  if (parsed.help) {
    process.stdout.write(help(parsed.command));
    return 0;
  }
  try {
    await dispatch(parsed.command, { words: parsed.args, flags: parsed.flags });
    return 0;
  } catch (e) {
    const msg = e instanceof PhaseError ? `error execution phase ${e.phase}: ${e.message}` : (e as Error).message;
    process.stderr.write(`${msg}\n${STACK_HINT}\n`);
    return e instanceof PhaseError ? e.exitCode : 1;
  }
}

// a closed pipe (`kubeadm ... | head`) ends the process quietly, as SIGPIPE ends a Go program
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(141);
  throw e;
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
