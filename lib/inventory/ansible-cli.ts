/**
 * `ansible-inventory --list` as the reference answer when it is installed: it runs Ansible's own
 * parsers, inventory plugins and scripts, and decrypts vars files when a vault password is set up
 * (ANSIBLE_VAULT_PASSWORD_FILE). Its answer is reconciled with kubemend's reader, which alone knows
 * the file:line each value came from. Neither evaluates Jinja: ansible-inventory prints templates as written.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { hostsOf, type AnsibleValue } from './ansible-model.js';
import type { FlatInventory } from './ansible-vars.js';
import { KUBESPRAY_DYNAMIC_GROUPS } from './ansible-vars.js';
import { whereOf, type Position } from './document.js';

/** What `ansible-inventory --list` printed, parsed. */
export interface AnsibleListing {
  groups: Map<string, { hosts: string[]; children: string[] }>;
  hostvars: Map<string, Record<string, unknown>>;
}

/** The `ansible-inventory` to use: $KUBEMEND_ANSIBLE_INVENTORY (a path, or `0`/`off` for none), else the one on PATH. */
export function findAnsibleInventory(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const forced = env.KUBEMEND_ANSIBLE_INVENTORY;
  if (forced !== undefined && forced !== '') return /^(0|off|no|false|never)$/i.test(forced) ? undefined : forced;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, 'ansible-inventory');
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** An INI source that declares kubespray's dynamic groups, so ansible-inventory answers as a kubespray run sees the inventory. */
export function dynamicGroupsSource(additions: Map<string, string[]>): string | undefined {
  if (additions.size === 0) return undefined;
  const lines = ['# kubespray roles/dynamic_groups, written by kubemend for ansible-inventory'];
  for (const [target] of KUBESPRAY_DYNAMIC_GROUPS) {
    const hosts = additions.get(target);
    if (hosts?.length) lines.push(`[${target}]`, ...hosts);
  }
  return lines.join('\n') + '\n';
}

/** Run `ansible-inventory -i FILE --list` (plus the dynamic-groups source); the parsed listing, or why it failed (first line only: no file excerpt, which could hold a secret). */
export async function ansibleInventoryList(o: {
  bin: string;
  file: string;
  playbookDir?: string;
  extraSource?: string;
  timeoutMs?: number;
}): Promise<{ listing?: AnsibleListing; error?: string }> {
  const tmp = mkdtempSync(join(tmpdir(), 'kubemend-ansible-'));
  try {
    const args = ['-i', o.file];
    if (o.extraSource) {
      const extra = join(tmp, 'kubespray-dynamic-groups.ini');
      writeFileSync(extra, o.extraSource);
      args.push('-i', extra);
    }
    args.push('--list');
    if (o.playbookDir) args.push('--playbook-dir', o.playbookDir);
    const env = {
      ...process.env,
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED: 'True',
      ANSIBLE_LOCALHOST_WARNING: 'False',
      ANSIBLE_DEPRECATION_WARNINGS: 'False',
      ANSIBLE_RETRY_FILES_ENABLED: 'False',
    };
    const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | string | null }>((resolve) => {
      execFile(o.bin, args, { cwd: o.playbookDir ?? tmp, env, timeout: o.timeoutMs ?? 120_000, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
        resolve({
          stdout: String(stdout),
          stderr: String(stderr),
          code: err ? ((err as NodeJS.ErrnoException).code ?? (err as { status?: number }).status ?? 1) : 0,
        });
      });
    });
    if (code !== 0) {
      const first =
        stderr
          .split('\n')
          .map((l) => l.trim())
          .find((l) => l.startsWith('ERROR!') || l.startsWith('[WARNING]')) ??
        stderr.trim().split('\n')[0] ??
        '';
      return { error: `${typeof code === 'string' ? code : `exit ${code}`}${first ? `: ${first.slice(0, 300)}` : ''}` };
    }
    let json: Record<string, { hosts?: string[]; children?: string[]; hostvars?: Record<string, Record<string, unknown>> }>;
    try {
      json = JSON.parse(stdout);
    } catch {
      return { error: 'its output is not JSON' };
    }
    const groups = new Map<string, { hosts: string[]; children: string[] }>();
    for (const [name, g] of Object.entries(json)) {
      if (name === '_meta') continue;
      groups.set(name, { hosts: [...(g.hosts ?? [])], children: [...(g.children ?? [])] });
    }
    if (!groups.has('all')) groups.set('all', { hosts: [], children: [] });
    return { listing: { groups, hostvars: new Map(Object.entries(json._meta?.hostvars ?? {})) } };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** A JSON text with sorted keys (deep), to compare values whatever their key order. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : x instanceof Date
        ? x.toISOString().slice(0, 10)
        : x,
  );
}

const isVaultValue = (v: unknown): boolean => !!v && typeof v === 'object' && '__ansible_vault' in (v as object);

/**
 * ansible-inventory's answer, with kubemend's positions where both agree. Groups and hosts are
 * Ansible's; a value kubemend read differently (or not at all) is Ansible's, marked as coming from
 * ansible-inventory; a difference in a var kubemend uses is a warning that names both.
 */
export function reconcileWithAnsible(
  ours: FlatInventory,
  theirs: AnsibleListing,
  used: (name: string) => boolean,
  inventoryFile: string,
): { flat: FlatInventory; warnings: string[] } {
  const warnings: string[] = [];
  const theirHosts: string[] = [];
  const seen = new Set<string>();
  for (const h of [...hostsOf(theirs.groups, 'all'), ...theirs.hostvars.keys()]) if (!seen.has(h)) seen.add(h), theirHosts.push(h);
  const hosts = [...ours.hosts.filter((h) => seen.has(h)), ...theirHosts.filter((h) => !ours.hostAt.has(h))];
  const onlyOurs = ours.hosts.filter((h) => !seen.has(h));
  const onlyTheirs = theirHosts.filter((h) => !ours.hostAt.has(h));
  if (onlyOurs.length) warnings.push(`ansible-inventory does not list ${onlyOurs.join(', ')}, which kubemend's reader found: left out, as Ansible would`);
  if (onlyTheirs.length) warnings.push(`ansible-inventory lists ${onlyTheirs.join(', ')}, which kubemend's reader did not find: taken from ansible-inventory`);
  const pseudo = (field: string): Position => ({ line: 1, column: 1, field, via: 'ansible-inventory' });
  const hostAt = new Map(hosts.map((h) => [h, ours.hostAt.get(h) ?? pseudo(h)]));
  const vars = new Map<string, Map<string, AnsibleValue>>();
  for (const h of hosts) {
    const mine = ours.vars.get(h) ?? new Map<string, AnsibleValue>();
    const out = new Map<string, AnsibleValue>();
    const theirVars = theirs.hostvars.get(h) ?? {};
    for (const [k, tv] of Object.entries(theirVars)) {
      const ov = mine.get(k);
      if (isVaultValue(tv)) out.set(k, { value: tv, at: ov?.at ?? pseudo(`${h}.${k}`), vault: true });
      else if (ov && !ov.vault && canonical(ov.value) === canonical(tv)) out.set(k, ov);
      else {
        out.set(k, { value: tv, at: pseudo(`${h}.${k}`) });
        if (ov && used(k))
          warnings.push(
            `${h}: ${k}: kubemend's reader read ${ov.vault ? 'a vault-encrypted value' : 'another value'} at ${whereOf(ov.at, inventoryFile)}; ansible-inventory's value is used`,
          );
      }
    }
    for (const [k, ov] of mine) {
      if (!(k in theirVars) && used(k))
        warnings.push(`${h}: ${k}: kubemend's reader found it at ${whereOf(ov.at, inventoryFile)}, ansible-inventory does not give it: not used`);
    }
    vars.set(h, out);
  }
  return {
    flat: { hosts, hostAt, groups: theirs.groups, vars, reference: 'ansible-inventory', varsFiles: ours.varsFiles, unreadable: [] },
    warnings,
  };
}
