/**
 * The run's API client: admin.conf read from the first master over SSH into memory (never
 * written to the laptop), sent to that master's own apiserver at its own address (admin.conf's
 * credentials and CA: lib/kube/own-apiserver.ts), directly or through an SSH tunnel; kept in ctx.shared.
 */
import { inventoryFirst } from '../core/hosts.js';
import { APISERVER_TLS_NAME, ownApiserverUrl } from './own-apiserver.js';
import { registerSecret } from '../shell/secret.js';
import type { PhaseContext } from '../core/types.js';
// the API client (@kubernetes/client-node: ~1.7 s and ~60 MB to import) is loaded on first use
// only, so commands that never reach the API (exec, check-certs, plan) start fast
import type { Kube } from './api.js';
import type { KubeConnection } from './connect.js';
import { kubeWithRetries } from './retry.js';
import { sharedKey } from '../core/shared.js';

/** Where kubeadm writes the admin kubeconfig on a control-plane node. */
export const ADMIN_CONF = '/etc/kubernetes/admin.conf';

interface Session {
  conn: KubeConnection;
  kube: Kube;
}

const KEY = sharedKey<Promise<Session>>('kube:session');

/** Register the client key and token of a kubeconfig as secrets so no log or error can show them. */
function registerKubeconfigSecrets(text: string): void {
  for (const m of text.matchAll(/^\s*(client-key-data|token|password):\s*(\S+)\s*$/gm)) registerSecret(m[2], `admin.conf ${m[1]}`);
}

/**
 * The run's Kube client (opened on first use: download admin.conf from the first master, probe,
 * tunnel if needed), seen through a view that retries each API call on transient errors and
 * journals each retry under `ctx`'s phase (lib/kube/retry.ts).
 */
export async function kubeFor(ctx: PhaseContext, opts: { forceTunnel?: boolean } = {}): Promise<Kube> {
  return kubeWithRetries(await sessionKube(ctx, opts), (step, policy, fn) => ctx.retry(step, policy, fn));
}

/** The run's shared Kube client, opened on first use. */
async function sessionKube(ctx: PhaseContext, opts: { forceTunnel?: boolean }): Promise<Kube> {
  const session = ctx.shared.once(KEY, async (): Promise<Session> => {
    const [{ connectKube }, { Kube }] = await Promise.all([import('./connect.js'), import('./api.js')]);
    const first = inventoryFirst(ctx);
    const text = (await ctx.on(first).download(ADMIN_CONF)).toString('utf8');
    registerKubeconfigSecrets(text);
    const conn = await connectKube(text, {
      forceTunnel: opts.forceTunnel,
      // the first master's own apiserver, not the endpoint: a load balancer or VIP may not have
      // noticed it yet (recover), and the endpoint's name may resolve only inside the cluster
      server: { url: ownApiserverUrl(first), tlsServerName: APISERVER_TLS_NAME },
      tunnel: (_host, port) => ctx.forward(first, first.address, port),
    });
    if (conn.via === 'tunnel') ctx.log(`API ${conn.server} (${first.name}'s own apiserver) not reachable directly: using an SSH tunnel through ${first.name}`);
    return { conn, kube: new Kube(conn.kc) };
  });
  return (await session).kube;
}

/** Close the run's API connection (its tunnel) if one was opened. */
export async function closeKube(ctx: PhaseContext): Promise<void> {
  const have = ctx.shared.get(KEY);
  if (!have) return;
  ctx.shared.delete(KEY);
  try {
    await (await have).conn.close();
  } catch {
    /* a failed open has nothing to close */
  }
}
