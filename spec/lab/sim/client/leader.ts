/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
 * acquire when the lease is free or its holder stopped renewing (judged by the local time the
 * record was last seen to change), renew every retry period, and lose it when a renewal does
 * not succeed within the renew deadline. The leader renews optimistically: it updates the Lease it
 * last wrote without reading it first, and reads it only when that update fails (client-go
 * leaderelection.go, tryAcquireOrRenew: "fast path for the leader to update optimistically").
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Api, KObject } from './api.js';
import type { Logger } from '../component-base/log.js';

/** Timings and identity of a leader election. */
export interface LeaderOptions {
  namespace: string;
  name: string;
  identity?: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A leader elector for one lease. */
export class LeaderElector {
  readonly identity: string;
  private observedKey = '';
  private observedAt = 0;
  private leader = false;
  /** The Lease as this process last wrote it (the optimistic renewal's base). */
  private written: KObject | undefined;

  constructor(
    private api: Api,
    private o: LeaderOptions,
    private log: Logger,
  ) {
    this.identity = o.identity ?? `${hostname()}_${randomUUID()}`;
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.o.namespace}/leases/${this.o.name}`;
  }

  /** One attempt to acquire or renew; true when we hold the lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const what = `lease ${this.o.namespace}/${this.o.name}`;
    const leaseSecs = Math.round(this.o.leaseDurationMs / 1000);
    const mineWritten = this.written;
    if (this.leader && mineWritten && this.observedAt + leaseSecs * 1000 > now.getTime()) {
      try {
        const saved = await this.api.update(what, this.path, { ...mineWritten, spec: { ...mineWritten.spec, renewTime: microTime(now) } });
        this.observe(saved, now);
        return true;
      } catch (e) {
        this.log.error(`Failed to update lock optimistically: ${(e as Error).message}, falling back to slow path`);
      }
    }
    const lease = await this.api.get(what, this.path);
    if (!lease) {
      const made = await this.api.create(what, `/apis/coordination.k8s.io/v1/namespaces/${this.o.namespace}/leases`, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.o.name, namespace: this.o.namespace },
        spec: { holderIdentity: this.identity, leaseDurationSeconds: leaseSecs, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
      });
      this.observe(made, now);
      return true;
    }
    const spec = lease.spec ?? {};
    const key = `${spec.holderIdentity}|${spec.renewTime}|${spec.acquireTime}`;
    if (key !== this.observedKey) {
      this.observedKey = key;
      this.observedAt = now.getTime();
    }
    const holder = spec.holderIdentity ?? '';
    const mine = holder === this.identity;
    const durationMs = (spec.leaseDurationSeconds ?? leaseSecs) * 1000;
    if (holder && !mine && this.observedAt + durationMs > now.getTime()) return false;
    const next: KObject = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: this.identity,
        leaseDurationSeconds: leaseSecs,
        acquireTime: mine ? spec.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (mine || !holder ? 0 : 1),
      },
    };
    const saved = await this.api.update(what, this.path, next);
    this.observe(saved, now);
    return true;
  }

  private observe(lease: KObject | undefined, now: Date): void {
    this.written = lease;
    const s = lease?.spec ?? {};
    this.observedKey = `${s.holderIdentity}|${s.renewTime}|${s.acquireTime}`;
    this.observedAt = now.getTime();
  }

  /** Block until this process holds the lease (errors are logged and retried). */
  async acquire(signal: AbortSignal): Promise<void> {
    this.log.info(`attempting to acquire leader lease ${this.o.namespace}/${this.o.name}...`);
    while (!signal.aborted) {
      try {
        if (await this.tryAcquireOrRenew()) {
          this.leader = true;
          this.log.info(`successfully acquired lease ${this.o.namespace}/${this.o.name}`);
          return;
        }
      } catch (e) {
        this.log.error(`error retrieving resource lock ${this.o.namespace}/${this.o.name}: ${(e as Error).message}`);
      }
      await sleep(this.o.retryPeriodMs);
    }
  }

  /** Renew until a renewal fails for longer than the renew deadline; resolves when leadership is lost. */
  async holdUntilLost(signal: AbortSignal): Promise<void> {
    let lastOk = Date.now();
    while (!signal.aborted) {
      await sleep(this.o.retryPeriodMs);
      try {
        if (await this.tryAcquireOrRenew()) {
          lastOk = Date.now();
          continue;
        }
        this.log.error(`lease ${this.o.namespace}/${this.o.name} was taken by another holder`);
        break;
      } catch (e) {
        this.log.error(`failed to renew lease ${this.o.namespace}/${this.o.name}: ${(e as Error).message}`);
      }
      if (Date.now() - lastOk > this.o.renewDeadlineMs) break;
    }
    this.leader = false;
  }

  /** Whether this process currently holds the lease. */
  isLeader(): boolean {
    return this.leader;
  }
}
