/** Test helpers for the transport: an Inventory for a lab's hosts, built without the loader. */
import type { Host, Inventory } from '../../lib/inventory/types.js';
import type { Lab } from '../helpers/lab.js';

/** An inventory of the lab's hosts as root with its key and known_hosts (overridable). */
export function labInventory(lab: Pick<Lab, 'hosts' | 'key' | 'knownHosts' | 'dir'>, ssh: Partial<Inventory['ssh']> = {}): Inventory {
  const s: Inventory['ssh'] = {
    user: 'root',
    port: 22,
    identityFile: lab.key,
    knownHosts: lab.knownHosts,
    sudo: 'none',
    connectTimeoutMs: 10_000,
    commandTimeoutMs: 30_000,
    ...ssh,
  };
  return {
    file: `${lab.dir}/inventory.yaml`,
    cluster: 'lab',
    controlPlaneEndpoint: `${lab.hosts[0]!.address}:6443`,
    ssh: s,
    hosts: lab.hosts.map((h, i) => ({
      name: h.name,
      address: h.address,
      role: h.role,
      port: s.port,
      user: s.user,
      ...(s.identityFile ? { identityFile: s.identityFile } : {}),
      sudo: s.sudo,
      labels: {},
      first: i === 0,
    })),
    warnings: [],
  };
}

/** The inventory's host `name`, with fields changed. */
export function hostOf(inv: Inventory, name: string, patch: Partial<Host> = {}): Host {
  const h = inv.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name} in the inventory`);
  return { ...h, ...patch };
}
