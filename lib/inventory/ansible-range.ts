/**
 * Ansible host patterns, as ansible-core 2.14 reads them (plugins/inventory/__init__.py
 * `_expand_hostpattern`, `expand_hostname_range`; parsing/utils/addresses.py `parse_address`):
 * an optional `:port`, then ranges `[1:3]`, `[01:06:2]` (stride), `[a:f]`, `[a:f:2]`, nested.
 */
import { isIPv6 } from 'node:net';

/** Most hosts one pattern may expand to (a typo such as `h[0:99999]` is refused, not expanded). */
export const MAX_RANGE_HOSTS = 10_000;

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

// addresses.py: numeric_range, alphanumeric_range, ipv4_component, label, hostname (re.I).
const NUM_RANGE = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const ALNUM_RANGE = String.raw`\[(?:[a-zA-Z]:[a-zA-Z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const I4 = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${NUM_RANGE})`;
const IPV4 = new RegExp(String.raw`^(?:${I4}\.){3}${I4}$`);
const W = String.raw`[\p{L}\p{N}_]`;
const LABEL = `(?:${W}|${ALNUM_RANGE})(?:${W}|[_-]|${ALNUM_RANGE})*(?<![_-])`;
const HOSTNAME = new RegExp(String.raw`^${LABEL}(?:\.${LABEL})*$`, 'u');
const BRACKETED_HOSTPORT = /^\[(.+)\]:([0-9]+)$/;
const HOSTPORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/;

/** A host pattern that cannot be expanded (Ansible refuses it too). */
export class HostPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostPatternError';
  }
}

/** Python's int() of a string: optional sign, digits with single underscores, surrounding spaces; undefined otherwise. */
function pyInt(s: string): number | undefined {
  const t = s.trim();
  return /^[+-]?\d+(_\d+)*$/.test(t) ? Number(t.replace(/_/g, '')) : undefined;
}

/**
 * Split `host:port` (or `[host]:port`) as parse_address does; when the rest is not a host name,
 * IPv4 or IPv6 address (ranges allowed), the whole pattern is the name and there is no port.
 */
export function splitHostPattern(hostpattern: string): { pattern: string; port?: number } {
  let address = hostpattern;
  let port: number | undefined;
  for (const re of [BRACKETED_HOSTPORT, HOSTPORT]) {
    const m = re.exec(address);
    if (m) {
      address = m[1]!;
      port = Number(m[2]);
    }
  }
  if (IPV4.test(address) || (isIPv6(address) && !address.includes('%')) || HOSTNAME.test(address)) return { pattern: address, port };
  return { pattern: hostpattern };
}

/** Expand every `[begin:end(:step)]` range in `line` as expand_hostname_range does; throws HostPatternError. */
export function expandHostnameRange(line: string, limit = MAX_RANGE_HOSTS): string[] {
  if (!line.includes('[')) return [line];
  const out: string[] = [];
  const expand = (l: string): void => {
    const parts = l.replace('[', '|').replace(']', '|').split('|');
    if (parts.length !== 3) throw new HostPatternError('a host range needs one [ and one ] (and no |)');
    const [head, nrange, tail] = parts as [string, string, string];
    const bounds = nrange.split(':');
    if (bounds.length !== 2 && bounds.length !== 3) throw new HostPatternError('a host range must be [begin:end] or [begin:end:step]');
    const beg = bounds[0] || '0';
    const end = bounds[1]!;
    const step = bounds.length === 3 ? bounds[2]! : '1';
    if (!end) throw new HostPatternError('a host range must give its end value');
    let width = 0;
    if (beg[0] === '0' && beg.length > 1) {
      width = beg.length;
      if (width !== end.length) throw new HostPatternError('a zero-padded host range needs begin and end of the same length');
    }
    const fill = (x: string | number): string => (width ? String(x).padStart(width, '0') : String(x));
    const iBeg = LETTERS.indexOf(beg);
    const iEnd = LETTERS.indexOf(end);
    const st = pyInt(step);
    let seq: (string | number)[];
    if (iBeg >= 0 && iEnd >= 0 && st !== undefined && st !== 0) {
      if (iBeg > iEnd) throw new HostPatternError('a host range must have begin <= end');
      seq = [];
      if (st > 0) for (let i = iBeg; i <= iEnd; i += st) seq.push(LETTERS[i]!);
    } else {
      const b = pyInt(beg);
      const e = pyInt(end);
      if (b === undefined || e === undefined || st === undefined)
        throw new HostPatternError('a host range must be numbers ([1:3], [01:06:2]) or letters ([a:f])');
      if (st === 0) throw new HostPatternError('a host range step must not be 0');
      const count = st > 0 ? Math.max(0, Math.ceil((e + 1 - b) / st)) : Math.max(0, Math.ceil((b - e - 1) / -st));
      if (out.length + count > limit) throw new HostPatternError(`a host range may give at most ${limit} hosts`);
      seq = [];
      if (st > 0) for (let i = b; i < e + 1; i += st) seq.push(i);
      else for (let i = b; i > e + 1; i += st) seq.push(i);
    }
    for (const x of seq) {
      const name = `${head}${fill(x)}${tail}`;
      if (name.includes('[')) expand(name);
      else out.push(name);
      if (out.length > limit) throw new HostPatternError(`a host range may give at most ${limit} hosts`);
    }
  };
  expand(line);
  return out;
}

/** A host pattern as the INI and YAML inventory plugins read it: names and the port given with `:port`. */
export function expandHostPattern(hostpattern: string): { names: string[]; port?: number } {
  const { pattern, port } = splitHostPattern(hostpattern);
  return { names: expandHostnameRange(pattern), port };
}
