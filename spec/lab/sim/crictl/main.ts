/**
 * The lab's crictl: the real CLI's command line (spec/lab/sim/crictl/reference, crictl v1.32.0
 * with urfave/cli v2.27.5), sub-commands and output formats over the simulated runtime's state
 * (/run/lab/cri). What real crictl refuses, this one refuses with the same output and exit code.
 */
import * as cmd from './commands.js';
import { exec } from './exec.js';
import { CRICTL_NAMES, parseCrictl } from './reference/parse.js';

const VERSION = 'crictl version v1.32.0';

function appHelp(): string {
  return `NAME:\n   crictl - client for CRI\n\nUSAGE:\n   crictl [global options] command [command options]\n\nVERSION:\n   v1.32.0\n\nCOMMANDS:\n   ${CRICTL_NAMES.join(', ')}\n`;
}

const handlers: Record<string, (p: { flags: Map<string, string[]>; args: string[] }) => cmd.Out | Promise<cmd.Out>> = {
  ps: cmd.ps,
  pods: cmd.pods,
  stop: cmd.stop,
  rm: cmd.rm,
  stopp: cmd.stopp,
  rmp: cmd.rmp,
  inspect: cmd.inspect,
  inspectp: cmd.inspectp,
  logs: cmd.logs,
  version: cmd.version,
  exec,
};

async function main(argv: string[]): Promise<number> {
  const p = parseCrictl(argv);
  if (!p.ok) {
    if (p.exitCode === 3) {
      process.stderr.write(`${p.message}\n`);
      return 3;
    }
    if (p.usage) process.stdout.write(p.usage + (p.command ? cmd.subcommandHelp(p.command.name) : appHelp()));
    process.stderr.write(cmd.logrus('fatal', p.message));
    return p.exitCode;
  }
  if (p.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (!p.command || p.help) {
    process.stdout.write(p.command ? cmd.subcommandHelp(p.command.name) : appHelp());
    return 0;
  }
  try {
    const out = await handlers[p.command.name]({ flags: p.flags, args: p.args });
    process.stdout.write(out.stdout);
    process.stderr.write(out.stderr);
    return out.code;
  } catch (e) {
    process.stderr.write(cmd.logrus('fatal', (e as Error).message));
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
