/**
 * `ctr run`: a container from an image of the namespace, its task a process in its own mount
 * namespace (unshare) chrooted into a root filesystem made of the image's files and the --mount
 * binds; the host's network with --net-host, a new empty one without. Attached (no -d): ctr waits,
 * forwards signals to the task, exits with its code and, with --rm, deletes the container.
 * Refusals as containerd 1.7's cmd/ctr/commands/run/run.go and run_unix.go.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { findImage } from '../cri/images.js';
import { procStart } from '../cri/process.js';
import { IMAGE_PATH, imageFiles, lookPath } from './image-fs.js';
import { type CtrContainer, getCtr, putCtr, removeCtr, taskDir } from './store.js';

/** A parsed `--mount` (type=bind,src=...,dst=...,options=rbind:rw). */
export interface MountSpec {
  type: string;
  source: string;
  destination: string;
  options: string[];
}

/** Parse one --mount value as ctr's parseMountFlag does (csv of key=val). */
export function parseMountFlag(m: string): MountSpec {
  const out: MountSpec = { type: '', source: '', destination: '', options: [] };
  for (const field of m.split(',')) {
    const i = field.indexOf('=');
    if (i < 0) throw new Error('invalid mount specification: expected key=val');
    const [key, val] = [field.slice(0, i), field.slice(i + 1)];
    if (key === 'type') out.type = val;
    else if (key === 'source' || key === 'src') out.source = val;
    else if (key === 'destination' || key === 'dst') out.destination = val;
    else if (key === 'options') out.options = val.split(':');
    else throw new Error(`mount option "${key}" not supported`);
  }
  return out;
}

/** The run's options. */
export interface RunOptions {
  namespace: string;
  rm: boolean;
  detach: boolean;
  netHost: boolean;
  mounts: string[];
  env: string[];
  args: string[];
}

/**
 * Mounts the rootfs inside the new mount namespace, then execs chroot (same pid: unshare, sh,
 * env and chroot all exec). Args: ROOT NOPS, NOPS x (SRC DST KIND[file|dir|rdir] MODE[ro|rw]),
 * then NAME=VALUE... chroot ROOT COMMAND... (what `env -i` runs).
 */
const SETUP = `set -e
root=$1 n=$2; shift 2
mount -t tmpfs -o mode=0755,size=4m lab-ctr-rootfs "$root"
mkdir -p "$root/proc" "$root/dev" "$root/etc" "$root/tmp" "$root/usr/local/bin" "$root/bin"
chmod 1777 "$root/tmp"
mount --rbind /proc "$root/proc"; mount --rbind /dev "$root/dev"
while [ "$n" -gt 0 ]; do
  src=$1 dst=$root$2 kind=$3 mode=$4; shift 4; n=$((n - 1))
  if [ "$kind" = file ]; then mkdir -p "$(dirname "$dst")"; [ -e "$dst" ] || : > "$dst"; mount --bind "$src" "$dst"
  elif [ "$kind" = rdir ]; then mkdir -p "$dst"; mount --rbind "$src" "$dst"
  else mkdir -p "$dst"; mount --bind "$src" "$dst"; fi
  if [ "$mode" = ro ]; then mount -o remount,bind,ro "$dst"; fi
done
ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"
exec env -i "$@"
`;

/** Run a container; returns the exit code ctr exits with. Throws ctr-style errors. */
export async function run(o: RunOptions): Promise<number> {
  const [ref, id, ...cmd] = o.args;
  if (!ref) throw new Error('image ref must be provided');
  if (!id) throw new Error('container id must be provided');
  if (o.rm && o.detach) throw new Error('flags --detach and --rm cannot be specified together');
  const image = findImage(o.namespace, ref);
  if (!image) throw new Error(`image "${ref}": not found`);
  if (getCtr(o.namespace, id)) throw new Error(`container "${id}": already exists`);
  const files = imageFiles(image.name);
  if (!files) throw new Error(`lab ctr: the lab cannot run image ${image.name} (only the etcd image is simulated)`);
  const mounts = o.mounts.map(parseMountFlag);
  const args = cmd.length ? cmd : ['etcd'];
  const c: CtrContainer = {
    id,
    namespace: o.namespace,
    image: image.name,
    args,
    createdAt: new Date().toISOString(),
    rootfs: `${taskDir(o.namespace, id)}/rootfs`,
  };
  putCtr(c);
  const failCreate = (why: string): never => {
    if (o.rm) removeCtr(c);
    throw new Error(`failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${why}: unknown`);
  };
  const exe = lookPath(args[0], files);
  if (!exe) failCreate(`exec: "${args[0]}": executable file not found in $PATH`);
  for (const m of mounts) {
    if (m.type !== 'bind') failCreate(`lab ctr: mount type "${m.type}" is not simulated (bind only)`);
    if (!m.destination.startsWith('/'))
      failCreate(`error during container init: error mounting "${m.source}" to rootfs at "${m.destination}": mount destination ${m.destination} not absolute`);
    if (!existsSync(m.source))
      failCreate(`error during container init: error mounting "${m.source}" to rootfs at "${m.destination}": stat ${m.source}: no such file or directory`);
  }
  mkdirSync(c.rootfs, { recursive: true });
  const ops: string[] = [];
  for (const f of files) ops.push(f.from, f.path, f.kind, 'ro');
  for (const m of mounts) {
    const kind = statSync(m.source).isDirectory() ? (m.options.includes('rbind') ? 'rdir' : 'dir') : 'file';
    ops.push(m.source, m.destination, kind, m.options.includes('ro') ? 'ro' : 'rw');
  }
  if (o.netHost) for (const f of ['/etc/hosts', '/etc/resolv.conf']) if (existsSync(f)) ops.push(f, f, 'file', 'ro');
  const env = [`PATH=${IMAGE_PATH}`, ...o.env];
  const argv = [
    '--mount',
    '--propagation',
    'private',
    ...(o.netHost ? [] : ['--net']),
    '--',
    '/bin/sh',
    '-c',
    SETUP,
    'sh',
    c.rootfs,
    String(ops.length / 4),
    ...ops,
    ...env,
    'chroot',
    c.rootfs,
    ...args,
  ];
  const child = spawn('unshare', argv, { detached: true, stdio: o.detach ? 'ignore' : 'inherit' });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', (e) => reject(new Error(`failed to create shim task: ${e.message}`)));
  });
  putCtr({ ...c, task: { pid, pidStart: procStart(pid) } });
  if (o.detach) {
    child.unref();
    return 0;
  }
  const forward = (sig: NodeJS.Signals) => () => {
    try {
      process.kill(pid, sig);
    } catch {
      // gone
    }
  };
  const sigs: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  const handlers = sigs.map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  const code = await new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 1) : 1))),
  );
  for (const [s, h] of handlers) process.off(s, h);
  const now = getCtr(o.namespace, id);
  if (o.rm) removeCtr(c);
  else if (now) putCtr({ ...now, task: undefined });
  return code;
}
