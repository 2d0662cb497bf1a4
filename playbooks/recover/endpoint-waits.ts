/**
 * recover's waits for the control-plane endpoint, read-only: before the first kubeadm phase that
 * must go through admin.conf's server, the endpoint itself must lead to the new apiserver (the
 * health waits every playbook uses are in ../shared/waits.ts).
 */
import type { HostContext, PhaseContext } from '../../lib/core/types.js';
import { kubectlArgv } from '../shared/commands.js';
import { waitFor } from '../shared/wait-for.js';
import { endpointLeads } from './00-endpoint.js';

/** The option the waits honour (recover's --wait-seconds). */
type Waits = PhaseContext<{ waitSeconds?: number }>;

/**
 * Wait until the control-plane endpoint, as `h` resolves and reaches it with its admin.conf
 * (exactly as kubeadm there will), answers /readyz with the new CA `streak` times in a row, 2 s
 * apart. More than once for a load balancer, VIP or several-address name: one answer could be a
 * balancer's lucky pick among backends that are down (no health check), and the kubeadm commands
 * after this one would then fail at random.
 */
export async function waitEndpoint(ctx: Waits, h: HostContext, endpoint: string, streak: number, why: string): Promise<void> {
  let inRow = 0;
  let answered = 0;
  await waitFor(
    ctx,
    `the control-plane endpoint ${endpoint} answers /readyz with the new CA from ${h.host.name}${streak > 1 ? ` ${streak} times in a row` : ''} (${why})`,
    async () => {
      const r = await h.read(kubectlArgv('get', '--raw', '/readyz'), { allowFail: true, what: 'kubectl get --raw /readyz (through the endpoint)' });
      if (r.exitCode === 0) {
        answered++;
        return ++inRow >= streak ? true : `${inRow} answer(s) in a row so far`;
      }
      inRow = 0;
      const last = r.stderr.trim().split('\n').pop() || `exit ${r.exitCode}`;
      return answered
        ? `${last} (it answered ${answered} time(s) before: a load balancer without health checks that still sends to masters that are down answers like this)`
        : last;
    },
    { everyMs: 2000 }, // the answers in a row are 2 s apart: a balancer's health checks have seen the new backend
  );
}

/**
 * Before the first kubeadm command on the first master that must go through admin.conf's server
 * (the ClusterConfiguration's endpoint): `init phase bootstrap-token` copies the cluster of the
 * kubeconfig it runs with, server included, into cluster-info (clusterinfo.go
 * CreateBootstrapConfigMapIfNotExists; every later join's bootstrap kubeconfig takes that server:
 * discovery.go For), so a copy of admin.conf pointing at the master's own address would send every
 * node joined afterwards past the endpoint; `init phase upload-certs` takes no --kubeconfig at all
 * (uploadcerts.go InheritFlags: config, upload-certs, certificate-key, skip-certificate-key-print).
 * So the endpoint must lead to the new apiserver first: at once when it is this master's address;
 * for a load balancer or VIP once it noticed the new apiserver (its health check), 3 answers in a row.
 */
export async function waitAdminEndpoint(ctx: Waits, h: HostContext): Promise<void> {
  const lead = endpointLeads(ctx)?.[0];
  const endpoint = lead?.endpoint ?? ctx.inventory.controlPlaneEndpoint;
  const streak = lead?.kind === 'master' ? 1 : 3;
  const why =
    lead?.kind === 'master'
      ? `${lead.masters[0]}'s own address`
      : lead?.kind === 'masters'
        ? `a name for ${lead.masters.join(', ')}`
        : 'a load balancer or VIP: once it sends to the new apiserver';
  await waitEndpoint(ctx, h, endpoint, streak, `${why}; bootstrap-token and upload-certs go through it`);
}
