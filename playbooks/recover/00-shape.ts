/**
 * Step 0 (shape): before anything is read from etcd or changed, every host is checked for
 * kubespray's layout (lib/facts/shape.ts). recover rebuilds kubeadm's own layout: etcd as static
 * pods with its CA under /etc/kubernetes/pki/etcd, certificatesDir /etc/kubernetes/pki, workers
 * that reach the apiserver at the controlPlaneEndpoint. On a kubespray-built cluster it would make
 * a new etcd CA and etcd static pods beside the etcd service that holds the data, and rejoin the
 * workers past their nginx-proxy: it refuses such a cluster here, naming what it found.
 */
import type { ClusterPhase, PhaseContext } from '../../lib/core/types.js';
import { clusterShape, describeShapes } from '../../lib/facts/shape.js';

/** Thrown when the hosts are laid out as recover cannot repair yet; nothing was changed. */
export class UnsupportedShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedShapeError';
  }
}

/** The refusal for hosts that show kubespray's layout (`found`: describeShapes lines). */
export function kubesprayRefusal(what: string, found: string[]): string {
  return `${what} repairs kubeadm's own layout (etcd as static pods with its CA in /etc/kubernetes/pki/etcd, certificatesDir /etc/kubernetes/pki), ` +
    `and these hosts show kubespray's layout:\n - ${found.join('\n - ')}\n` +
    'Repairing a kubespray-built cluster (etcd as a host service with its certificates in /etc/ssl/etcd/ssl, certificatesDir /etc/kubernetes/ssl, ' +
    "the workers' nginx-proxy on localhost:6443) is not supported yet: nothing was changed. Restore its PKI with kubespray's own playbooks " +
    '(see docs/kubespray.md)';
}

/** Step 0: refuse a cluster laid out by kubespray before any other step reads or changes it. */
export const shapePhase: ClusterPhase = {
  id: 'facts/shape',
  title: "0. Check every host is laid out as kubeadm lays it out (kubespray's layout is refused before anything changes)",
  scope: 'cluster',
  rerunOnResume: true,
  guard: true, // --only/--from cannot leave it out: a partial run on a kubespray cluster refuses too
  async run(ctx: PhaseContext) {
    const shapes = await Promise.all(ctx.hosts.map(async (h) => ({ host: h.name, shape: await ctx.on(h).fact(clusterShape) })));
    const found = describeShapes(shapes);
    if (found.length) throw new UnsupportedShapeError(kubesprayRefusal('recover', found));
    ctx.log(`layout: kubeadm's on all ${shapes.length} hosts (no kubespray etcd service, /etc/ssl/etcd, /etc/kubernetes/ssl or node-local API proxy)`);
  },
};
