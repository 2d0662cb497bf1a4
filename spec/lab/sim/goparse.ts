/**
 * Go's strconv and time parsers as the lab's simulated Go tools need them, with Go's own error
 * texts (strconv.ParseBool, strconv.ParseInt, time.ParseDuration in Go 1.23, the toolchain of
 * kubeadm v1.32 and crictl v1.32).
 */

/** A Go parse error: `message` is what Go's err.Error() prints. */
export class GoParseError extends Error {}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** strconv.ParseBool. */
export function parseBool(s: string): boolean {
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  throw new GoParseError(`strconv.ParseBool: parsing ${JSON.stringify(s)}: invalid syntax`);
}

/** A leading + or - taken off: [negative, rest]. */
function sign(s: string): [boolean, string] {
  return s.startsWith('+') || s.startsWith('-') ? [s[0] === '-', s.slice(1)] : [false, s];
}

/** strconv.ParseInt(s, base, bits) for base 10 or 0 (0x, 0o, 0b, 0 prefixes and `_` with base 0). */
export function parseGoInt(s: string, base: 0 | 10, bits: 32 | 64): number {
  const q = JSON.stringify(s);
  let [neg, t] = sign(s);
  let radix = 10;
  if (base === 0) {
    if (/^0[xX]/.test(t)) (radix = 16), (t = t.slice(2));
    else if (/^0[oO]/.test(t)) (radix = 8), (t = t.slice(2));
    else if (/^0[bB]/.test(t)) (radix = 2), (t = t.slice(2));
    else if (/^0\d/.test(t)) (radix = 8), (t = t.slice(1));
    if (/^_|__|_$/.test(t)) throw new GoParseError(`strconv.ParseInt: parsing ${q}: invalid syntax`);
    t = t.replace(/_/g, '');
  }
  const digits = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^\d+$/, 16: /^[0-9a-fA-F]+$/ }[radix as 2 | 8 | 10 | 16];
  if (!digits.test(t)) throw new GoParseError(`strconv.ParseInt: parsing ${q}: invalid syntax`);
  const v = BigInt(neg ? -1 : 1) * BigInt(radix === 10 ? t : `0${{ 2: 'b', 8: 'o', 16: 'x' }[radix as 2 | 8 | 16]}${t}`);
  const max = (1n << BigInt(bits - 1)) - 1n;
  if (v > max || v < -max - 1n) throw new GoParseError(`strconv.ParseInt: parsing ${q}: value out of range`);
  return Number(v);
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** time.ParseDuration, in milliseconds (sub-millisecond parts kept as fractions). */
export function parseDuration(s: string): number {
  const q = JSON.stringify(s);
  let [neg, t] = sign(s);
  if (t === '0') return 0;
  if (t === '') throw new GoParseError(`time: invalid duration ${q}`);
  let total = 0;
  while (t !== '') {
    const num = /^(\d*)(?:\.(\d*))?/.exec(t)!;
    if (num[0] === '' || num[0] === '.' || (num[1] === '' && (num[2] ?? '') === '')) throw new GoParseError(`time: invalid duration ${q}`);
    t = t.slice(num[0].length);
    const unit = /^[^\d.]*/.exec(t)![0];
    if (unit === '') throw new GoParseError(`time: missing unit in duration ${q}`);
    const ms = UNITS[unit];
    if (ms === undefined) throw new GoParseError(`time: unknown unit ${JSON.stringify(unit)} in duration ${q}`);
    total += Number(`${num[1] || '0'}.${num[2] || '0'}`) * ms;
    t = t.slice(unit.length);
  }
  return neg ? -total : total;
}
