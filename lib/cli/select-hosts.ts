/**
 * Interactive host selection for playbooks that act on a subset (Playbook.subset) and `exec`:
 * facts gathered read-only and quickly (Node Ready from the API, certificate expiry over SSH;
 * "unknown" when they do not come in time), then a searchable checkbox grouped by role.
 */
import { runPlaybook } from '../core/runner.js';
import { definePlaybook, type Playbook, type SubsetSelection } from '../core/types.js';
import type { Host, Inventory } from '../inventory/types.js';
import type { Transport } from '../transport/types.js';
import { KUBELET_CLIENT, PKI } from '../facts/paths.js';
import { nodeReady } from '../kube/node-ready.js';
import { closeKube, kubeFor } from '../kube/session.js';
import { EXIT, ExitError } from './exit.js';
import { promptOpen, whilePrompting } from './io.js';

/** What helps an operator choose a host; 'unknown' when it could not be read in time. */
export interface ChoiceFacts {
  node: 'Ready' | 'NotReady' | 'absent' | 'unknown';
  /** notAfter (ISO) of the kubelet client certificate; null: no such file. */
  kubeletCert: string | null | 'unknown';
  /** notAfter (ISO) of apiserver.crt on masters; null: no such file. */
  apiserverCert?: string | null | 'unknown';
}

/** A line of the checkbox: a role header or a host. */
export type ChoiceLine = { separator: string } | { value: string; name: string; short: string; checked: boolean };

const APISERVER = `${PKI}/apiserver.crt`;
const EXPIRY_SCRIPT =
  'for f in "$@"; do if [ -f "$f" ]; then echo "$f|$(openssl x509 -noout -enddate -in "$f" 2>/dev/null | sed s/^notAfter=//)"; else echo "$f|absent"; fi; done';

/** Parse `path|notAfter` lines (`absent` for a missing file) into ISO dates, null or 'unknown'. */
export function parseExpiryLines(out: string): Map<string, string | null | 'unknown'> {
  const m = new Map<string, string | null | 'unknown'>();
  for (const line of out.split('\n')) {
    const i = line.indexOf('|');
    if (i < 0) continue;
    const d = line.slice(i + 1).trim();
    const t = Date.parse(d);
    m.set(line.slice(0, i), d === 'absent' ? null : Number.isNaN(t) ? 'unknown' : new Date(t).toISOString());
  }
  return m;
}

/** The read-only playbooks that fill `facts`: certificate expiry per host, Node states from the API. */
function gatherPlaybooks(facts: Map<string, ChoiceFacts>): Playbook[] {
  const hostsPb = definePlaybook({
    name: 'select-facts',
    description: 'certificate expiry for host selection',
    destructive: false,
    readOnly: true,
    phases: [
      {
        id: 'select/certs',
        title: 'certificate expiry',
        hosts: (ctx) => ctx.hosts,
        strategy: { kind: 'parallel', maxFailures: '100%' },
        async run(h) {
          const paths = h.host.role === 'master' ? [KUBELET_CLIENT, APISERVER] : [KUBELET_CLIENT];
          const r = await h.read(['sh', '-c', EXPIRY_SCRIPT, 'sh', ...paths], { what: 'read certificate expiry', timeoutMs: 8000 });
          const exp = parseExpiryLines(r.stdout);
          const f = facts.get(h.host.name)!;
          f.kubeletCert = exp.get(KUBELET_CLIENT) ?? 'unknown';
          if (h.host.role === 'master') f.apiserverCert = exp.get(APISERVER) ?? 'unknown';
        },
      },
    ],
  });
  const apiPb = definePlaybook({
    name: 'select-nodes',
    description: 'Node states for host selection',
    destructive: false,
    readOnly: true,
    phases: [
      {
        id: 'select/nodes',
        title: 'Node states from the API',
        scope: 'cluster',
        async run(ctx) {
          try {
            const nodes = await (await kubeFor(ctx)).nodes();
            for (const [name, f] of facts) {
              const n = nodes.find((x) => x.metadata?.name === name);
              f.node = !n ? 'absent' : nodeReady(n) ? 'Ready' : 'NotReady';
            }
          } finally {
            await closeKube(ctx).catch(() => undefined);
          }
        },
      },
    ],
  });
  return [hostsPb, apiPb];
}

/** Facts of `hosts`, read-only, within `timeoutMs` (default 10 s); whatever is not known by then is 'unknown'. Never throws. */
export async function gatherChoiceFacts(
  inventory: Inventory,
  transport: Transport,
  hosts: readonly Host[],
  timeoutMs = 10_000,
): Promise<Map<string, ChoiceFacts>> {
  const facts = new Map<string, ChoiceFacts>(
    hosts.map((h) => [h.name, { node: 'unknown', kubeletCert: 'unknown', ...(h.role === 'master' ? { apiserverCert: 'unknown' as const } : {}) }]),
  );
  const stop = new AbortController();
  // the clock does not run out while a prompt is open (a sudo password asked by the transport)
  const fire = () => (promptOpen() ? (timer = setTimeout(fire, 500)) : stop.abort());
  let timer = setTimeout(fire, timeoutMs);
  try {
    const runs = gatherPlaybooks(facts).map((playbook) =>
      runPlaybook({ playbook, inventory, transport, hosts: [...hosts], dryRun: true, sinks: [], stop: stop.signal, abort: stop.signal }).catch(() => undefined),
    );
    const deadline = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.race([Promise.all(runs), deadline]);
  } catch {
    /* the facts only help: never block the selection */
  } finally {
    clearTimeout(timer);
    stop.abort(); // kill what is still running
  }
  // copies: a run aborted above may still write into `facts` as it unwinds
  return new Map([...facts].map(([k, v]) => [k, { ...v }]));
}

/** `2027-11-29 (364d)`, `absent`, `unknown`, or `EXPIRED 2025-01-02`. */
export function formatExpiry(iso: string | null | 'unknown' | undefined, now: number): string {
  if (iso === undefined || iso === 'unknown') return 'unknown';
  if (iso === null) return 'absent';
  const days = Math.floor((Date.parse(iso) - now) / 86_400_000);
  return days < 0 ? `EXPIRED ${iso.slice(0, 10)}` : `${iso.slice(0, 10)} (${days}d)`;
}

/** Whether a host starts checked. */
export function preselected(preselect: SubsetSelection['preselect'], f: ChoiceFacts | undefined): boolean {
  if (preselect === 'none') return false;
  if (preselect === 'not-ready') return f?.node === 'NotReady' || f?.node === 'absent';
  return true;
}

const ROLE_TITLE: Record<Host['role'], string> = { master: 'masters', worker: 'workers', etcd: 'etcd hosts' };

/** The checkbox lines: a header per role, then one line per host with its facts (pure). */
export function hostChoices(hosts: readonly Host[], facts: ReadonlyMap<string, ChoiceFacts>, subset: SubsetSelection, now = Date.now()): ChoiceLine[] {
  const offered = hosts.filter((h) => !subset.roles || subset.roles.includes(h.role));
  const width = Math.max(4, ...offered.map((h) => h.name.length));
  const out: ChoiceLine[] = [];
  for (const role of ['master', 'worker'] as const) {
    const group = offered.filter((h) => h.role === role);
    if (!group.length) continue;
    out.push({ separator: `-- ${ROLE_TITLE[role]} (${group.length}) --` });
    for (const h of group) {
      const f = facts.get(h.name);
      const node = f?.node ?? 'unknown';
      const parts = [h.name.padEnd(width), `Node ${node}`.padEnd(13), `kubelet cert ${formatExpiry(f?.kubeletCert, now)}`];
      if (h.role === 'master') parts.push(`apiserver cert ${formatExpiry(f?.apiserverCert, now)}`);
      out.push({ value: h.name, name: parts.join('  '), short: h.name, checked: preselected(subset.preselect, f) });
    }
  }
  return out;
}

/** Whether a checkbox line is shown for the typed term: its text contains it (name, Node state, dates), or the term is a --limit pattern (`workers`, `w1*`, `label:zone=a`) that selects the host. */
export function hostFilter(select: (limit: string) => Host[]): (term: string, choice: { value: string; name: string }) => boolean {
  let last: { term: string; names: Set<string> } | undefined;
  return (term, choice) => {
    if (choice.name.toLowerCase().includes(term.toLowerCase())) return true;
    if (last?.term !== term) {
      let names = new Set<string>();
      try {
        names = new Set(select(term).map((h) => h.name));
      } catch {
        /* not a pattern that selects anything: text match only */
      }
      last = { term, names };
    }
    return last.names.has(choice.value);
  };
}

/** Ask which hosts to act on (a checkbox on the terminal); ExitError(2) when none is chosen. */
export async function chooseHosts(a: {
  what: string;
  inventory: Inventory;
  transport: Transport;
  hosts: readonly Host[];
  subset: SubsetSelection;
  /** --limit syntax, for the search (`workers`, `w1*`). */
  select: (limit: string) => Host[];
  say: (line: string) => void;
}): Promise<Host[]> {
  const offered: readonly Host[] = a.hosts.filter((h) => !a.subset.roles || a.subset.roles.includes(h.role));
  if (!offered.length) throw new ExitError(EXIT.usage, `${a.what}: no host of role ${a.subset.roles?.join('/')} to choose from; nothing was changed`);
  a.say(`reading Node states and certificate expiry of ${offered.length} host${offered.length > 1 ? 's' : ''} (read-only)...`);
  const facts = await gatherChoiceFacts(a.inventory, a.transport, offered);
  const choices = hostChoices(offered, facts, a.subset);
  const { searchCheckbox } = await import('./host-checkbox.js');
  // a terminal that reports no size (0 rows, as under `script`) is taken as 24 rows
  const rows = process.stderr.rows || 24;
  const picked = await whilePrompting(() =>
    searchCheckbox(
      {
        message: `${a.what}: choose the hosts (type to filter)`,
        choices,
        filter: hostFilter(a.select),
        pageSize: Math.min(choices.length, Math.max(5, rows - 8)),
      },
      { output: process.stderr },
    ),
  );
  if (!picked.length) throw new ExitError(EXIT.usage, `${a.what}: no host selected; nothing was changed`);
  const set = new Set(picked);
  return a.hosts.filter((h) => set.has(h.name));
}

/** ExitError(2) for a subset command without --limit and without a terminal to choose on. */
export function needLimit(what: string, alternative?: string): ExitError {
  return new ExitError(
    EXIT.usage,
    `${what} acts on the hosts you choose, and there is no terminal to choose them on (stdin is not a TTY): pass --limit HOSTS (names, globs, groups such as workers or all)${alternative ? `, ${alternative}` : ''}; nothing was changed`,
  );
}
