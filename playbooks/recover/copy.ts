/** Copy PKI files from one master to another through the transport (keys 0600; contents never logged). */
import type { HostContext } from '../../lib/core/types.js';
import type { Host } from '../../lib/inventory/types.js';
import { dirname } from 'node:path';
import { PKI } from '../../lib/facts/paths.js';

/** Copy `files` (relative to /etc/kubernetes/pki) from `from` to the host of `h`. */
export async function copyPki(h: HostContext, from: Host, files: readonly string[]): Promise<void> {
  const src = h.on(from);
  // the folders these files go in, only those (kubespray's kube_cert_dir gets no etcd/: its etcd CA is in /etc/ssl/etcd/ssl)
  const dirs = [...new Set(files.map((f) => dirname(`${PKI}/${f}`)))];
  await h.run(['mkdir', '-p', '-m', '0755', ...dirs]);
  for (const f of files) {
    // an earlier step of this run makes the file: a dry run cannot read it yet, so it plans the copy
    const data = await h.wet(`copy ${from.name}:${PKI}/${f}`, () => src.download(`${PKI}/${f}`), Buffer.alloc(0));
    await h.upload(`${PKI}/${f}`, data, { mode: f.endsWith('.key') ? 0o600 : 0o644 });
  }
}
