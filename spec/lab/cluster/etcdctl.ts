/**
 * The lab's own etcd witness: the machine's real etcdctl (Debian's etcd-client), run OUTSIDE the
 * lab's hosts (a kubeadm host has no etcdctl, and neither have the lab's), against a host's etcd
 * over the lab bridge, with the healthcheck-client certificate read from that host's /etc overlay.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** What etcdctl printed. */
export interface EtcdctlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where a lab host's /etc/kubernetes/pki/etcd is on the machine (its /etc overlay's upper folder). */
export function hostEtcdPki(dir: string, host: string): string {
  return join(dir, 'hosts', host, 'etc.up', 'kubernetes', 'pki', 'etcd');
}

/** The client URL of a lab host's etcd. */
export function etcdUrl(host: { address: string }): string {
  return `https://${host.address}:2379`;
}

/** `etcdctl ARGS` against https://ADDRESS:2379 of lab host `host` (or `endpoints`), with that host's certs, from the machine. */
export function etcdctlWitness(
  dir: string,
  host: { name: string; address: string },
  args: string[],
  timeoutMs = 30_000,
  endpoints?: string[],
): Promise<EtcdctlResult> {
  const pki = hostEtcdPki(dir, host.name);
  const argv = [
    `--endpoints=${(endpoints ?? [etcdUrl(host)]).join(',')}`,
    `--cacert=${join(pki, 'ca.crt')}`,
    `--cert=${join(pki, 'healthcheck-client.crt')}`,
    `--key=${join(pki, 'healthcheck-client.key')}`,
    '--dial-timeout=3s',
    '--command-timeout=5s',
    ...args,
  ];
  return new Promise((resolve) => {
    execFile('/usr/bin/etcdctl', argv, { env: { ...process.env, ETCDCTL_API: '3' }, timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0, stdout, stderr });
    });
  });
}
