/**
 * ~/.ssh/config lookups (HostName, User, Port, IdentityFile, ProxyJump). When OpenSSH is installed,
 * `ssh -G HOST` is the reference answer (Include, Match, tokens, the system config): it is asked
 * through a wrapper config whose last `Host *` block sets sentinel values, so a value the real
 * config does not set shows as the sentinel, not as ssh's default. Without ssh, the ssh-config
 * package reads the file, with its `Include`s followed (Match exec is never evaluated).
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, isAbsolute, join, sep } from 'node:path';
import picomatch from 'picomatch';
import SSHConfig from 'ssh-config';

/** What ~/.ssh/config says about one host (raw strings, unvalidated). */
export interface SshConfigEntry {
  hostName?: string;
  user?: string;
  port?: string;
  identityFiles: string[];
  proxyJump?: string;
  proxyCommand?: string;
}

/** Look up hosts in the ssh config. */
export interface SshConfigLookup {
  /** Where its answers come from, as origins show it: `ssh -G` or the config file's path. */
  readonly source: string;
  /** Settings for a host, matched by its inventory name first, then by its address. */
  lookup(name: string, address?: string): SshConfigEntry;
  /** Look these names up ahead (in parallel), so lookup() answers from memory. */
  prefetch(names: readonly string[]): Promise<void>;
}

/** The default ssh config path (`~/.ssh/config`). */
export function defaultSshConfigPath(): string {
  return join(homedir(), '.ssh', 'config');
}

/** OpenSSH's system-wide client config. */
const SYSTEM_CONFIG = '/etc/ssh/ssh_config';
/** A host name no Host pattern but a wildcard matches. */
const NO_SUCH_HOST = 'kubemend-no-such-host.invalid';
/** Most files an Include may pull in, nested, as ssh's READCONF_MAX_DEPTH. */
const MAX_INCLUDE_DEPTH = 16;

/** `ssh` on PATH, or undefined. */
export function findSsh(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const forced = env.KUBEMEND_SSH;
  if (forced !== undefined && forced !== '') return /^(0|off|no|false|never)$/i.test(forced) ? undefined : forced;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      if (statSync(join(dir, 'ssh')).isFile()) return join(dir, 'ssh');
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** Files a glob pattern names (globs in any path component), sorted as glob(3) sorts them. */
function globFiles(pattern: string): string[] {
  const parts = pattern.split(sep).filter((p, i) => p !== '' || i === 0);
  let found = [parts[0] === '' ? sep : parts[0]!];
  for (const part of parts.slice(1)) {
    const next: string[] = [];
    for (const dir of found) {
      if (!/[*?[]/.test(part)) next.push(join(dir, part));
      else {
        let names: string[] = [];
        try {
          names = readdirSync(dir);
        } catch {
          /* no such folder: matches nothing */
        }
        const isMatch = picomatch(part, { dot: false });
        next.push(
          ...names
            .filter((n) => isMatch(n))
            .sort()
            .map((n) => join(dir, n)),
        );
      }
    }
    found = next;
  }
  return found.filter((f) => {
    try {
      return statSync(f).isFile();
    } catch {
      return false;
    }
  });
}

/** The words of an ssh config line (double quotes group words). */
function configWords(s: string): string[] {
  return [...s.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

/**
 * The text of an ssh config with every `Include` inlined (relative paths are under ~/.ssh for a
 * user config, /etc/ssh for the system one, as ssh_config(5) says). An Include inside a Host or
 * Match block is followed by that block's header again, so the block goes on after it.
 */
export function expandIncludes(path: string, system = false, depth = 0, home = homedir(), seen: { nested: boolean } = { nested: false }): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && depth > 0) return '';
    throw err;
  }
  const out: string[] = [];
  let header: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(\w+)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    const key = m?.[1]?.toLowerCase();
    if (key === 'host' || key === 'match') header = line;
    if (key !== 'include') {
      out.push(line);
      continue;
    }
    if (depth >= MAX_INCLUDE_DEPTH) throw new Error(`${path}: Include nested more than ${MAX_INCLUDE_DEPTH} deep`);
    if (header) seen.nested = true;
    for (const word of configWords(m![2]!)) {
      const p = word.startsWith('~/') ? join(home, word.slice(2)) : isAbsolute(word) ? word : join(system ? '/etc/ssh' : join(home, '.ssh'), word);
      for (const f of globFiles(p)) out.push(expandIncludes(f, system, depth + 1, home, seen));
    }
    if (header) out.push(header);
  }
  return out.join('\n');
}

/** The text of a config with its Includes inlined; '' when the file does not exist. */
function readConfigText(path: string, system = false, seen?: { nested: boolean }): string {
  try {
    return expandIncludes(path, system, 0, homedir(), seen);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new Error(`reading ssh config ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** kubemend's reader over a config text (the ssh-config package; Match exec never run). */
function readerOf(path: string, text: string): SshConfigLookup {
  let config: SSHConfig;
  try {
    config = SSHConfig.parse(text);
  } catch (err) {
    throw new Error(`parsing ssh config ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
  const many = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return memoryLookup(path, (host) => {
    const c = config.compute(host, { ignoreCase: true, matchExec: false }) as Record<string, string | string[]>;
    const hostName = one(c.hostname);
    return {
      // %h in HostName is the name looked up (ssh expands it; so does ssh -G)
      hostName: hostName?.replace(/%([h%])/g, (_m, t: string) => (t === 'h' ? host : '%')),
      user: one(c.user),
      port: one(c.port),
      identityFiles: many(c.identityfile),
      proxyJump: one(c.proxyjump),
      proxyCommand: one(c.proxycommand),
    };
  });
}

/**
 * A lookup over `one` (the settings for one name): a value only wildcards give (what a name no
 * section matches gets) loses to one a section matching the address gives.
 */
function memoryLookup(
  source: string,
  one: (host: string) => SshConfigEntry,
  prefetch: (names: readonly string[]) => Promise<Map<string, SshConfigEntry>> = async () => new Map(),
): SshConfigLookup {
  const cache = new Map<string, SshConfigEntry>();
  const get = (h: string): SshConfigEntry => {
    let e = cache.get(h);
    if (!e) cache.set(h, (e = one(h)));
    return e;
  };
  return {
    source,
    lookup(name, address) {
      const base = get(NO_SUCH_HOST);
      const a = get(name);
      const b = address && address !== name ? get(address) : { identityFiles: [] };
      const pickOne = (k: 'hostName' | 'user' | 'port' | 'proxyJump' | 'proxyCommand'): string | undefined => {
        const [va, vb, v0] = [a[k], b[k], base[k]];
        if (va !== undefined && va !== v0) return va;
        return vb ?? va;
      };
      return {
        hostName: pickOne('hostName'),
        user: pickOne('user'),
        port: pickOne('port'),
        identityFiles: [...new Set([...a.identityFiles, ...b.identityFiles])],
        proxyJump: pickOne('proxyJump'),
        proxyCommand: pickOne('proxyCommand'),
      };
    },
    async prefetch(names) {
      const todo = [...new Set([NO_SUCH_HOST, ...names])].filter((n) => !cache.has(n));
      for (const [k, v] of await prefetch(todo)) cache.set(k, v);
    },
  };
}

const SENTINEL = { user: 'kubemend-unset', port: '1', hostName: 'kubemend-unset.invalid', identityFile: '/kubemend-unset' };

/** Parse `ssh -G` output into the settings the real config gave (sentinels dropped). */
export function parseSshG(out: string): SshConfigEntry {
  const e: SshConfigEntry = { identityFiles: [] };
  for (const line of out.split('\n')) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const [key, v] = [m[1]!.toLowerCase(), m[2]!];
    if (key === 'user' && v !== SENTINEL.user) e.user = v;
    else if (key === 'port' && v !== SENTINEL.port) e.port = v;
    else if (key === 'hostname' && v !== SENTINEL.hostName) e.hostName = v;
    else if (key === 'identityfile' && v !== SENTINEL.identityFile) e.identityFiles.push(v);
    else if (key === 'proxyjump' && v.toLowerCase() !== 'none') e.proxyJump = v;
    else if (key === 'proxycommand' && v.toLowerCase() !== 'none') e.proxyCommand = v;
  }
  return e;
}

/** True when a config (its Includes inlined) sets anything kubemend reads: otherwise there is nothing to ask ssh. */
function setsAnything(text: string): boolean {
  return /^\s*(user|port|hostname|identityfile|proxyjump|proxycommand)\b/im.test(text);
}

/**
 * What kubemend's reader cannot answer exactly, so that ssh must: a Match block, an Include
 * inside a Host or Match block, tokens other than %h (HostName) and %d %h %r (IdentityFile).
 */
function needsSsh(text: string, nestedInclude: boolean): boolean {
  if (nestedInclude || /^\s*match\b/im.test(text)) return true;
  for (const m of text.matchAll(/^\s*(user|port|hostname|identityfile|proxyjump)(?:\s*=\s*|\s+)(.*)$/gim)) {
    const ok = m[1]!.toLowerCase() === 'identityfile' ? /%[dhr%]/g : m[1]!.toLowerCase() === 'hostname' ? /%[h%]/g : /%%/g;
    if (m[2]!.replace(ok, '').includes('%')) return true;
  }
  return false;
}

/**
 * The ssh config lookup. `path` undefined: ~/.ssh/config then /etc/ssh/ssh_config, as ssh reads
 * them; a path: that file only (as `ssh -F`). `ssh -G` answers when the config sets something
 * kubemend reads and uses what only ssh evaluates exactly (Match, an Include inside a block,
 * other tokens), or always when `opts.ssh` names the ssh to run; otherwise kubemend's reader
 * answers (the same answer, without a process per host). `opts.ssh` false: the reader always.
 */
export function openSshConfig(path: string | undefined, opts: { ssh?: string | false } = {}): SshConfigLookup {
  const userPath = path ?? defaultSshConfigPath();
  const seen = { nested: false };
  const user = readConfigText(userPath, false, seen);
  const system = path === undefined ? readConfigText(SYSTEM_CONFIG, true, seen) : '';
  // the system config comes after the user's (first value wins); `Host *` ends the user's last block
  const text = system ? `${user}\nHost *\n${system}` : user;
  const ssh = opts.ssh === undefined ? findSsh() : opts.ssh || undefined;
  if (!ssh || !setsAnything(text) || (opts.ssh === undefined && !needsSsh(text, seen.nested))) return readerOf(userPath, text);

  const dir = mkdtempSync(join(tmpdir(), 'kubemend-ssh-'));
  const wrapper = join(dir, 'config');
  const q = (p: string): string => `"${p}"`;
  writeFileSync(
    wrapper,
    [
      `Include ${q(userPath)}`,
      ...(path === undefined ? [`Include ${SYSTEM_CONFIG}`] : []),
      'Host *',
      `  User ${SENTINEL.user}`,
      `  Port ${SENTINEL.port}`,
      `  HostName ${SENTINEL.hostName}`,
      `  IdentityFile ${SENTINEL.identityFile}`,
      '',
    ].join('\n'),
  );
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const args = (host: string): string[] => ['-F', wrapper, '-G', '--', host];
  const failed = (host: string, stderr: string): Error =>
    new Error(
      `ssh -G ${host} failed: ${
        stderr
          .trim()
          .split('\n')
          .filter((l) => !/^Pseudo-terminal/.test(l))[0] ?? 'no message'
      }`,
    );
  const one = (host: string): SshConfigEntry => {
    const r = spawnSync(ssh, args(host), { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0) throw failed(host, r.stderr ?? String(r.error ?? ''));
    return parseSshG(r.stdout);
  };
  const many = async (names: readonly string[]): Promise<Map<string, SshConfigEntry>> => {
    const out = new Map<string, SshConfigEntry>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < names.length) {
        const host = names[next++]!;
        const stdout = await new Promise<string>((resolve, reject) => {
          execFile(ssh, args(host), { timeout: 10_000, encoding: 'utf8' }, (err, so, se) => (err ? reject(failed(host, se || err.message)) : resolve(so)));
        });
        out.set(host, parseSshG(stdout));
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, names.length) }, worker));
    return out;
  };
  return memoryLookup('ssh -G', one, many);
}

/** Expand ssh config tokens in a path: `%d` home, `%h` host, `%r` user, `%%` percent; `~` is left to resolvePath. */
export function expandTokens(p: string, host: string, user: string): string {
  return p.replace(/%([dhr%])/g, (_, t: string) => (t === 'd' ? homedir() : t === 'h' ? host : t === 'r' ? user : '%'));
}
