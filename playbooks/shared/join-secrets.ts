/**
 * The join secrets a playbook makes on the cluster: bootstrap tokens (kubeadm token create), read
 * from kubeadm's output by their shape, and their clean-up with the kubeadm-certs Secret.
 */
import type { HostContext, PhaseContext } from '../../lib/core/types.js';
import { deleteRunTokens, deleteUploadedCerts, tokenDescription } from '../../lib/kube/bootstrap-tokens.js';
import { kubeFor } from '../../lib/kube/session.js';
import { KUBEADM_RETRY } from '../../lib/kubeadm/idempotent.js';
import { runIdOf } from './run-files.js';

/** A bootstrap token as kubeadm prints it (`[a-z0-9]{6}.[a-z0-9]{16}`). */
const TOKEN_LINE = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;
/** A certificate key as `kubeadm certs certificate-key` prints it (32 bytes, hex). */
const KEY_LINE = /^[0-9a-f]{64}$/;

/** The one line of `stdout` that has the shape of `what`; throws (without echoing the output) when none has. */
export function secretLine(stdout: string, shape: 'token' | 'certificate-key', doing: string): string {
  const re = shape === 'token' ? TOKEN_LINE : KEY_LINE;
  const lines = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => re.test(l));
  if (lines.length !== 1)
    throw new Error(
      `${doing} printed ${lines.length ? 'more than one' : 'no'} ${shape === 'token' ? 'bootstrap token' : 'certificate key'} (${stdout.split('\n').filter(Boolean).length} lines of output, not shown: they may hold secrets); nothing was changed with it`,
    );
  return lines[0];
}

/** What each bootstrap token a run makes is for (its description names the run and this). */
export const TOKEN_PURPOSE = {
  bootstrapPhase: 'made by init phase bootstrap-token, deleted at once (step 6)',
  controlPlaneJoin: 'control-plane join (steps 7-8)',
  workerJoin: 'worker join (steps 12-13)',
} as const;

/**
 * Delete the run's bootstrap tokens made for `purpose` and (`certs`) kube-system/kubeadm-certs with
 * the token that owns it, through the API (a dry run plans it). A phase's clean-up: after it
 * succeeded, failed or was found complete on resume.
 */
export async function deleteJoinSecrets(ctx: PhaseContext, purpose: string, certs: boolean): Promise<void> {
  const what = `delete this run's bootstrap tokens for "${purpose}"${certs ? ' and the kubeadm-certs Secret' : ''}`;
  await ctx.wet(
    what,
    async () => {
      const kube = await kubeFor(ctx);
      const n = await deleteRunTokens(kube, runIdOf(ctx), purpose);
      const gone = certs && (await deleteUploadedCerts(kube));
      ctx.log(
        `deleted ${n} bootstrap token${n === 1 ? '' : 's'} made for "${purpose}"${certs ? (gone ? ' and the kubeadm-certs Secret with its owner token' : '; no kubeadm-certs Secret left') : ''}`,
      );
    },
    undefined,
  );
}

/**
 * `kubeadm token create --ttl TTL --description DESC` on `h`: kubeadm generates the token and
 * prints it (stdout only: never an argument, cmd/kubeadm/app/cmd/token.go `token create [token]`
 * takes one only when given); checked for its shape before any use. The description names the run
 * and `purpose`, so the clean-up finds the token again (lib/kube/bootstrap-tokens.ts).
 */
export async function createToken(h: HostContext, ttl: string, purpose: string): Promise<string> {
  const argv = ['kubeadm', 'token', 'create', '--ttl', ttl, '--description', tokenDescription(runIdOf(h), purpose)];
  return secretLine(
    (await h.run(argv, { what: 'kubeadm token create', retry: KUBEADM_RETRY.tokenCreate })).stdout,
    'token',
    `${h.host.name}: kubeadm token create`,
  );
}
