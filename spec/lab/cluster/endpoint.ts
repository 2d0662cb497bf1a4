/**
 * The lab cluster's control-plane endpoint, of the kind `scripts/lab up --endpoint` asks for: m1's
 * address (a small cluster without a balancer), the name api.lab.test (an /etc/hosts entry on
 * every host, as a DNS record would be), or the load balancer's own address (hosts.sh `lb`:
 * spec/lab/sim/lb in its own network namespace). `scripts/lab dns TARGET [--on HOSTS]` points the
 * name elsewhere later (another master, the balancer, several addresses).
 */
import { pathToFileURL } from 'node:url';
import { type Host, type LabDir, hostOf, parseArgs, readLab } from './labdir.js';
import { sshScript } from './ssh.js';

/** The kinds of endpoint the lab can make. */
export type EndpointKind = 'address' | 'name' | 'lb';

/** The lab's DNS name for the API (kubeadm puts it in the apiserver certificate's SANs). */
export const ENDPOINT_NAME = 'api.lab.test';

/** The load balancer's address in lab net `net` (hosts.sh lb_addr). */
export function lbAddress(net: number): string {
  return `10.${net}.0.10`;
}

/** The controlPlaneEndpoint (host:6443) of an endpoint kind. */
export function endpointFor(lab: LabDir, kind: EndpointKind, first: Host): string {
  if (kind === 'name') return `${ENDPOINT_NAME}:6443`;
  if (kind === 'lb') return `${lbAddress(lab.net)}:6443`;
  return `${first.address}:6443`;
}

/** What a `dns` target means: a host's name, `lb`, or addresses (comma-separated). */
export function targetAddresses(lab: LabDir, target: string): string[] {
  return target.split(',').map((t) => (t === 'lb' ? lbAddress(lab.net) : /^[\d.]+$/.test(t) ? t : hostOf(lab, t).address));
}

/** Point ENDPOINT_NAME at `addresses` in /etc/hosts of `hosts` (over ssh, as root), replacing its old lines. */
export async function pointName(lab: LabDir, addresses: string[], hosts: Host[]): Promise<void> {
  for (const a of addresses) if (!/^\d+\.\d+\.\d+\.\d+$/.test(a)) throw new Error(`lab dns: not an IPv4 address: ${a}`);
  const lines = addresses.map((a) => `${a}\t${ENDPOINT_NAME}`).join('\\n');
  // sed -i writes a new file: the host's /etc overlay takes it as any editor's write
  const script = `sed -i '/[[:space:]]${ENDPOINT_NAME.replace(/\./g, '\\.')}$/d' /etc/hosts && printf '${lines}\\n' >> /etc/hosts`;
  await Promise.all(hosts.map((h) => sshScript(lab, h, `point ${ENDPOINT_NAME} at ${addresses.join(', ')} on ${h.name}`, script)));
}

/** CLI: node endpoint.js --dir DIR TARGET [--on h1,h2] (every host by default). */
async function main(): Promise<void> {
  const { flags, rest } = parseArgs(process.argv.slice(2), []);
  const lab = readLab(flags.dir ?? '/tmp/kubemend-lab');
  if (rest.length !== 1) throw new Error('usage: scripts/lab dns HOST|lb|ADDR[,ADDR...] [--on HOST,...] [--dir DIR]');
  const hosts = flags.on ? flags.on.split(',').map((n) => hostOf(lab, n)) : lab.hosts;
  const addresses = targetAddresses(lab, rest[0]!);
  await pointName(lab, addresses, hosts);
  process.stdout.write(`${ENDPOINT_NAME} -> ${addresses.join(', ')} on ${hosts.map((h) => h.name).join(', ')}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  main().catch((e: Error) => {
    process.stderr.write(`lab dns: ${e.message}\n`);
    process.exit(1);
  });
