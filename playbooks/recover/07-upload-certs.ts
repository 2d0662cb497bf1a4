/**
 * Step 7: on the first master, the certificate key, `init phase upload-certs` and a control-plane
 * join token, made when step 8 has a master to join (its `prepare`: never on a cluster with one
 * master, never again on a resume whose joins are done). No secret is ever a kubeadm argument:
 * the certificate key goes in the InitConfiguration (`certificateKey:`), because kubeadm refuses
 * to mix `--config` with `--certificate-key` (cmd/kubeadm/app/apis/kubeadm/validation/validation.go
 * ValidateMixedArguments/isAllowedFlag: with --config only config, ignore-preflight-errors,
 * dry-run, kubeconfig, node-name, kubeconfig-dir, upload-certs, print-join-command, rootfs, v,
 * log-file, yes and skip-* may be set); the token is generated and printed by kubeadm itself.
 */
import type { HostContext, PhaseContext } from '../../lib/core/types.js';
import { inventoryFirst } from '../../lib/core/hosts.js';
import { CA_CRT } from '../../lib/facts/paths.js';
import { Secret } from '../../lib/shell/secret.js';
import { kubeadmWithConfig } from '../../lib/kubeadm/run.js';
import { type RecoverOptions, recoverConfig } from './common.js';
import { TOKEN_PURPOSE, createToken, secretLine } from '../shared/join-secrets.js';
import { writeRunFile } from '../shared/run-files.js';
import { hostConfig } from './config.js';

/** Captured names: the certificate key and the control-plane join token (Secrets), the CA pin. */
export const CERT_KEY = 'certificate-key';
export const CP_JOIN_TOKEN = 'cp-join-token';
export const CA_HASH = 'ca-cert-hash';
/** Run file that says this run uploaded kubeadm-certs (the clean-up deletes it, also on resume). */
export const UPLOADED = 'uploaded-certs.json';

/** sha256 of the CA's SubjectPublicKeyInfo (DER), as kubeadm's discovery.bootstrapToken.caCertHashes wants. */
export async function caCertHash(h: HostContext): Promise<string> {
  return h.capture(CA_HASH, async () => {
    const r = await h.read(
      ['sh', '-c', 'openssl x509 -pubkey -noout -in "$1" | openssl pkey -pubin -outform der | openssl dgst -sha256 -hex | sed "s/^.* //"', 'sh', CA_CRT],
      { what: 'CA public key hash' },
    );
    return `sha256:${r.stdout.trim()}`;
  });
}

/** A captured value as a Secret (a resumed or dry run may hold a plain string). */
export function asSecret(ctx: PhaseContext, name: string): Secret {
  const v = ctx.get(name);
  return typeof v === 'string' ? new Secret(name, v) : v;
}

/**
 * Step 7 on the first master: `kubeadm certs certificate-key` (printed, captured as a Secret),
 * `kubeadm init phase upload-certs --upload-certs --skip-certificate-key-print --config F` with
 * `certificateKey:` in F's InitConfiguration (a 0600 file that lives as long as the command),
 * `kubeadm token create` (2 h, described for the clean-up), and the CA pin.
 */
export async function uploadCertsForJoin(ctx: PhaseContext<RecoverOptions>): Promise<void> {
  const h = ctx.on(inventoryFirst(ctx));
  const key = await h.capture(
    CERT_KEY,
    async () =>
      secretLine(
        (await h.run(['kubeadm', 'certs', 'certificate-key'], { what: 'kubeadm certs certificate-key' })).stdout,
        'certificate-key',
        `${h.host.name}: kubeadm certs certificate-key`,
      ),
    { secret: true },
  );
  const cfg = recoverConfig(h);
  writeRunFile(h, UPLOADED, { at: new Date().toISOString() }); // before: a kill during the upload still cleans up
  await kubeadmWithConfig(
    h,
    ['init', 'phase', 'upload-certs', '--upload-certs', '--skip-certificate-key-print'],
    hostConfig(h.host, cfg, { certificateKey: key }),
    { what: 'kubeadm init phase upload-certs (certificateKey in the InitConfiguration)' },
  );
  await h.capture(CP_JOIN_TOKEN, () => createToken(h, '2h', TOKEN_PURPOSE.controlPlaneJoin), { secret: true });
  await caCertHash(h);
}
