/**
 * The master rebuilt first, chosen from where the control-plane endpoint leads (pure). The first
 * master's new admin.conf points at the endpoint, `kubeadm init phase bootstrap-token` writes that
 * server into cluster-info and `init phase upload-certs` talks to the cluster through it, and the
 * other masters join through it: so when it leads to one master only, that master must be the first,
 * whatever the inventory's order. Where it leads is read on every master (their resolver, as kubeadm
 * there sees it) and on this machine (shown, never deciding: kubemend reaches the API at the first
 * master's own address).
 */
import type { Resolution } from '../../lib/facts/endpoint.js';

/** A master and the addresses that are its own (its inventory address, or what its inventory name resolves to). */
export interface MasterAddresses {
  name: string;
  addresses: string[];
  /** Its interfaces' addresses (`ip addr`), to say which master holds a VIP now. */
  interfaces?: string[];
}

/** One endpoint as it was seen. */
export interface EndpointSeen {
  /** `host:port` as written. */
  endpoint: string;
  /** Where it is written ('the ClusterConfiguration', 'the inventory', or both). */
  source: string;
  /** Its host is an IP address (the same everywhere, nothing resolved). */
  literal: boolean;
  /** How each master resolved its host. */
  views: Array<{ master: string; resolution: Resolution }>;
  /** How this machine resolved it (undefined: not asked). */
  here?: Resolution;
}

/** Where one endpoint leads. */
export interface Lead {
  endpoint: string;
  source: string;
  /** `master`: one master; `masters`: several (a name with several masters' addresses); `other`: no master's address (a load balancer or VIP). */
  kind: 'master' | 'masters' | 'other';
  /** The masters it leads to, as seen from every master (all masters for `other`). */
  masters: string[];
  /** In words, for the plan and the journal. */
  text: string;
  /** Remarks (this machine sees it elsewhere, a VIP held by a master now, ...). */
  notes: string[];
}

/** The choice: the first master and why, or why no master can go first (a refusal, nothing changed). */
export interface FirstChoice {
  first?: string;
  reason: string;
  leads: Lead[];
  notes: string[];
  refusal?: string;
}

const list = (xs: readonly string[]): string => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

/** Where `seen` leads, given every master's own addresses; a string when the masters cannot reach it alike (why). */
export function whereItLeads(seen: EndpointSeen, masters: readonly MasterAddresses[]): Lead | string {
  const owner = (a: string) => masters.find((m) => m.addresses.includes(a))?.name;
  const host = seen.endpoint.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const failed = seen.views.filter((v) => v.resolution.error || v.resolution.addresses.length === 0);
  if (failed.length) {
    return (
      `the control-plane endpoint ${seen.endpoint} (${seen.source}) does not resolve on ${failed.map((v) => `${v.master} (${v.resolution.error ?? 'no address'})`).join(', ')}: ` +
      "kubeadm on those masters could not reach the API through it, so no master can be rebuilt first. Fix the masters' resolver (/etc/hosts or DNS) or the endpoint"
    );
  }
  const all = masters.map((m) => m.name);
  const allowed = (addresses: string[]): string[] => {
    const ms = [...new Set(addresses.map(owner).filter((x): x is string => !!x))];
    return ms.length ? all.filter((m) => ms.includes(m)) : all; // no master's address: a balancer or VIP, any master behind it
  };
  const candidates = seen.views.reduce((acc, v) => acc.filter((m) => allowed(v.resolution.addresses).includes(m)), all);
  const shown = (addresses: string[]) => addresses.map((a) => (owner(a) ? `${owner(a)}'s address ${a}` : a)).join(', ');
  const sets = [...new Set(seen.views.map((v) => v.resolution.addresses.join(',')))];
  const notes: string[] = [];
  if (candidates.length === 0) {
    return (
      `the masters resolve the control-plane endpoint ${seen.endpoint} (${seen.source}) to different masters (${seen.views.map((v) => `on ${v.master}: ${shown(v.resolution.addresses)}`).join('; ')}): ` +
      'no master can be reached through it from every master, so none can be rebuilt first. Make every master resolve it alike (/etc/hosts or DNS)'
    );
  }
  const addresses = seen.views[0]?.resolution.addresses ?? [];
  const noMaster = seen.views.every((v) => !v.resolution.addresses.some(owner));
  const kind: Lead['kind'] = noMaster ? 'other' : candidates.length === 1 ? 'master' : 'masters';
  let text: string;
  if (seen.literal) {
    text =
      kind === 'other' ? `${host} is no master's address: a load balancer or a VIP, any master behind it can go first` : `${host} is ${owner(host)}'s address`;
  } else if (sets.length > 1) {
    text = `${host} resolves differently on the masters (${seen.views.map((v) => `on ${v.master}: ${shown(v.resolution.addresses)}`).join('; ')}); every master reaches ${list(candidates)} through it`;
  } else if (kind === 'other') {
    text = `${host} resolves to ${addresses.join(', ')} on every master, no master's address: a load balancer or a VIP, any master behind it can go first`;
  } else if (kind === 'master') {
    text = `${host} resolves to ${shown(addresses)} on every master`;
  } else {
    text = `${host} resolves to ${shown(addresses)} on every master: any of ${list(candidates)} can go first (clients try the next address when one refuses)`;
  }
  if (kind === 'other') {
    for (const a of addresses) {
      const holder = masters.find((m) => m.interfaces?.includes(a) && !m.addresses.includes(a));
      if (holder) notes.push(`${a} is held by ${holder.name} now (a VIP): it moves to a master whose apiserver answers`);
    }
  }
  if (!seen.literal && seen.here) {
    const h = seen.here;
    if (h.error || h.addresses.length === 0)
      notes.push(
        `this machine does not resolve ${host} (${h.error ?? 'no address'}); that changes nothing: kubemend reaches the API at the first master's own address`,
      );
    else if (h.addresses.join(',') !== sets[0] || sets.length > 1)
      notes.push(
        `this machine resolves ${host} to ${shown(h.addresses)}, not as the masters do; the masters' view decides (kubeadm runs there), and kubemend reaches the API at the first master's own address`,
      );
  }
  return { endpoint: seen.endpoint, source: seen.source, kind, masters: kind === 'other' ? all : candidates, text, notes };
}

/**
 * Choose the first master: the one every endpoint leads to; `firstGiven` (the inventory's
 * `first: true`) when the endpoints allow it, else a refusal that says which master they lead to;
 * for a load balancer or VIP any master, the inventory's first one.
 */
export function chooseFirst(input: { masters: readonly MasterAddresses[]; endpoints: readonly EndpointSeen[]; firstGiven?: string }): FirstChoice {
  const all = input.masters.map((m) => m.name);
  const leads: Lead[] = [];
  for (const e of input.endpoints) {
    const l = whereItLeads(e, input.masters);
    if (typeof l === 'string') return { reason: l, leads, notes: [], refusal: `${l}; nothing was changed` };
    leads.push(l);
  }
  const notes = leads.flatMap((l) => l.notes);
  const candidates = leads.reduce((acc, l) => acc.filter((m) => l.masters.includes(m)), all);
  const why = leads.map((l) => `the control-plane endpoint ${l.endpoint} (${l.source}): ${l.text}`).join('; ');
  if (candidates.length === 0) {
    return {
      reason: why,
      leads,
      notes,
      refusal: `${leads.map((l) => `${l.endpoint} (${l.source}) leads to ${list(l.masters)}`).join(', but ')}: no master is reached through both, so none can be rebuilt first. Make the inventory's controlPlaneEndpoint the ClusterConfiguration's; nothing was changed`,
    };
  }
  const any = candidates.length === all.length && leads.every((l) => l.kind === 'other');
  const listedFirst = all[0];
  if (input.firstGiven) {
    if (candidates.includes(input.firstGiven)) {
      return { first: input.firstGiven, reason: `${input.firstGiven} is marked \`first: true\` in the inventory, and ${why}`, leads, notes };
    }
    const to = candidates.length === 1 ? candidates[0] : `one of ${list(candidates)}`;
    return {
      reason: why,
      leads,
      notes,
      refusal:
        `the inventory marks ${input.firstGiven} \`first: true\`, but ${why}. The first master's new admin.conf points at the endpoint, ` +
        '`kubeadm init phase bootstrap-token` and `upload-certs` reach the cluster through it, and the other masters join through it, ' +
        `so the master rebuilt first must be ${to}. Remove \`first: true\` from ${input.firstGiven} (or put it on ${candidates[0]}); nothing was changed`,
    };
  }
  const first = candidates[0]!;
  const order = first === listedFirst ? '' : ` (the inventory lists ${listedFirst} first)`;
  if (any) return { first, reason: `${why}; ${first} is the inventory's first master`, leads, notes };
  const because =
    candidates.length === 1
      ? "the other masters join through it and the first master's new admin.conf points at it, so it is rebuilt first"
      : `the first of them in the inventory's order`;
  return { first, reason: `${why}: ${because}${order}`, leads, notes };
}
