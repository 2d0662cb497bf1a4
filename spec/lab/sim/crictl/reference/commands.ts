/**
 * crictl v1.32.0's command line as data (kubernetes-sigs/cri-tools, tag v1.32.0, commit
 * b5cf674bb19f574ee488c991ac813c76c08eedaf, cmd/crictl/*.go; urfave/cli v2.27.5): the global
 * flags, and every sub-command kubemend and the lab use with its flags (name, aliases, type) and
 * whether urfave's short-option handling (`-aq` = `-a -q`) is on. Every command also has
 * urfave's `--help, -h`.
 */

/** urfave/cli flag types (how Go's flag package parses the value). */
export type CrictlFlagType = 'bool' | 'string' | 'stringSlice' | 'int' | 'int64' | 'duration';

/** One flag: its name and one-or-more-letter aliases, all usable with `-` or `--`. */
export interface CrictlFlag {
  name: string;
  aliases?: string[];
  type: CrictlFlagType;
}

/** One sub-command. */
export interface CrictlCommand {
  name: string;
  aliases?: string[];
  /** cmd/crictl file that defines it (at tag v1.32.0). */
  file: string;
  flags: CrictlFlag[];
  /** UseShortOptionHandling. */
  shortOptions: boolean;
  /** What the positional arguments are (ArgsUsage). */
  argsUsage: string;
  /** Modelled by the lab's crictl. */
  modelled: boolean;
}

const b = (name: string, ...aliases: string[]): CrictlFlag => ({ name, type: 'bool', ...(aliases.length ? { aliases } : {}) });
const s = (name: string, ...aliases: string[]): CrictlFlag => ({ name, type: 'string', ...(aliases.length ? { aliases } : {}) });
const i = (name: string, ...aliases: string[]): CrictlFlag => ({ name, type: 'int', ...(aliases.length ? { aliases } : {}) });
const i64 = (name: string, ...aliases: string[]): CrictlFlag => ({ name, type: 'int64', ...(aliases.length ? { aliases } : {}) });
const sl = (name: string): CrictlFlag => ({ name, type: 'stringSlice' });

/** The app's global flags (cmd/crictl/main.go), plus urfave's --help/-h and --version/-v. */
export const GLOBAL_FLAGS: CrictlFlag[] = [
  s('config', 'c'),
  s('runtime-endpoint', 'r'),
  s('image-endpoint', 'i'),
  { name: 'timeout', aliases: ['t'], type: 'duration' },
  b('debug', 'D'),
  b('enable-tracing'),
  i('tracing-sampling-rate-per-million'),
  s('tracing-endpoint'),
  s('profile-cpu'),
  s('profile-mem'),
  b('help', 'h'),
  b('version', 'v'),
];

/** The sub-commands the lab models. */
export const CRICTL_COMMANDS: CrictlCommand[] = [
  {
    name: 'ps',
    file: 'container.go',
    shortOptions: true,
    argsUsage: '',
    modelled: true,
    flags: [
      b('verbose', 'v'),
      s('id'),
      s('name'),
      s('pod', 'p'),
      s('image'),
      s('state', 's'),
      sl('label'),
      b('quiet', 'q'),
      s('output', 'o'),
      b('all', 'a'),
      b('latest', 'l'),
      i('last', 'n'),
      b('no-trunc'),
      b('resolve-image-path', 'r'),
      s('namespace'),
    ],
  },
  {
    name: 'pods',
    file: 'sandbox.go',
    shortOptions: true,
    argsUsage: '',
    modelled: true,
    flags: [
      s('id'),
      s('name'),
      s('namespace'),
      s('state', 's'),
      sl('label'),
      b('verbose', 'v'),
      b('quiet', 'q'),
      s('output', 'o'),
      b('latest', 'l'),
      i('last', 'n'),
      b('no-trunc'),
    ],
  },
  { name: 'stop', file: 'container.go', shortOptions: true, argsUsage: 'CONTAINER-ID [CONTAINER-ID...]', modelled: true, flags: [i64('timeout', 't')] },
  {
    name: 'rm',
    file: 'container.go',
    shortOptions: true,
    argsUsage: 'CONTAINER-ID [CONTAINER-ID...]',
    modelled: true,
    flags: [b('force', 'f'), b('keep-logs', 'k'), b('all', 'a')],
  },
  { name: 'stopp', file: 'sandbox.go', shortOptions: false, argsUsage: 'POD-ID [POD-ID...]', modelled: true, flags: [] },
  { name: 'rmp', file: 'sandbox.go', shortOptions: true, argsUsage: 'POD-ID [POD-ID...]', modelled: true, flags: [b('force', 'f'), b('all', 'a')] },
  {
    name: 'inspect',
    file: 'container.go',
    shortOptions: false,
    argsUsage: 'CONTAINER-ID [CONTAINER-ID...]',
    modelled: true,
    flags: [
      s('output', 'o'),
      b('quiet', 'q'),
      s('template'),
      s('name'),
      s('namespace'),
      s('pod', 'p'),
      s('image'),
      s('state', 's'),
      sl('label'),
      b('latest', 'l'),
      i('last', 'n'),
    ],
  },
  {
    name: 'inspectp',
    file: 'sandbox.go',
    shortOptions: true,
    argsUsage: 'POD-ID [POD-ID...]',
    modelled: true,
    flags: [s('output', 'o'), b('quiet', 'q'), s('template'), s('name'), s('namespace'), s('state', 's'), sl('label'), b('latest', 'l'), i('last', 'n')],
  },
  {
    name: 'logs',
    file: 'logs.go',
    shortOptions: true,
    argsUsage: 'CONTAINER-ID',
    modelled: true,
    flags: [b('follow', 'f'), b('previous', 'p'), b('reopen', 'r'), i64('tail'), i64('limit-bytes'), s('since'), b('timestamps', 't')],
  },
  {
    name: 'exec',
    file: 'exec.go',
    shortOptions: true,
    argsUsage: '[CONTAINER-ID] COMMAND [ARG...]',
    modelled: true,
    flags: [
      b('sync', 's'),
      i64('timeout'),
      b('tty', 't'),
      b('interactive', 'i'),
      s('transport', 'r'),
      s('name'),
      s('pod', 'p'),
      s('image'),
      s('state'),
      sl('label'),
      b('latest', 'l'),
      i('last', 'n'),
      b('quiet', 'q'),
      b('ignore-errors', 'e'),
      b('parallel', 'x'),
      s('tls-sni', 'tls-server-name'),
      s('tls-ca'),
      s('tls-cert'),
      s('tls-key'),
    ],
  },
  { name: 'version', file: 'version.go', shortOptions: false, argsUsage: '', modelled: true, flags: [] },
];

/** crictl v1.32.0's other sub-commands (main.go's list): known, not modelled by the lab. */
export const OTHER_COMMANDS = [
  'attach',
  'checkpoint',
  'completion',
  'config',
  'create',
  'events',
  'imagefsinfo',
  'images',
  'info',
  'inspecti',
  'metricsp',
  'port-forward',
  'pull',
  'rmi',
  'run',
  'runp',
  'runtime-config',
  'start',
  'stats',
  'statsp',
  'update',
  'update-runtime-config',
  'help',
];

/** The sub-command called `name` (or an alias). */
export function crictlCommand(name: string): CrictlCommand | undefined {
  return CRICTL_COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
}
