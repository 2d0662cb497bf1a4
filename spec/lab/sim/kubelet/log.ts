/**
 * klog-style log lines, as the real kubelet writes them to the journal
 * (`I1129 05:20:00.123456    1234 kubelet.go:123] "message" key="value"`). Secrets are redacted.
 */
import { redact } from '../../../../lib/shell/secret.js';

function stamp(level: string, file: string): string {
  const d = new Date();
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const us = pad(d.getUTCMilliseconds(), 3) + '000';
  return `${level}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${us} ${String(process.pid).padStart(7)} ${file}]`;
}

function kv(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([k, v]) => ` ${k}=${typeof v === 'string' ? JSON.stringify(v) : v instanceof Error ? JSON.stringify(v.message) : JSON.stringify(v)}`)
    .join('');
}

function write(level: string, file: string, msg: string, fields: Record<string, unknown>): void {
  process.stdout.write(redact(`${stamp(level, file)} ${JSON.stringify(msg)}${kv(fields)}\n`));
}

/** Info line. */
export function info(file: string, msg: string, fields: Record<string, unknown> = {}): void {
  write('I', file, msg, fields);
}

/** Warning line. */
export function warn(file: string, msg: string, fields: Record<string, unknown> = {}): void {
  write('W', file, msg, fields);
}

/** Error line. */
export function error(file: string, msg: string, fields: Record<string, unknown> = {}): void {
  write('E', file, msg, fields);
}

/** Error message of anything thrown. */
export function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
