/**
 * The lab's crictl: the real CLI's subcommands and output formats over the simulated runtime's
 * state (/run/lab/cri). Global flags (--runtime-endpoint, -r, --timeout, --debug) are accepted.
 */
import { flagSpec, parseFlags, type FlagSpec, type Parsed } from './args.js';
import * as cmd from './commands.js';

const specs: Record<string, FlagSpec> = {
  ps: flagSpec(['all', 'quiet', 'no-trunc', 'latest', 'verbose', 'resolve-image-path'], ['name', 'pod', 'state', 'output', 'label', 'id', 'last', 'image'], {
    a: 'all', q: 'quiet', o: 'output', s: 'state', p: 'pod', l: 'latest', n: 'last', v: 'verbose',
  }),
  pods: flagSpec(['quiet', 'no-trunc', 'latest', 'verbose'], ['name', 'namespace', 'state', 'output', 'label', 'id', 'last'], {
    q: 'quiet', o: 'output', s: 'state', l: 'latest', n: 'last', v: 'verbose',
  }),
  stop: flagSpec([], ['timeout'], { t: 'timeout' }),
  rm: flagSpec(['force', 'all'], [], { f: 'force', a: 'all' }),
  stopp: flagSpec([], []),
  rmp: flagSpec(['force', 'all'], [], { f: 'force', a: 'all' }),
  inspect: flagSpec([], ['output', 'template'], { o: 'output' }),
  inspectp: flagSpec([], ['output', 'template'], { o: 'output' }),
  logs: flagSpec(['follow', 'timestamps', 'previous'], ['tail', 'since', 'limit-bytes'], { f: 'follow', t: 'timestamps', p: 'previous' }),
  version: flagSpec([], []),
};

const GLOBAL_VALUED = new Set(['-r', '--runtime-endpoint', '-i', '--image-endpoint', '-t', '--timeout', '-c', '--config']);
const GLOBAL_BOOL = new Set(['-D', '--debug', '--enable-tracing']);

async function main(argv: string[]): Promise<number> {
  let i = 0;
  while (i < argv.length && argv[i].startsWith('-')) {
    const a = argv[i].split('=')[0];
    if (GLOBAL_VALUED.has(a)) i += argv[i].includes('=') ? 1 : 2;
    else if (GLOBAL_BOOL.has(a)) i += 1;
    else if (a === '--version' || a === '-v') {
      process.stdout.write('crictl version v1.32.0\n');
      return 0;
    } else {
      process.stderr.write(cmd.logrus('fatal', `flag provided but not defined: ${argv[i]}`));
      return 1;
    }
  }
  const sub = argv[i];
  const spec = sub ? specs[sub] : undefined;
  if (!sub || !spec) {
    if (sub) {
      process.stderr.write(`No help topic for '${sub}'\n`);
      return 3;
    }
    process.stdout.write('NAME:\n   crictl - client for CRI\n\nUSAGE:\n   crictl [global options] command [command options]\n\nCOMMANDS:\n   inspect, inspectp, logs, pods, ps, rm, rmp, stop, stopp, version\n');
    return 0;
  }
  let parsed: Parsed;
  try {
    parsed = parseFlags(argv.slice(i + 1), spec);
  } catch (e) {
    process.stderr.write(`Incorrect Usage: ${(e as Error).message}\n\n`);
    process.stderr.write(cmd.logrus('fatal', (e as Error).message));
    return 1;
  }
  const handlers: Record<string, (p: Parsed) => cmd.Out | Promise<cmd.Out>> = {
    ps: cmd.ps, pods: cmd.pods, stop: cmd.stop, rm: cmd.rm, stopp: cmd.stopp, rmp: cmd.rmp,
    inspect: cmd.inspect, inspectp: cmd.inspectp, logs: cmd.logs, version: cmd.version,
  };
  try {
    const out = await handlers[sub](parsed);
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
