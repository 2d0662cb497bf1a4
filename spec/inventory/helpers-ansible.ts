/** Test helpers for Ansible inventories: the committed kubespray-layout fixtures, copies to change, and the ansible-inventory requirement. */
import test, { type TestFn } from 'ava';
import { cpSync, readFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ansibleInventoryList, dynamicGroupsSource, findAnsibleInventory } from '../../lib/inventory/ansible-cli.js';
import { readAnsibleIni } from '../../lib/inventory/ansible-ini.js';
import { hostsOf } from '../../lib/inventory/ansible-model.js';
import { addKubesprayGroups, flatten, kubesprayGroupAdditions } from '../../lib/inventory/ansible-vars.js';
import { readAnsibleYaml } from '../../lib/inventory/ansible-yaml.js';
import { VarsFileCache } from '../../lib/inventory/vars-files.js';
import { parseYaml } from '../../lib/inventory/yaml-source.js';

/** spec/inventory/fixtures/ (absolute). */
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
/** kubespray's sample layout: inventory/mycluster/inventory.ini + group_vars/ + host_vars/. */
export const KUBESPRAY = join(FIXTURES, 'kubespray', 'inventory', 'mycluster');
/** kubespray's docs example with etcd apart from the control plane, as hosts.yaml + group_vars/. */
export const KUBESPRAY_ETCD = join(FIXTURES, 'kubespray-etcd');
/** No ssh config, no ssh -G: the tests do not depend on the machine's ~/.ssh/config. */
export const NO_SSH = { sshConfigPath: '/nonexistent/ssh_config', ssh: false as const };

/** A fresh copy of fixture folder `src` (removed when the test process exits). */
export function copyFixture(src: string): string {
  const dir = tempDir(join(tmpdir(), 'kubemend-fixture-'));
  cpSync(src, dir, { recursive: true });
  return dir;
}

/** The ansible-inventory on this machine (scripts/install-deps installs ansible-core). */
export const ANSIBLE = findAnsibleInventory();

/**
 * `test` for a test that compares with ansible-inventory: skipped when it is missing, except under
 * CI=true, where the test runs and fails (CI installs it; a skip would hide that it did not run).
 */
export const withAnsible: TestFn = (ANSIBLE || process.env.CI === 'true' ? test : test.skip) as TestFn;

/** Fail when ansible-inventory is missing (only reached under CI=true). */
export function requireAnsible(t: { fail(m: string): void }): string {
  if (!ANSIBLE) {
    t.fail('ansible-inventory is not installed (scripts/install-deps installs ansible-core); with CI=true this test fails instead of skipping');
    throw new Error('no ansible-inventory');
  }
  return ANSIBLE;
}

/** Every host's vars and every group's hosts, by kubemend's reader and by ansible-inventory. */
export async function bothAnswers(bin: string, file: string): Promise<{ ours: Record<string, unknown>; theirs: Record<string, unknown>; issues: string[] }> {
  const text = readFileSync(file, 'utf8');
  let r;
  if (file.endsWith('.ini')) r = readAnsibleIni(file, text);
  else {
    const src = parseYaml(file, text, { ansible: true });
    if (Array.isArray(src)) throw new Error(src.map((i) => i.message).join('; '));
    r = readAnsibleYaml(file, src);
  }
  const additions = kubesprayGroupAdditions(r.model);
  addKubesprayGroups(r.model);
  const cache = new VarsFileCache({ abs: dirname(file), shown: dirname(file) });
  const flat = flatten(r.model, { inventoryDir: dirname(file) }, cache, 'reader');
  const issues = [...r.issues, ...cache.issues].map((i) => `${i.file}:${i.line}: ${i.message}`);
  if (issues.length) return { ours: {}, theirs: {}, issues };
  const listing = await ansibleInventoryList({ bin, file, extraSource: dynamicGroupsSource(additions) });
  if (!listing.listing) throw new Error(`ansible-inventory failed: ${listing.error}`);
  const members = (groups: ReadonlyMap<string, { hosts: Iterable<string>; children: Iterable<string> }>): Record<string, string[]> =>
    Object.fromEntries(
      [...groups.keys()]
        .filter((g) => g !== 'ungrouped')
        .map((g) => [g, hostsOf(groups, g).sort()] as const)
        .filter(([, hs]) => hs.length > 0),
    );
  const canonical = (o: Record<string, unknown>): Record<string, unknown> =>
    JSON.parse(
      JSON.stringify(o, (_k, v) =>
        v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
      ),
    );
  return {
    // ansible-inventory leaves hosts without vars out of _meta.hostvars
    ours: canonical({
      hostvars: Object.fromEntries(
        [...flat.vars].filter(([, vs]) => vs.size > 0).map(([h, vs]) => [h, Object.fromEntries([...vs].map(([k, v]) => [k, v.value]))]),
      ),
      members: members(r.model.groups),
    }),
    theirs: canonical({ hostvars: Object.fromEntries(listing.listing.hostvars), members: members(listing.listing.groups) }),
    issues,
  };
}
