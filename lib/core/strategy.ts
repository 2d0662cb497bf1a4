/** Walks a phase's hosts: serial, parallel (p-queue) or rolling batches with a gate and a failure budget. */
import PQueue from 'p-queue';
import type { Host } from '../inventory/types.js';
import { resolveCount } from './budget.js';
import type { GateResult, Strategy } from './types.js';

/** What the runner gives a strategy. */
export interface WalkOptions {
  /** Cap for parallel phases (the run's --concurrency). */
  concurrency: number;
  /** Start no new host once aborted. */
  stop: AbortSignal;
  /** Run one host; resolves true on success (never rejects). */
  runHost(host: Host): Promise<boolean>;
  /** Run a rolling gate after a batch; resolves the hosts that failed it, or throws. */
  gate?(batchIndex: number, batch: Host[]): Promise<GateResult>;
  /** Told when a rolling batch starts. */
  onBatch?(index: number, batch: Host[]): void;
  /** Told when a gate failed a host. */
  onGateFailure?(host: string, reason: string): void;
}

/** How a walk ended. */
export interface WalkResult {
  failed: string[];
  /** More hosts failed than the budget allows: the run must stop. */
  exceeded: boolean;
  /** The walk stopped because of an interrupt. */
  interrupted: boolean;
  /** Set when a gate threw: the run must stop. */
  gateError?: string;
}

/** A short description of a strategy, for plans and logs. */
export function describeStrategy(s: Strategy, concurrency: number): string {
  switch (s.kind) {
    case 'serial':
      return 'serial';
    case 'parallel':
      return `parallel, ${Math.min(s.concurrency ?? concurrency, concurrency)} at a time`;
    case 'rolling':
      return `rolling, batches of ${s.batch}${s.maxUnavailable !== undefined ? `, max unavailable ${s.maxUnavailable}` : ''}, max failures ${s.maxFailures ?? 0}`;
  }
}

/** Split hosts into consecutive batches of `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Run `hosts` through `strategy`. */
export async function walk(hosts: readonly Host[], strategy: Strategy, o: WalkOptions): Promise<WalkResult> {
  const total = hosts.length;
  const budget = resolveCount(strategy.maxFailures, total, 0, { floor: true });
  const failed: string[] = [];
  let exceeded = false;
  const fail = (name: string) => {
    failed.push(name);
    if (failed.length > budget) exceeded = true;
  };
  const canStart = () => !exceeded && !o.stop.aborted;

  const pool = async (group: readonly Host[], concurrency: number) => {
    const q = new PQueue({ concurrency: Math.max(1, concurrency) });
    for (const h of group) {
      q.add(async () => {
        if (!canStart()) return;
        if (!(await o.runHost(h))) fail(h.name);
      });
    }
    await q.onIdle();
  };

  if (strategy.kind === 'serial') {
    await pool(hosts, 1);
  } else if (strategy.kind === 'parallel') {
    await pool(hosts, Math.min(strategy.concurrency ?? o.concurrency, o.concurrency));
  } else {
    const size = resolveCount(strategy.batch, total, 1, { min: 1 });
    const inFlight = resolveCount(strategy.maxUnavailable, total, size, { min: 1 });
    const list = batches(hosts, size);
    for (let i = 0; i < list.length && canStart(); i++) {
      o.onBatch?.(i, list[i]);
      const before = failed.length;
      await pool(list[i], Math.min(inFlight, size));
      if (!o.gate || exceeded || o.stop.aborted) continue;
      const failedNow = new Set(failed.slice(before));
      const passed = list[i].filter((h) => !failedNow.has(h.name));
      if (passed.length === 0) continue;
      try {
        const bad = (await o.gate(i, passed)) ?? [];
        for (const b of bad) {
          o.onGateFailure?.(b.host, b.reason);
          fail(b.host);
        }
      } catch (err) {
        return { failed, exceeded: true, interrupted: o.stop.aborted, gateError: err instanceof Error ? err.message : String(err) };
      }
    }
  }
  return { failed, exceeded, interrupted: o.stop.aborted };
}
