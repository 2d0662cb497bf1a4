/** Output helpers: kubeadm prints progress on stdout and warnings/errors on stderr. */

/** Print a line on stdout. */
export function say(line: string): void {
  process.stdout.write(line + '\n');
}

/** Print a klog-style warning line on stderr (`W1129 05:20:01.123456  1234 file.go:1] msg`). */
export function warn(msg: string, src = 'kubeadm.go:1'): void {
  const d = new Date();
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const head = `W${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds() * 1000, 6)}`;
  process.stderr.write(`${head} ${String(process.pid).padStart(7)} ${src}] ${msg}\n`);
}

/** An error that ends a kubeadm phase: printed as `error execution phase <phase>: <msg>`. */
export class PhaseError extends Error {
  constructor(
    readonly phase: string,
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Wrap an error message with context, like Go's errors.Wrap. */
export function wrap(context: string, e: unknown): Error {
  return new Error(`${context}: ${e instanceof Error ? e.message : String(e)}`);
}
