/** ~/.ssh/config lookups (HostName, User, Port, IdentityFile, ProxyJump) through the ssh-config package. */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import SSHConfig from 'ssh-config';

/** What ~/.ssh/config says about one host (raw strings, unvalidated). */
export interface SshConfigEntry {
  hostName?: string;
  user?: string;
  port?: string;
  identityFiles: string[];
  proxyJump?: string;
}

/** Look up hosts in one ssh config file. */
export interface SshConfigLookup {
  /** Settings for a host, matched by its inventory name first, then by its address. */
  lookup(name: string, address?: string): SshConfigEntry;
}

/** The default ssh config path (`~/.ssh/config`). */
export function defaultSshConfigPath(): string {
  return join(homedir(), '.ssh', 'config');
}

/** A host name no Host pattern but a wildcard matches (patterns cannot hold spaces). */
const NO_SUCH_HOST = ' kubemend no such host ';

/** Read the ssh config at `path`; an absent file means no settings. Match exec is never evaluated. */
export function readSshConfig(path: string): SshConfigLookup {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lookup: () => ({ identityFiles: [] }) };
    throw new Error(`reading ssh config ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let config: SSHConfig;
  try {
    config = SSHConfig.parse(text);
  } catch (err) {
    throw new Error(`parsing ssh config ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  const compute = (host: string): Record<string, string | string[]> =>
    config.compute(host, { ignoreCase: true, matchExec: false }) as Record<string, string | string[]>;
  const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
  const many = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return {
    lookup(name, address) {
      // A value only wildcards give (the baseline) loses to one a section matching the address gives.
      const base = compute(NO_SUCH_HOST);
      const a = compute(name);
      const b = address && address !== name ? compute(address) : {};
      const get = (k: string): string | undefined => {
        const [va, vb, v0] = [one(a[k]), one(b[k]), one(base[k])];
        if (va !== undefined && va !== v0) return va;
        return vb ?? va;
      };
      return {
        hostName: get('hostname'),
        user: get('user'),
        port: get('port'),
        identityFiles: [...new Set([...many(a.identityfile), ...many(b.identityfile)])],
        proxyJump: get('proxyjump'),
      };
    },
  };
}

/** Expand ssh config tokens in a path: `%d` home, `%h` host, `%r` user, `%%` percent; `~` is left to resolvePath. */
export function expandTokens(p: string, host: string, user: string): string {
  return p.replace(/%([dhr%])/g, (_, t: string) => (t === 'd' ? homedir() : t === 'h' ? host : t === 'r' ? user : '%'));
}
