/**
 * known_hosts: parse OpenSSH's file (plain and hashed names, `[host]:port`, markers,
 * comments), decide about an offered host key, and record a newly accepted one.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFile, chmod, mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One usable line of a known_hosts file. */
export interface KnownHostEntry {
  /** `@revoked` or `@cert-authority`, when the line had a marker. */
  marker?: 'revoked' | 'cert-authority';
  /** The host field: comma-separated patterns, or one hashed `|1|salt|hash` name. */
  hosts: string;
  keyType: string;
  /** The key blob (base64-decoded). */
  key: Buffer;
  /** 1-based line number in the file. */
  line: number;
}

/** Parse known_hosts text; blank lines, comments and malformed lines are skipped. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (!raw || raw.startsWith('#')) continue;
    const f = raw.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (f[0]!.startsWith('@')) {
      const m = f.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue;
    }
    if (f.length < 3) continue;
    const [hosts, keyType, b64] = f as [string, string, string];
    if (!/^[A-Za-z0-9+/]+=*$/.test(b64)) continue;
    const key = Buffer.from(b64, 'base64');
    if (key.length < 4) continue;
    out.push({ marker, hosts, keyType, key, line: i + 1 });
  }
  return out;
}

/** The name OpenSSH looks up for host:port: `host` on 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Compiled host patterns (each connection checks every entry: compiling once keeps 200 hosts linear). */
const patterns = new Map<string, (name: string) => boolean>();

/** A matcher for one OpenSSH host pattern (`*` and `?` wildcards, case-insensitive). */
function patternMatcher(glob: string): (name: string) => boolean {
  let m = patterns.get(glob);
  if (!m) {
    if (!/[*?]/.test(glob)) {
      const lower = glob.toLowerCase();
      m = (name) => name.toLowerCase() === lower;
    } else {
      const re = new RegExp(
        `^${glob
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
        'i',
      );
      m = (name) => re.test(name);
    }
    patterns.set(glob, m);
  }
  return m;
}

/** True when an entry's host field matches `name` (the knownHostsName form). */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const pat of field.split(',')) {
    if (!pat) continue;
    const negated = pat.startsWith('!');
    const p = negated ? pat.slice(1) : pat;
    if (patternMatcher(p)(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** The key type named inside a key blob (its first SSH string), e.g. `ssh-ed25519`. */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  if (n > blob.length - 4) return 'unknown';
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** OpenSSH's fingerprint of a key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** What to do with an offered host key. */
export type HostKeyDecision =
  | { verdict: 'known'; fingerprint: string }
  | { verdict: 'unknown'; fingerprint: string; keyType: string }
  | { verdict: 'changed'; fingerprint: string; expected: string[]; lines: number[] }
  | { verdict: 'revoked'; fingerprint: string; lines: number[] };

/**
 * Decide about `offered` for `name` (knownHostsName form): revoked -> refuse; recorded -> ok;
 * other keys recorded for this name (any type) -> changed; none -> unknown.
 */
export function decideHostKey(entries: readonly KnownHostEntry[], name: string, offered: Buffer): HostKeyDecision {
  const fp = fingerprint(offered);
  const mine = entries.filter((e) => e.marker !== 'cert-authority' && hostFieldMatches(e.hosts, name));
  const revoked = mine.filter((e) => e.marker === 'revoked' && e.key.equals(offered));
  if (revoked.length) return { verdict: 'revoked', fingerprint: fp, lines: revoked.map((e) => e.line) };
  const plain = mine.filter((e) => e.marker === undefined);
  if (plain.some((e) => e.key.equals(offered))) return { verdict: 'known', fingerprint: fp };
  if (plain.length) {
    return {
      verdict: 'changed',
      fingerprint: fp,
      expected: [...new Set(plain.map((e) => `${e.keyType} ${fingerprint(e.key)}`))],
      lines: plain.map((e) => e.line),
    };
  }
  return { verdict: 'unknown', fingerprint: fp, keyType: keyTypeOf(offered) };
}

/** The known_hosts line that records `blob` for host:port. */
export function knownHostsLine(host: string, port: number, blob: Buffer): string {
  return `${knownHostsName(host, port)} ${keyTypeOf(blob)} ${blob.toString('base64')}`;
}

/** Reads and parses a known_hosts file; a missing file is empty. */
export async function loadKnownHosts(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`reading known_hosts ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Appends one line for host:port to the known_hosts file (created with mode 0600). */
export async function recordHostKey(file: string, host: string, port: number, blob: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  // a file without a trailing newline must not glue our line to its last one
  let prefix = '';
  try {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      if (size > 0) {
        const b = Buffer.alloc(1);
        await fh.read(b, 0, 1, size - 1);
        if (b[0] !== 0x0a) prefix = '\n';
      }
    } finally {
      await fh.close();
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await appendFile(file, `${prefix}${knownHostsLine(host, port, blob)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
}
