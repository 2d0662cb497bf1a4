/** Fact: etcd member health seen from a master (`etcdctl endpoint health --cluster`). */
import type { Fact } from '../core/types.js';

/** Health of every etcd member. */
export interface EtcdHealth {
  healthy: string[];
  unhealthy: string[];
}

/** Parse etcdctl's `endpoint health --cluster` output (stdout and stderr together). */
export function parseEtcdHealth(out: string): EtcdHealth {
  const healthy: string[] = [];
  const unhealthy: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^(\S+) is (healthy|unhealthy)/.exec(line.trim());
    if (m) (m[2] === 'healthy' ? healthy : unhealthy).push(m[1]);
  }
  return { healthy, unhealthy };
}

/** etcdctl on a master with the healthcheck-client cert, stderr merged (for health). */
export const ETCDCTL = 'cd /etc/kubernetes/pki/etcd 2>/dev/null || exit 0; ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=ca.crt --cert=healthcheck-client.crt --key=healthcheck-client.key --dial-timeout=3s --command-timeout=5s';

/** etcd health of every member (cached per run: use readEtcdHealth for polling). */
export const etcdHealth: Fact<EtcdHealth> = {
  id: 'kubemend:etcd-health',
  argv: ['sh', '-c', `${ETCDCTL} endpoint health --cluster 2>&1; exit 0`],
  parse: (out) => parseEtcdHealth(out),
};

/** The number of keys etcd holds under /registry (the cluster's objects), or null when etcd does not answer. */
export const etcdObjectCount: Fact<number | null> = {
  id: 'kubemend:etcd-objects',
  argv: ['sh', '-c', `${ETCDCTL} get /registry --prefix --keys-only 2>/dev/null | grep -c '^/registry/' ; exit 0`],
  parse: (out) => (/^\d+$/.test(out.trim()) && Number(out.trim()) > 0 ? Number(out.trim()) : null),
};
