/**
 * The lab's ctr (containerd 1.7's cmd/ctr, urfave/cli v1 with Go's flag package: `-f`/`--f`,
 * `--f=v` or `--f v`, no combined short flags): `images ls`, `run`, `containers ls|rm`,
 * `tasks ls|kill|rm`, global -n/--namespace (default "default", or CONTAINERD_NAMESPACE),
 * -a/--address, --timeout, --connect-timeout, --debug. Errors print `ctr: MESSAGE`, exit 1.
 */
import { constants } from 'node:os';
import { imageRefs, listImages } from '../cri/images.js';
import { stopProcess } from '../cri/process.js';
import { run } from './run.js';
import { type CtrContainer, getCtr, listCtr, putCtr, removeCtr, taskStatus } from './store.js';

interface Spec {
  bools: string[];
  valued: string[];
  multi?: string[];
  alias?: Record<string, string>;
  /** Stop at the first positional argument (run: SkipArgReorder). */
  stopAtArg?: boolean;
}

interface Parsed {
  flags: Map<string, string[]>;
  args: string[];
}

class Usage extends Error {}

/** Parse flags as Go's flag package does (urfave/cli v1 moves flags before args unless stopAtArg). */
function parse(argv: string[], spec: Spec): Parsed {
  const flags = new Map<string, string[]>();
  const args: string[] = [];
  const valued = new Set([...spec.valued, ...(spec.multi ?? [])]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-' || (spec.stopAtArg && args.length)) {
      if (spec.stopAtArg) {
        args.push(...argv.slice(i));
        break;
      }
      args.push(a);
      continue;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const raw = eq >= 0 ? body.slice(0, eq) : body;
    const name = spec.alias?.[raw] ?? raw;
    if (spec.bools.includes(name)) {
      flags.set(name, [eq >= 0 ? body.slice(eq + 1) : 'true']);
    } else if (valued.has(name)) {
      let v: string;
      if (eq >= 0) v = body.slice(eq + 1);
      else if (i + 1 < argv.length) v = argv[++i];
      else throw new Usage(`flag needs an argument: -${raw}`);
      flags.set(name, spec.multi?.includes(name) ? [...(flags.get(name) ?? []), v] : [v]);
    } else {
      throw new Usage(`flag provided but not defined: -${raw}`);
    }
  }
  return { flags, args };
}

const on = (p: Parsed, f: string) => p.flags.get(f)?.[0] === 'true';

/** Lines padded into columns as Go's tabwriter (minwidth, padding) does. */
function table(rows: string[][], pad = 4): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i] + pad)))
          .join('')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

const MiB = (n: number) => `${(n / (1 << 20)).toFixed(1)} MiB`;

function imagesCmd(ns: string, argv: string[]): number {
  const [sub, ...rest] = argv;
  if (sub !== 'ls' && sub !== 'list') throw new Error(`lab ctr: images ${sub ?? ''}: only "images ls" is simulated`);
  const p = parse(rest, { bools: ['quiet'], valued: [], alias: { q: 'quiet' } });
  const imgs = listImages(ns)
    .flatMap((r) => imageRefs(r).map((ref) => ({ ref, r })))
    .sort((a, b) => a.ref.localeCompare(b.ref));
  if (on(p, 'quiet')) process.stdout.write(imgs.map((i) => i.ref + '\n').join(''));
  else {
    process.stdout.write(
      table([
        ['REF', 'TYPE', 'DIGEST', 'SIZE', 'PLATFORMS', 'LABELS'],
        ...imgs.map(({ ref, r }) => [
          ref,
          'application/vnd.docker.distribution.manifest.list.v2+json',
          r.digest,
          MiB(r.size),
          'linux/amd64,linux/arm64',
          'io.cri-containerd.image=managed',
        ]),
      ]),
    );
  }
  return 0;
}

function containersCmd(ns: string, argv: string[]): number {
  const [sub, ...rest] = argv;
  if (sub === 'ls' || sub === 'list') {
    const p = parse(rest, { bools: ['quiet'], valued: [], alias: { q: 'quiet' } });
    const cs = listCtr(ns);
    if (on(p, 'quiet')) process.stdout.write(cs.map((c) => c.id + '\n').join(''));
    else process.stdout.write(table([['CONTAINER', 'IMAGE', 'RUNTIME'], ...cs.map((c) => [c.id, c.image, 'io.containerd.runc.v2'])]));
    return 0;
  }
  if (['rm', 'delete', 'del', 'remove'].includes(sub)) {
    const p = parse(rest, { bools: ['keep-snapshot'], valued: [] });
    if (!p.args.length) throw new Error('must specify at least one container to delete');
    let failed = false;
    for (const id of p.args) {
      const c = getCtr(ns, id);
      if (!c) {
        process.stderr.write(`ctr: container "${id}" in namespace "${ns}": not found\n`);
        failed = true;
        continue;
      }
      if (taskStatus(c) === 'RUNNING') {
        process.stderr.write(`ctr: cannot delete a non stopped container: {running 0 0001-01-01 00:00:00 +0000 UTC}\n`);
        failed = true;
        continue;
      }
      removeCtr(c);
    }
    return failed ? 1 : 0;
  }
  throw new Error(`lab ctr: containers ${sub ?? ''}: only ls and rm are simulated`);
}

function need(ns: string, id: string | undefined): CtrContainer {
  if (!id) throw new Error('container id must be provided');
  const c = getCtr(ns, id);
  if (!c) throw new Error(`container "${id}" in namespace "${ns}": not found`);
  return c;
}

async function tasksCmd(ns: string, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'ls' || sub === 'list') {
    const p = parse(rest, { bools: ['quiet'], valued: [], alias: { q: 'quiet' } });
    const ts = listCtr(ns).filter((c) => c.task);
    if (on(p, 'quiet')) process.stdout.write(ts.map((c) => c.id + '\n').join(''));
    else process.stdout.write(table([['TASK', 'PID', 'STATUS'], ...ts.map((c) => [c.id, String(c.task!.pid), taskStatus(c)!])]));
    return 0;
  }
  if (sub === 'kill') {
    const p = parse(rest, { bools: ['all'], valued: ['signal', 'exec-id'], alias: { s: 'signal', a: 'all' } });
    const c = need(ns, p.args[0]);
    const raw = p.flags.get('signal')?.[0] ?? 'SIGTERM';
    const name = /^\d+$/.test(raw) ? raw : raw.toUpperCase().startsWith('SIG') ? raw.toUpperCase() : `SIG${raw.toUpperCase()}`;
    const num = /^\d+$/.test(name) ? Number(name) : (constants.signals as Record<string, number>)[name];
    if (!num) throw new Error(`unknown signal "${raw}"`);
    if (taskStatus(c) !== 'RUNNING') throw new Error(`process already finished: not found`);
    process.kill(c.task!.pid, num);
    return 0;
  }
  if (['rm', 'delete', 'del', 'remove'].includes(sub)) {
    const p = parse(rest, { bools: ['force'], valued: ['exec-id'], alias: { f: 'force' } });
    const c = need(ns, p.args[0]);
    if (!c.task) throw new Error(`no running task found: task ${c.id} not found: not found`);
    if (taskStatus(c) === 'RUNNING') {
      if (!on(p, 'force')) throw new Error('task must be stopped before deletion: running: failed precondition');
      await stopProcess(c.task.pid, c.task.pidStart, 0);
    }
    putCtr({ ...c, task: undefined });
    return 0;
  }
  throw new Error(`lab ctr: tasks ${sub ?? ''}: only ls, kill and rm are simulated`);
}

async function main(argv: string[]): Promise<number> {
  const g = parse(argv, {
    bools: ['debug', 'help', 'version'],
    valued: ['namespace', 'address', 'timeout', 'connect-timeout'],
    alias: { n: 'namespace', a: 'address', h: 'help', v: 'version' },
    stopAtArg: true,
  });
  if (on(g, 'version')) {
    process.stdout.write('ctr github.com/containerd/containerd v1.7.24\n');
    return 0;
  }
  const ns = g.flags.get('namespace')?.[0] ?? process.env.CONTAINERD_NAMESPACE ?? 'default';
  const [cmd, ...rest] = g.args;
  switch (cmd) {
    case 'images':
    case 'image':
    case 'i':
      return imagesCmd(ns, rest);
    case 'containers':
    case 'container':
    case 'c':
      return containersCmd(ns, rest);
    case 'tasks':
    case 'task':
    case 't':
      return tasksCmd(ns, rest);
    case 'run': {
      const p = parse(rest, {
        bools: ['rm', 'detach', 'net-host', 'null-io', 'read-only', 'privileged', 'tty'],
        valued: ['cwd', 'snapshotter', 'runtime', 'pid-file', 'platform'],
        multi: ['mount', 'env', 'label'],
        alias: { d: 'detach', t: 'tty' },
        stopAtArg: true,
      });
      for (const f of ['tty', 'cwd', 'pid-file', 'privileged', 'read-only']) if (p.flags.has(f)) throw new Error(`lab ctr: run --${f} is not simulated`);
      return run({
        namespace: ns,
        rm: on(p, 'rm'),
        detach: on(p, 'detach'),
        netHost: on(p, 'net-host'),
        mounts: p.flags.get('mount') ?? [],
        env: p.flags.get('env') ?? [],
        args: p.args,
      });
    }
    case undefined:
      process.stdout.write('NAME:\n   ctr - \n        __\n  _____/ /______\n\nUSAGE:\n   ctr [global options] command [command options] [arguments...]\n');
      return 0;
    default:
      process.stderr.write(`No help topic for '${cmd}'\n`);
      return 3;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    if (e instanceof Usage) process.stderr.write(`Incorrect Usage: ${e.message}\n\n`);
    process.stderr.write(`ctr: ${e.message}\n`);
    process.exitCode = 1;
  },
);
