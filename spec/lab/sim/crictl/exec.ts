/**
 * `crictl exec` (cmd/crictl/exec.go, v1.32.0) over the lab's runtime: runs a command "in" a
 * running container, with only the container image's programs on its PATH (image-root.ts), stdout and stderr streamed (stdin only with -i), cwd the image's workdir. As the
 * real one: a command that exits non-zero makes crictl print
 * `execing command in container ID: command terminated with exit code N` as a fatal line and
 * exit 1 (not N); with filter flags (--name, --label, ...) instead of an id it runs in every
 * match, printing `ID:` first unless -q or -x; -t needs -i and a terminal.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { imageRoot } from './image-root.js';
import { containersNow } from '../cri/runtime.js';
import { type Parsed, bool } from './args.js';
import { type Out, listContainersFiltered, logrus, subcommandHelp } from './commands.js';

const FILTERS = ['name', 'pod', 'image', 'state', 'label', 'latest', 'last'];

/** Run the command in one container; resolves the command's exit code (or throws crictl's wrapped error). */
async function execIn(given: string, cmd: string[], o: Parsed, stdio: { out: (b: Buffer) => void; err: (b: Buffer) => void }): Promise<void> {
  const all = containersNow();
  const hits = all.filter((c) => c.id.startsWith(given));
  if (hits.length !== 1) {
    throw new Error(
      `execing command in container ${given}: rpc error: code = NotFound desc = an error occurred when try to find container "${given}": not found`,
    );
  }
  const c = hits[0];
  if (c.state !== 'CONTAINER_RUNNING') {
    throw new Error(`execing command in container ${given}: rpc error: code = FailedPrecondition desc = container is in ${c.state} state`);
  }
  if (bool(o, 'tty')) {
    if (!bool(o, 'interactive')) throw new Error(`execing command in container ${given}: tty=true must be specified with interactive=true`);
    if (!process.stdin.isTTY) throw new Error(`execing command in container ${given}: input is not a terminal`);
  }
  const img = imageRoot(c.image);
  if (!img) throw new Error(`execing command in container ${given}: the lab does not model exec into image ${c.image} (spec/lab/sim/ctr/image-fs.ts)`);
  const bin = img.resolve(cmd[0]);
  if (!bin) {
    // runc cannot start it; containerd's streaming server answers with an internal error
    const execId = randomBytes(32).toString('hex');
    throw new Error(
      `execing command in container ${given}: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec ${JSON.stringify(execId)}: OCI runtime exec failed: exec failed: unable to start container process: exec: ${JSON.stringify(cmd[0])}: executable file not found in $PATH: unknown`,
    );
  }
  let hostname = '';
  try {
    hostname = readFileSync('/etc/hostname', 'utf8').trim();
  } catch {
    /* none */
  }
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(bin, cmd.slice(1), {
      argv0: cmd[0],
      cwd: img.workdir,
      env: { PATH: img.path, HOSTNAME: hostname },
      stdio: [bool(o, 'interactive') ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', stdio.out);
    child.stderr!.on('data', stdio.err);
    if (child.stdin) process.stdin.pipe(child.stdin);
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 + 9 : 1)));
  });
  if (code !== 0) throw new Error(`execing command in container ${given}: command terminated with exit code ${code}`);
}

/** `crictl exec [flags] [CONTAINER-ID] COMMAND [ARG...]`. */
export async function exec(o: Parsed): Promise<Out> {
  if (o.args.length < 1) return { stdout: subcommandHelp('exec'), stderr: '', code: 0 };
  let targets: { id: string; given: string }[];
  let cmd: string[];
  let printId = false;
  if (FILTERS.some((f) => o.flags.has(f))) {
    const found = listContainersFiltered(o);
    if (!Array.isArray(found)) return found;
    if (found.length === 0) return { stdout: subcommandHelp('exec'), stderr: logrus('error', 'No containers found per filter flags'), code: 0 };
    targets = found.map((c) => ({ id: c.id, given: c.id }));
    cmd = o.args;
    printId = !bool(o, 'quiet') && !bool(o, 'parallel');
  } else {
    if (o.args.length < 2) return { stdout: subcommandHelp('exec'), stderr: '', code: 0 };
    targets = [{ id: o.args[0], given: o.args[0] }];
    cmd = o.args.slice(1);
  }
  const sync = bool(o, 'sync');
  const errors: string[] = [];
  for (const t of targets) {
    if (printId) process.stdout.write(`${t.id}:\n`);
    const outBuf: Buffer[] = [];
    const errBuf: Buffer[] = [];
    const stdio = sync
      ? { out: (b: Buffer) => outBuf.push(b), err: (b: Buffer) => errBuf.push(b) }
      : { out: (b: Buffer) => process.stdout.write(b), err: (b: Buffer) => process.stderr.write(b) };
    try {
      await execIn(t.given, cmd, o, stdio);
      // ExecSync prints stdout then stderr, each with fmt.Println
      if (sync) process.stdout.write(`${Buffer.concat(outBuf).toString()}\n${Buffer.concat(errBuf).toString()}\n`);
    } catch (e) {
      const msg = (e as Error).message;
      if (sync && / command terminated with exit code /.test(msg)) {
        process.stdout.write(`${Buffer.concat(outBuf).toString()}\n${Buffer.concat(errBuf).toString()}\n`);
        errors.push('non-zero exit code');
      } else {
        errors.push(msg);
      }
    }
  }
  if (errors.length === 0 || bool(o, 'ignore-errors')) return { stdout: '', stderr: '', code: 0 };
  // errorUtils.AggregateGoroutines: one error is printed as is, several as [a, b]
  return { stdout: '', stderr: logrus('fatal', errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`), code: 1 };
}
