/**
 * klog-style log lines on stderr (`I1129 05:20:00.123456    1234 name] message`), as the real
 * control-plane components write them. Never give this a secret value.
 */

function stamp(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}000`;
}

/** A logger tagged with a component or controller name. */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** A logger for a sub-part (`controller-manager/csrsigning`). */
  child(name: string): Logger;
}

/** Make a logger whose lines carry `name`. */
export function logger(name: string): Logger {
  const line = (sev: string, msg: string) => process.stderr.write(`${sev}${stamp()} ${String(process.pid).padStart(7)} ${name}] ${msg}\n`);
  return {
    info: (m) => line('I', m),
    warn: (m) => line('W', m),
    error: (m) => line('E', m),
    child: (n) => logger(`${name}/${n}`),
  };
}
