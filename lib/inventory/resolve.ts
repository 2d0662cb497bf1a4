/** A validated document turned into the Inventory: defaults, paths and ~/.ssh/config applied. */
import { dirname } from 'node:path';
import { formatPath, type DocPath, type ParsedDocument } from './document.js';
import type { InventoryIssue } from './errors.js';
import { fileProblem, resolvePath } from './paths.js';
import type { RawInventory, RawJump } from './schema.js';
import { expandTokens, type SshConfigLookup } from './ssh-config.js';
import { isAddress, isPort, isPosixUser, shown, splitUserHostPort } from './syntax.js';
import type { Host, Inventory, JumpHost, SudoMode } from './types.js';
import { canonicalSan } from './serving-sans.js';

/** Built-in defaults, used when neither the inventory nor ~/.ssh/config says otherwise. */
export const DEFAULTS = { user: 'root', port: 22, knownHosts: '~/.ssh/known_hosts', connectTimeoutMs: 10_000, commandTimeoutMs: 600_000 } as const;

/** The sudo mode when none is written: none for root, nopasswd for anyone else. */
export function defaultSudo(user: string): SudoMode {
  return user === 'root' ? 'none' : 'nopasswd';
}

/** Build the Inventory from validated data; problems found in ~/.ssh/config values become issues. */
export function resolveInventory(
  file: string,
  absFile: string,
  doc: ParsedDocument,
  raw: RawInventory,
  sshConfig: SshConfigLookup,
): { inventory?: Inventory; issues: InventoryIssue[] } {
  const issues: InventoryIssue[] = [];
  const warnings = [...doc.warnings];
  const baseDir = dirname(absFile);
  const issue = (path: DocPath, message: string): void => {
    issues.push({ file, ...doc.locate(path), message });
  };
  const ssh = raw.ssh ?? {};

  /** A value from ssh config, checked; undefined (with an issue) when invalid. */
  const fromConfig = <T>(path: DocPath, what: string, v: string | undefined, ok: (s: string) => boolean, conv: (s: string) => T): T | undefined => {
    if (v === undefined) return undefined;
    if (!ok(v)) {
      issue(path, `~/.ssh/config gives an invalid ${what} ${shown(v)}`);
      return undefined;
    }
    return conv(v);
  };
  /** The first ssh-config IdentityFile that exists (ssh skips missing ones too). */
  const configIdentity = (files: string[], host: string, user: string): string | undefined => {
    for (const f of files) {
      const abs = resolvePath(expandTokens(f, host, user), resolvePath('~', baseDir));
      if (!fileProblem(abs)) return abs;
    }
    if (files.length > 0) warnings.push(`${host}: no IdentityFile from ~/.ssh/config exists (${files.join(', ')})`);
    return undefined;
  };

  const jumpOf = (path: DocPath, j: RawJump | undefined, cfg: string | undefined, fallbackUser: string): JumpHost | undefined => {
    let spec: { host: string; port?: number; user?: string; identityFile?: string } | undefined;
    if (j) spec = { ...j, identityFile: 'identityFile' in j && j.identityFile ? resolvePath(j.identityFile, baseDir) : undefined };
    else if (cfg !== undefined && cfg.toLowerCase() !== 'none') {
      if (cfg.includes(',')) {
        issue(path, `~/.ssh/config ProxyJump ${shown(cfg)} has several hops; kubemend supports one jump host`);
        return undefined;
      }
      const p = splitUserHostPort(cfg.replace(/^ssh:\/\//, ''));
      if (!p || !isAddress(p.host) || (p.user !== undefined && !isPosixUser(p.user)) || (p.port !== undefined && !isPort(p.port))) {
        issue(path, `~/.ssh/config gives an invalid ProxyJump ${shown(cfg)}`);
        return undefined;
      }
      spec = p;
    }
    if (!spec) return undefined;
    const c = sshConfig.lookup(spec.host);
    const host = fromConfig(path, 'HostName for the jump host', c.hostName, isAddress, (s) => s) ?? spec.host;
    const user = spec.user ?? fromConfig(path, 'User for the jump host', c.user, isPosixUser, (s) => s) ?? fallbackUser;
    const port = spec.port ?? fromConfig(path, 'Port for the jump host', c.port, (s) => /^\d+$/.test(s) && isPort(Number(s)), Number) ?? DEFAULTS.port;
    const identityFile = spec.identityFile ?? configIdentity(c.identityFiles, spec.host, user);
    return { host, port, user, ...(identityFile ? { identityFile } : {}) };
  };

  const knownHosts = resolvePath(ssh.knownHosts ?? DEFAULTS.knownHosts, baseDir);
  const hosts: Host[] = raw.hosts.map((h, i) => {
    const at = (k: string): DocPath => ['hosts', i, k];
    const c = sshConfig.lookup(h.name, doc.implicit.has(formatPath(at('address'))) ? undefined : h.address);
    const address = doc.implicit.has(formatPath(at('address')))
      ? (fromConfig(at('address'), 'HostName', c.hostName, isAddress, (s) => s) ?? h.address)
      : h.address;
    const user = h.user ?? ssh.user ?? fromConfig(at('user'), 'User', c.user, isPosixUser, (s) => s) ?? DEFAULTS.user;
    const port = h.port ?? ssh.port ?? fromConfig(at('port'), 'Port', c.port, (s) => /^\d+$/.test(s) && isPort(Number(s)), Number) ?? DEFAULTS.port;
    const explicitKey = h.identityFile ?? ssh.identityFile;
    const identityFile = explicitKey !== undefined ? resolvePath(explicitKey, baseDir) : configIdentity(c.identityFiles, h.name, user);
    const jump = jumpOf(at('jump'), h.jump ?? ssh.jump, c.proxyJump, user);
    return {
      name: h.name,
      address,
      role: h.role,
      port,
      user,
      ...(identityFile ? { identityFile } : {}),
      sudo: h.sudo ?? ssh.sudo ?? defaultSudo(user),
      ...(jump ? { jump } : {}),
      labels: { ...(h.labels ?? {}) },
      ...(h.servingSANs?.length ? { servingSANs: [...new Set(h.servingSANs.map(canonicalSan))] } : {}),
      first: h.first === true,
    };
  });
  if (!hosts.some((h) => h.first)) {
    const m = hosts.find((h) => h.role === 'master');
    if (m) m.first = true;
  }
  const defaultUser = ssh.user ?? DEFAULTS.user;
  const sshJump = ssh.jump ? jumpOf(['ssh', 'jump'], ssh.jump, undefined, defaultUser) : undefined;
  if (issues.length > 0) return { issues };
  const inventory: Inventory = {
    file: absFile,
    cluster: raw.cluster,
    controlPlaneEndpoint: raw.controlPlaneEndpoint,
    ...(raw.kubeadmConfig ? { kubeadmConfig: resolvePath(raw.kubeadmConfig, baseDir) } : {}),
    ssh: {
      user: defaultUser,
      port: ssh.port ?? DEFAULTS.port,
      ...(ssh.identityFile ? { identityFile: resolvePath(ssh.identityFile, baseDir) } : {}),
      knownHosts,
      sudo: ssh.sudo ?? defaultSudo(defaultUser),
      ...(sshJump ? { jump: sshJump } : {}),
      connectTimeoutMs: ssh.connectTimeout ?? DEFAULTS.connectTimeoutMs,
      commandTimeoutMs: ssh.commandTimeout ?? DEFAULTS.commandTimeoutMs,
    },
    hosts,
    warnings,
    format: doc.format,
  };
  return { inventory, issues };
}
