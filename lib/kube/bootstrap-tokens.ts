/**
 * The bootstrap tokens a run makes, and their clean-up. Every token kubemend has kubeadm make
 * carries a description naming the run (`kubeadm token create --description`, InitConfiguration
 * `bootstrapTokens[].description`), so a clean-up finds them again from the cluster alone: after
 * a failure, and on resume, when the tokens' values are long gone (secrets are never journaled).
 * A token is deleted as `kubeadm token delete` does it (cmd/kubeadm/app/cmd/token.go
 * RunDeleteTokens: it deletes the Secret `bootstrap-token-<id>` in kube-system), through the API, so
 * that not even the token's id reaches a host's command line or the journal.
 */
import type { V1Secret } from '@kubernetes/client-node';
import type { Kube } from './api.js';

/** A bootstrap token's Secret type (k8s.io/cluster-bootstrap/token/api). */
export const BOOTSTRAP_TOKEN_TYPE = 'bootstrap.kubernetes.io/token';

/** The Secret upload-certs stores the encrypted control-plane keys in (kubeadm constants KubeadmCertsSecret). */
export const KUBEADM_CERTS = 'kubeadm-certs';

/** The description of a token made by run `runId` for `purpose`. */
export function tokenDescription(runId: string, purpose: string): string {
  return `kubemend run ${runId}: ${purpose}`;
}

/** The decoded `description` of a bootstrap token Secret ('' when none). */
function description(s: V1Secret): string {
  const d = s.data?.description;
  return d ? Buffer.from(d, 'base64').toString('utf8') : '';
}

/** Delete the bootstrap tokens of run `runId` (only those made for `purpose`, when given); returns how many were deleted. */
export async function deleteRunTokens(kube: Kube, runId: string, purpose?: string): Promise<number> {
  const want = purpose === undefined ? tokenDescription(runId, '') : tokenDescription(runId, purpose);
  const mine = (await kube.secretsOfType(BOOTSTRAP_TOKEN_TYPE)).filter(
    (s) => s.metadata?.namespace === 'kube-system' && (purpose === undefined ? description(s).startsWith(want) : description(s) === want),
  );
  let n = 0;
  for (const s of mine) if (await kube.deleteSecret('kube-system', s.metadata!.name!)) n++;
  return n;
}

/**
 * Delete kube-system/kubeadm-certs (the CA keys, encrypted with the certificate key) and the
 * bootstrap token that owns it: upload-certs makes that token to bound the Secret's life to 2 h
 * (cmd/kubeadm/app/phases/copycerts/copycerts.go createShortLivedBootstrapToken, "Proxy for managing
 * TTL for the kubeadm-certs secret", the Secret's ownerReference). Returns whether the Secret was there.
 */
export async function deleteUploadedCerts(kube: Kube): Promise<boolean> {
  const s = await kube.secret('kube-system', KUBEADM_CERTS);
  if (!s) return false;
  for (const o of s.metadata?.ownerReferences ?? []) {
    if (o.kind === 'Secret' && o.name?.startsWith('bootstrap-token-')) await kube.deleteSecret('kube-system', o.name);
  }
  return kube.deleteSecret('kube-system', KUBEADM_CERTS);
}
