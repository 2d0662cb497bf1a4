/**
 * A master's own apiserver, reached at the master's own address rather than through the
 * control-plane endpoint (which may be a load balancer or a VIP that has not noticed the rebuilt
 * apiserver yet, or another master's address). The client keeps admin.conf's credentials and CA;
 * only the server changes, and the certificate is checked against the name `kubernetes`, which
 * kubeadm puts in every apiserver serving certificate (cmd/kubeadm/app/util/pkiutil/pki_helpers.go
 * GetAPIServerAltNames: DNS names node name, kubernetes, kubernetes.default, kubernetes.default.svc,
 * kubernetes.default.svc.DOMAIN; read at index id 58245222), so the check holds whatever address
 * the inventory gives the master. The trust is the same: only the cluster CA of admin.conf.
 */
import { isIPv6 } from 'node:net';

/** The port every master's apiserver listens on: kubeadm's default bindPort, which kubemend's InitConfiguration keeps. */
export const APISERVER_PORT = 6443;

/** The DNS name in every kubeadm apiserver serving certificate (checked instead of the address). */
export const APISERVER_TLS_NAME = 'kubernetes';

/** https URL of `host`'s own apiserver (IPv6 in brackets). */
export function ownApiserverUrl(host: { address: string }): string {
  const a = isIPv6(host.address) ? `[${host.address}]` : host.address;
  return `https://${a}:${APISERVER_PORT}`;
}

/** kubectl flags that send a kubeconfig's requests to `host`'s own apiserver (its credentials and CA kept). */
export function ownApiserverFlags(host: { address: string }): string[] {
  return ['--server', ownApiserverUrl(host), '--tls-server-name', APISERVER_TLS_NAME];
}
