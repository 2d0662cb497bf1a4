/** kubeadm and kubectl as the playbooks call them on a master: kubemend's kubeadm config, admin.conf, the master's own apiserver. */
import type { HostContext } from '../../lib/core/types.js';
import { ADMIN_CONF, KUBEADM_CONFIG } from '../../lib/facts/paths.js';
import { ownApiserverFlags } from '../../lib/kube/own-apiserver.js';
import type { Arg } from '../../lib/shell/secret.js';

/** `kubeadm ARGS --config <kubemend's config>`. */
export function kubeadm(h: HostContext, args: readonly Arg[], what?: string) {
  return h.run(['kubeadm', ...args, '--config', KUBEADM_CONFIG], { what: what ?? `kubeadm ${args.join(' ')}`, timeoutMs: 300_000 });
}

/** kubectl on a master with its admin.conf, through admin.conf's server: the control-plane endpoint (read-only use). */
export function kubectlArgv(...args: string[]): string[] {
  return ['kubectl', '--kubeconfig', ADMIN_CONF, '--request-timeout=10s', ...args];
}

/**
 * kubectl on master `host` with its admin.conf's credentials and CA, sent to that master's OWN
 * apiserver at its own address (lib/kube/own-apiserver.ts), not through the endpoint: a load
 * balancer or VIP may not have noticed a rebuilt apiserver yet, and the endpoint may be another
 * master's address.
 */
export function kubectlOn(host: { address: string }, ...args: string[]): string[] {
  return ['kubectl', '--kubeconfig', ADMIN_CONF, ...ownApiserverFlags(host), '--request-timeout=10s', ...args];
}
