/** A validated document turned into the Inventory: defaults, paths and ~/.ssh/config applied, and where each value came from. */
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { hostsOf } from './ansible-model.js';
import { formatPath, whereOf, type DocPath, type ParsedDocument } from './document.js';
import type { InventoryIssue } from './errors.js';
import { fileProblem, resolvePath } from './paths.js';
import type { RawInventory, RawJump } from './schema.js';
import { expandTokens, type SshConfigLookup } from './ssh-config.js';
import { isAddress, isPort, isPosixUser, shown, splitUserHostPort } from './syntax.js';
import type { EtcdTopology, Host, HostField, Inventory, InventoryOrigins, JumpHost, SudoMode } from './types.js';
import { canonicalSan } from './serving-sans.js';

/** Built-in defaults, used when neither the inventory nor ~/.ssh/config says otherwise. */
export const DEFAULTS = { user: 'root', port: 22, knownHosts: '~/.ssh/known_hosts', connectTimeoutMs: 10_000, commandTimeoutMs: 600_000 } as const;

/** The sudo mode when none is written: none for root, nopasswd for anyone else. */
export function defaultSudo(user: string): SudoMode {
  return user === 'root' ? 'none' : 'nopasswd';
}

/** A path under the home folder shown as `~/...`. */
function tilde(p: string): string {
  const home = homedir();
  return p.startsWith(home + '/') ? `~${p.slice(home.length)}` : p;
}

/** Where etcd runs: kubeadm's stacked etcd (every master, nothing else) or separate. */
export function etcdTopology(hosts: readonly Host[], members: readonly string[] | undefined, deploymentType?: string): EtcdTopology {
  const masters = hosts.filter((h) => h.role === 'master').map((h) => h.name);
  const extra = deploymentType ? { deploymentType } : {};
  if (members === undefined) return { placement: 'stacked', members: masters, reason: 'stacked on the masters (kubeadm)', ...extra };
  const outside = members.filter((m) => !masters.includes(m));
  const without = masters.filter((m) => !members.includes(m));
  if (outside.length === 0 && without.length === 0)
    return { placement: 'stacked', members: [...members], reason: 'stacked on the masters (group etcd = the masters)', ...extra };
  const why = [
    ...(outside.length
      ? [`${outside.join(', ')} run${outside.length === 1 ? 's' : ''} etcd and ${outside.length === 1 ? 'is not a master' : 'are not masters'}`]
      : []),
    ...(without.length ? [`master${without.length === 1 ? '' : 's'} ${without.join(', ')} run${without.length === 1 ? 's' : ''} no etcd`] : []),
  ];
  return { placement: 'separate', members: [...members], reason: `separate from the masters: ${why.join('; ')}`, ...extra };
}

/** The groups as written, for display: `all` first, then by name; empty groups left out, as ansible-inventory --list does. */
function groupTree(groups: ReadonlyMap<string, { hosts: string[]; children: string[] }>): Record<string, { hosts: string[]; children: string[] }> {
  const empty = (g: string): boolean => g !== 'all' && !groups.get(g)?.hosts.length && !groups.get(g)?.children.length;
  const names = [...groups.keys()].filter((g) => !empty(g)).sort((a, b) => (a === 'all' ? -1 : b === 'all' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(names.map((g) => [g, { hosts: [...groups.get(g)!.hosts], children: groups.get(g)!.children.filter((c) => !empty(c)) }]));
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
  const fromSsh = sshConfig.source === 'ssh -G' ? 'ssh -G' : tilde(sshConfig.source);
  /** Where the value at `path` was written (it is known to be in the document). */
  const written = (path: DocPath): string => doc.sources?.get(formatPath(path)) ?? whereOf(doc.locate(path), file);

  /** A value from ssh config, checked; undefined (with an issue) when invalid. */
  const fromConfig = <T>(path: DocPath, what: string, v: string | undefined, ok: (s: string) => boolean, conv: (s: string) => T): T | undefined => {
    if (v === undefined) return undefined;
    if (!ok(v)) {
      issue(path, `${fromSsh} gives an invalid ${what} ${shown(v)}`);
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
    if (files.length > 0) warnings.push(`${host}: no IdentityFile from ${fromSsh} exists (${files.join(', ')})`);
    return undefined;
  };

  const jumpOf = (path: DocPath, j: RawJump | undefined, cfg: string | undefined, fallbackUser: string): JumpHost | undefined => {
    let spec: { host: string; port?: number; user?: string; identityFile?: string } | undefined;
    if (j) spec = { ...j, identityFile: 'identityFile' in j && j.identityFile ? resolvePath(j.identityFile, baseDir) : undefined };
    else if (cfg !== undefined && cfg.toLowerCase() !== 'none') {
      if (cfg.includes(',')) {
        issue(path, `${fromSsh} ProxyJump ${shown(cfg)} has several hops; kubemend supports one jump host`);
        return undefined;
      }
      const p = splitUserHostPort(cfg.replace(/^ssh:\/\//, ''));
      if (!p || !isAddress(p.host) || (p.user !== undefined && !isPosixUser(p.user)) || (p.port !== undefined && !isPort(p.port))) {
        issue(path, `${fromSsh} gives an invalid ProxyJump ${shown(cfg)}`);
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
  const origins: InventoryOrigins = { cluster: written(['cluster']), controlPlaneEndpoint: written(['controlPlaneEndpoint']), etcd: '', hosts: {} };
  const hosts: Host[] = raw.hosts.map((h, i) => {
    const at = (k: string): DocPath => ['hosts', i, k];
    const o: Partial<Record<HostField, string>> = {};
    origins.hosts[h.name] = o;
    const implicitAddress = doc.implicit.has(formatPath(at('address')));
    const c = sshConfig.lookup(h.name, implicitAddress ? undefined : h.address);
    if (c.proxyCommand !== undefined && !h.jump && !ssh.jump && c.proxyJump === undefined) {
      warnings.push(`${h.name}: ${fromSsh} gives a ProxyCommand, which kubemend does not run: use ProxyJump (one jump host) or the inventory's jump`);
    }
    /** The first of: the host's own value, the inventory's ssh: value, ssh config, the default; recording which. */
    const choose = <T>(field: HostField, own: T | undefined, shared: T | undefined, cfg: () => T | undefined, dflt: T | undefined): T | undefined => {
      if (own !== undefined) return ((o[field] = written(at(field))), own);
      if (shared !== undefined) return ((o[field] = written(['ssh', field])), shared);
      const v = cfg();
      if (v !== undefined) return ((o[field] = fromSsh), v);
      if (dflt !== undefined) o[field] = 'default';
      return dflt;
    };
    let address = h.address;
    if (implicitAddress) {
      const fromCfg = fromConfig(at('address'), 'HostName', c.hostName, isAddress, (s) => s);
      address = fromCfg ?? h.address;
      o.address = fromCfg !== undefined ? `${fromSsh} (HostName)` : written(at('address'));
    } else o.address = written(at('address'));
    o.role = written(at('role'));
    const user = choose('user', h.user, ssh.user, () => fromConfig(at('user'), 'User', c.user, isPosixUser, (s) => s), DEFAULTS.user)!;
    const port = choose(
      'port',
      h.port,
      ssh.port,
      () => fromConfig(at('port'), 'Port', c.port, (s) => /^\d+$/.test(s) && isPort(Number(s)), Number),
      DEFAULTS.port,
    )!;
    const key = choose('identityFile', h.identityFile, ssh.identityFile, () => configIdentity(c.identityFiles, h.name, user), undefined);
    const identityFile = key === undefined ? undefined : o.identityFile === fromSsh ? key : resolvePath(key, baseDir);
    if (identityFile === undefined) o.identityFile = 'none (the SSH agent)';
    const sudo = choose('sudo', h.sudo, ssh.sudo, () => undefined, defaultSudo(user))!;
    if (o.sudo === 'default') o.sudo = `default (${user === 'root' ? 'root needs no sudo' : 'sudo -n for a user other than root'})`;
    const jumpSpec = h.jump ?? ssh.jump;
    const jump = jumpOf(at('jump'), jumpSpec, c.proxyJump, user);
    o.jump = h.jump ? written(at('jump')) : ssh.jump ? written(['ssh', 'jump']) : jump ? `${fromSsh} (ProxyJump)` : 'none';
    if (h.labels) o.labels = written(at('labels'));
    return {
      name: h.name,
      address,
      role: h.role,
      port,
      user,
      ...(identityFile ? { identityFile } : {}),
      sudo,
      ...(jump ? { jump } : {}),
      labels: { ...(h.labels ?? {}) },
      ...(h.servingSANs?.length ? { servingSANs: [...new Set(h.servingSANs.map(canonicalSan))] } : {}),
      first: h.first === true,
    };
  });
  // written `first: true` (recover checks it against where the API endpoint leads); else the first master listed
  const firstGiven = hosts.find((h) => h.first)?.name;
  if (!firstGiven) {
    const m = hosts.find((h) => h.role === 'master');
    if (m) m.first = true;
  }
  const defaultUser = ssh.user ?? DEFAULTS.user;
  const sshJump = ssh.jump ? jumpOf(['ssh', 'jump'], ssh.jump, undefined, defaultUser) : undefined;
  if (issues.length > 0) return { issues };

  const a = doc.ansible;
  const members = a ? (a.hasEtcdGroup ? raw.hosts.filter((h) => h.etcd).map((h) => h.name) : undefined) : undefined;
  const etcd = etcdTopology(hosts, members, a?.etcdDeploymentType);
  origins.etcd = doc.sources?.get('etcd') ?? (a ? (a.hasEtcdGroup ? 'group etcd' : 'no etcd group') : `${file}: every master (role master runs stacked etcd)`);
  const inventory: Inventory = {
    file: absFile,
    cluster: raw.cluster,
    controlPlaneEndpoint: raw.controlPlaneEndpoint,
    ...(firstGiven ? { firstGiven } : {}),
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
    etcd,
    origins,
    ...(a
      ? {
          groups: Object.fromEntries([...a.groups.keys()].map((g) => [g, hostsOf(a.groups, g)])),
          groupTree: groupTree(a.groups),
          reader: { reference: a.reference, varsFiles: a.varsFiles },
        }
      : {}),
  };
  return { inventory, issues };
}
