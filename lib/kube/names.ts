/** Names of captured values shared between the control-plane half and the API half of recover. */

/** The captured join token (a Secret), made on the first master (recover step 12, rejoin-workers' token phase). */
export const JOIN_TOKEN = 'join-token';
/** The captured cluster CA certificate (PEM, not secret), read from the first master. */
export const CLUSTER_CA = 'cluster-ca';
/** Where kubeadm keeps the cluster CA on every node: lib/facts/paths.ts CA_CRT, under the name recover step 13 imports (to go when that file imports CA_CRT). */
export { CA_CRT as CA_CERT_PATH } from '../facts/paths.js';
