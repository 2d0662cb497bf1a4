/**
 * `kubemend exec -- CMD...`: an ad-hoc command on the selected hosts, one connection per host,
 * each host's output printed as soon as it finishes (`m1 | ...`), never accumulated across the fleet.
 */
import PQueue from 'p-queue';
import { UsageError, errorMessage } from '../../core/errors.js';
import type { Host } from '../../inventory/types.js';
import { DURATION_FORMS, parseDuration } from '../../inventory/duration.js';
import { trace } from '../../core/trace.js';
import { checkLimit } from '../checks.js';
import type { Deps } from '../deps.js';
import { EXIT } from '../exit.js';
import { onInterrupt } from '../interrupt.js';
import { err, hostText } from '../io.js';
import { canPrompt } from '../confirm.js';
import { chooseHosts, needLimit } from '../select-hosts.js';

/** Options of `exec`. */
export interface ExecArgs {
  inventory?: string;
  limit?: string;
  concurrency: number;
  timeout?: string;
  sudo?: boolean;
  acceptNewHostKeys?: boolean;
}

/** Prefix every line of `text` with `name | `. */
export function prefixLines(name: string, text: string): string {
  if (!text) return '';
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  return (
    body
      .split('\n')
      .map((l) => `${name} | ${l}`)
      .join('\n') + '\n'
  );
}

/** `p`, or a rejection as soon as `signal` aborts (a connect or handshake in progress does not hold up Ctrl-C). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('interrupted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('interrupted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Run argv on every selected host; exit 1 when any host failed, 130 when interrupted. */
export async function execCommand(deps: Deps, argv: string[], a: ExecArgs): Promise<number> {
  if (argv.length === 0) throw new UsageError('exec: give the command after --, e.g. kubemend exec -i inv.yaml -- uptime');
  checkLimit(a.limit);
  const timeoutMs = a.timeout ? parseDuration(a.timeout) : undefined;
  if (a.timeout && timeoutMs === undefined) throw new UsageError(`--timeout ${a.timeout}: not ${DURATION_FORMS}`);
  if (!a.inventory) throw new UsageError('missing -i/--inventory FILE');
  trace.stage('inventory');
  const inv = await deps.loadInventory(a.inventory);
  if (!a.limit && !canPrompt()) throw needLimit('exec');
  let hosts = deps.selectHosts(inv, a.limit);
  const transport = deps.createTransport(inv, { acceptNewHostKeys: a.acceptNewHostKeys });
  if (!a.limit) {
    try {
      // no --limit on a terminal: the operator ticks the hosts (none preselected)
      hosts = await chooseHosts({
        what: `exec ${argv[0]}`,
        inventory: inv,
        transport,
        hosts,
        subset: { preselect: 'none' },
        select: (l) => deps.selectHosts(inv, l),
        say: err,
      });
    } catch (e) {
      await transport.close();
      throw e;
    }
  }
  const intr = onInterrupt(err, 0);
  const failed: string[] = [];
  const finished = new Set<string>();
  const q = new PQueue({ concurrency: Math.max(1, a.concurrency) });
  const one = async (h: Host) => {
    if (intr.stop.aborted) return;
    try {
      const r = await untilAborted(
        trace.wait(() => transport.run(h, argv, { timeoutMs, signal: intr.abort, sudo: a.sudo })),
        intr.abort,
      );
      finished.add(h.name);
      const o = prefixLines(h.name, r.stdout);
      const e = prefixLines(h.name, r.stderr);
      if (o) hostText(process.stdout, o);
      if (e) hostText(process.stderr, e);
      if (r.exitCode !== 0) {
        failed.push(h.name);
        err(`${h.name} | exit ${r.exitCode ?? `signal ${r.signal}`}`, { paint: true });
      }
    } catch (e) {
      if (intr.abort.aborted) {
        // cut short by Ctrl-C: whatever the transport says (an aborted connect, a killed command), it was interrupted
        err(`${h.name} | interrupted`, { paint: true });
        return;
      }
      finished.add(h.name);
      failed.push(h.name);
      const m = errorMessage(e);
      err(`${h.name} | error: ${m.startsWith(`${h.name}: `) ? m.slice(h.name.length + 2) : m}`, { paint: true });
    }
  };
  trace.stage('run', `${hosts.length} hosts`);
  try {
    for (const h of hosts) q.add(() => one(h));
    await q.onIdle();
  } finally {
    intr.dispose();
    trace.stage('close connections');
    await transport.close();
  }
  if (intr.stop.aborted) {
    const left = hosts.filter((h) => !finished.has(h.name)).map((h) => h.name);
    err(
      `interrupted: ${finished.size} of ${hosts.length} hosts finished${left.length ? `; not finished: ${left.join(', ')}` : ''}${failed.length ? `; failed: ${failed.join(', ')}` : ''}`,
    );
    return EXIT.interrupted;
  }
  if (failed.length) {
    err(`failed on ${failed.length} of ${hosts.length} hosts: ${failed.join(', ')}`, { paint: true });
    return EXIT.failed;
  }
  return EXIT.ok;
}
