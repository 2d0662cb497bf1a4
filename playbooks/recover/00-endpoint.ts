/**
 * Step 0 (endpoint): where the control-plane endpoint leads, and so which master is rebuilt first
 * (read-only; before anything changes). The endpoints are the ClusterConfiguration's (what kubeadm
 * writes into every kubeconfig, admin.conf included) and the inventory's (what kubemend joins
 * nodes through); each is resolved on every master with its own resolver and on this machine
 * (playbooks/recover/first.ts decides). The choice is kept in the run folder: a resumed run keeps
 * its first master. A `first: true` that the endpoint contradicts is refused (exit 2) when the path
 * rebuilds every master from the first one.
 */
import { isIP } from 'node:net';
import { RefusedError } from '../../lib/core/errors.js';
import { firstMasterName, setFirstMaster } from '../../lib/core/hosts.js';
import type { ClusterPhase, PhaseContext } from '../../lib/core/types.js';
import { type Resolution, endpointParts, interfaceAddresses, resolveHere, resolveOnHost } from '../../lib/facts/endpoint.js';
import { canonicalSan } from '../../lib/inventory/serving-sans.js';
import { RECOVER_CONFIG, type RecoverOptions, decision, rebuildsAll } from './common.js';
import { readRunFile, writeRunFile } from '../shared/run-files.js';
import { endpointOf } from './config.js';
import { type EndpointSeen, type Lead, type MasterAddresses, chooseFirst } from './first.js';
import { sharedKey } from '../../lib/core/shared.js';

/** Where the choice is kept in the run folder. */
const CHOICE = 'recover-first.json';
/** Shared-map key of the leads (step 6 waits on the endpoint accordingly). */
const LEADS = sharedKey<Lead[]>('recover:endpoint-leads');

/** What the run folder keeps. */
interface Kept {
  first: string;
  reason: string;
  leads: Lead[];
}

/** Where each endpoint leads, as step 0 found it (undefined when step 0 did not choose: another path, or a plan without it). */
export function endpointLeads(ctx: PhaseContext): Lead[] | undefined {
  return ctx.shared.get(LEADS);
}

/** The endpoints to follow: the ClusterConfiguration's and the inventory's (one entry when they are the same). */
function endpointsOf(ctx: PhaseContext): Array<{ endpoint: string; source: string }> {
  const cfg = ctx.shared.get(RECOVER_CONFIG);
  const fromCfg = cfg ? endpointOf(cfg.yaml) : undefined;
  const inv = ctx.inventory.controlPlaneEndpoint;
  if (!fromCfg) return [{ endpoint: inv, source: "the inventory's; the ClusterConfiguration has none, so each master's kubeconfigs point at its own address" }];
  if (fromCfg === inv) return [{ endpoint: inv, source: "the ClusterConfiguration's and the inventory's" }];
  ctx.log(
    `the ClusterConfiguration's controlPlaneEndpoint ${fromCfg} differs from the inventory's ${inv}: kubeadm writes the first into every kubeconfig, kubemend joins nodes through the second; both must lead to the first master`,
    'warn',
  );
  return [
    { endpoint: fromCfg, source: "the ClusterConfiguration's" },
    { endpoint: inv, source: "the inventory's" },
  ];
}

/** Step 0: the first master, from where the endpoint leads. */
export const endpointPhase: ClusterPhase<RecoverOptions> = {
  id: 'facts/endpoint',
  title: '0. Where the control-plane endpoint leads (resolved on every master, and here): the master rebuilt first',
  scope: 'cluster',
  rerunOnResume: true,
  async run(ctx) {
    const earlier = readRunFile<Kept>(ctx, CHOICE);
    if (earlier) {
      setFirstMaster(ctx, earlier.first);
      ctx.shared.set(LEADS, earlier.leads);
      ctx.log(`first master: ${earlier.first} (chosen when this run started: ${earlier.reason})`);
      return;
    }
    const endpoints = endpointsOf(ctx);
    const masters = ctx.hosts.filter((h) => h.role === 'master');
    const hostOf = (e: string) => endpointParts(e).host;
    // every name to resolve: the endpoints' hosts and the masters' addresses that are names
    const names = [...new Set([...endpoints.map((e) => hostOf(e.endpoint)), ...masters.map((m) => m.address)].filter((n) => !isIP(n)))];
    const seenOn = await Promise.all(
      masters.map(async (m) => {
        const h = ctx.on(m);
        const res = new Map<string, Resolution>();
        for (const n of names) res.set(n, await resolveOnHost(h, n));
        return { name: m.name, res, interfaces: await interfaceAddresses(h) };
      }),
    );
    const addrs: MasterAddresses[] = masters.map((m, i) => ({
      name: m.name,
      addresses: isIP(m.address) ? [canonicalSan(m.address)] : [...new Set(seenOn.flatMap((s) => s.res.get(m.address)?.addresses ?? []))],
      interfaces: seenOn[i]!.interfaces,
    }));
    const seen: EndpointSeen[] = await Promise.all(
      endpoints.map(async (e) => {
        const p = endpointParts(e.endpoint);
        return {
          endpoint: e.endpoint,
          source: e.source,
          literal: p.literal,
          views: seenOn.map((s) => ({ master: s.name, resolution: p.literal ? { addresses: [canonicalSan(p.host)] } : s.res.get(p.host)! })),
          ...(p.literal ? {} : { here: await resolveHere(p.host) }),
        };
      }),
    );
    const choice = chooseFirst({ masters: addrs, endpoints: seen, firstGiven: ctx.inventory.firstGiven });
    for (const n of choice.notes) ctx.log(n);
    if (choice.refusal) {
      if (rebuildsAll(ctx)) throw new RefusedError(choice.refusal);
      ctx.log(
        `${choice.refusal.replace(/; nothing was changed$/, '')}. This run (path ${decision(ctx).path}) rebuilds no master from a first one, so it goes on with ${firstMasterName(ctx)}`,
        'warn',
      );
      return;
    }
    setFirstMaster(ctx, choice.first!);
    ctx.shared.set(LEADS, choice.leads);
    writeRunFile(ctx, CHOICE, { first: choice.first!, reason: choice.reason, leads: choice.leads } satisfies Kept);
    ctx.log(`first master: ${choice.first}: ${choice.reason}`);
  },
};
