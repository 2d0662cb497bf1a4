/**
 * Step 0 (shape): before anything is read from etcd or changed, every host is checked for
 * kubespray's layout (lib/facts/shape.ts), and the layout recover repairs is chosen (shared/layout.ts):
 * kubeadm's own, or kubespray's default (etcd as a systemd service on the masters or on the
 * inventory's etcd group, hosts that are not masters among them, with its certificates in
 * /etc/ssl/etcd/ssl, certificatesDir /etc/kubernetes/ssl, the workers' nginx-proxy on
 * localhost:6443), whose etcd recover keeps as it is. A kubespray shape recover has not been shown
 * to repair (a haproxy local proxy, an etcd member without kubespray's etcd service, a master outside
 * the etcd group without /etc/ssl/etcd/ssl, a worker that is an etcd member: lib/facts/shape.ts
 * repairableLayout) is refused here, naming what was found, before anything changes.
 */
import type { ClusterPhase, PhaseContext } from '../../lib/core/types.js';
import { clusterShape, describeShapes, repairableLayout } from '../../lib/facts/shape.js';
import { LAYOUT_KEY } from '../shared/layout.js';

/** Thrown when the hosts are laid out as recover cannot repair yet; nothing was changed. */
export class UnsupportedShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedShapeError';
  }
}

/** The refusal for hosts that show a kubespray shape recover does not repair (`found`: describeShapes lines; `why`: what is not supported). */
export function kubesprayRefusal(what: string, found: string[], why: string[]): string {
  return (
    `${what} repairs kubeadm's own layout and kubespray's default one (etcd as a systemd service on the masters or on its etcd group, with its certificates in /etc/ssl/etcd/ssl, ` +
    "certificatesDir /etc/kubernetes/ssl, the workers' nginx-proxy on localhost:6443), and these hosts show a kubespray layout it does not repair yet:\n" +
    ` - ${why.join('\n - ')}\nfound:\n - ${found.join('\n - ')}\n` +
    "Nothing was changed. Restore its PKI with kubespray's own playbooks (see docs/kubespray.md)"
  );
}

/** Step 0: choose the layout, or refuse a kubespray shape recover does not repair, before any other step reads or changes the cluster. */
export const shapePhase: ClusterPhase = {
  id: 'facts/shape',
  title:
    "0. Check how the hosts are laid out: kubeadm's, or kubespray's default (its etcd service kept); other kubespray shapes refused before anything changes",
  scope: 'cluster',
  rerunOnResume: true,
  guard: true, // --only/--from cannot leave it out: the other phases read the layout it chooses
  async run(ctx: PhaseContext) {
    const shapes = await Promise.all(ctx.hosts.map(async (h) => ({ host: h.name, role: h.role, shape: await ctx.on(h).fact(clusterShape) })));
    const found = describeShapes(shapes);
    const group = ctx.inventory.etcd?.members ?? [];
    const got = repairableLayout(shapes, group);
    if ('refused' in got) throw new UnsupportedShapeError(kubesprayRefusal('recover', found, got.refused));
    ctx.shared.set(LAYOUT_KEY, got.layout);
    if (got.layout === 'kubeadm') {
      ctx.log(`layout: kubeadm's on all ${shapes.length} hosts (no kubespray etcd service, /etc/ssl/etcd, /etc/kubernetes/ssl or node-local API proxy)`);
      return;
    }
    ctx.log(
      `layout: kubespray's (etcd a systemd service on ${ctx.inventory.etcd?.placement === 'separate' ? `its etcd group (${group.join(', ')})` : 'the masters'}, certificates in /etc/ssl/etcd/ssl, kept as they are: no etcd CA, certificate or pod is made; certificatesDir /etc/kubernetes/ssl; workers through their nginx-proxy). Found:\n - ${found.join('\n - ')}`,
    );
  },
};
