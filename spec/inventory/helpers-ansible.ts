/** Test helpers for Ansible inventories: the committed kubespray-layout fixtures, copies to change, and the ansible-inventory requirement. */
import test, { type TestFn } from 'ava';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findAnsibleInventory } from '../../lib/inventory/ansible-cli.js';

/** spec/inventory/fixtures/ (absolute). */
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
/** kubespray's sample layout: inventory/mycluster/inventory.ini + group_vars/ + host_vars/. */
export const KUBESPRAY = join(FIXTURES, 'kubespray', 'inventory', 'mycluster');
/** kubespray's docs example with etcd apart from the control plane, as hosts.yaml + group_vars/. */
export const KUBESPRAY_ETCD = join(FIXTURES, 'kubespray-etcd');
/** No ssh config, no ssh -G: the tests do not depend on the machine's ~/.ssh/config. */
export const NO_SSH = { sshConfigPath: '/nonexistent/ssh_config', ssh: false as const };

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A fresh copy of fixture folder `src` (removed when the test process exits). */
export function copyFixture(src: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubemend-fixture-'));
  made.push(dir);
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
