/** klog-style log lines on stderr for the simulated control plane. */

function stamp(level: string): string {
  const d = new Date();
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${level}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}000 ${String(process.pid).padStart(7)}`;
}

/** Log an informational line. */
export function info(msg: string): void {
  process.stderr.write(`${stamp('I')} ${msg}\n`);
}

/** Log a warning line. */
export function warn(msg: string): void {
  process.stderr.write(`${stamp('W')} ${msg}\n`);
}

/** Log an error line. */
export function error(msg: string): void {
  process.stderr.write(`${stamp('E')} ${msg}\n`);
}
