/**
 * Where kubemend's own time goes, measured in this process: stages of a command (start-up,
 * parse, inventory, plan, run, write) with wall and CPU time (process.cpuUsage), windows of
 * concurrent work (connections, remote commands), and what a phase cost kubemend apart from the
 * time it spent blocked on the cluster. Printed at exit with KUBEMEND_TRACE=1 (text) or
 * KUBEMEND_TRACE=json, or `kubemend --profile CMD`. No imports but node's: its first line runs
 * before the rest of the CLI is evaluated, so the start-up stage splits in two.
 */
import { performance } from 'node:perf_hooks';

/** Wall and CPU milliseconds since process start (CPU = user + sys of this process). */
export interface Clock {
  wallMs: number;
  cpuMs: number;
}

/** Now, on both clocks. */
export function now(): Clock {
  const c = process.cpuUsage();
  return { wallMs: performance.now(), cpuMs: (c.user + c.system) / 1000 };
}

/** One stage of a command: when it began (ms since process start), its wall and CPU ms. */
export interface Stage {
  name: string;
  atMs: number;
  wallMs: number;
  cpuMs: number;
  /** What the stage counted (hosts, events...). */
  note?: string;
}

/** A window of concurrent work of one kind (every host's connect, every remote command). */
export interface Window {
  name: string;
  /** How many began. */
  count: number;
  /** First begin and last end, ms since process start. */
  firstMs: number;
  lastMs: number;
  /** Wall ms during which at least one was under way. */
  busyMs: number;
  /** Their durations added up (host-ms). */
  sumMs: number;
}

interface WindowState extends Window {
  open: number;
  openSince: number;
}

/** What kubemend's own work cost over an interval (a phase), apart from the cluster. */
export interface Cost {
  /** Wall ms of the interval. */
  wallMs: number;
  /** CPU ms of this process (user + sys) in it: kubemend's own work, SSH crypto included. */
  cpuMs: number;
  /** Wall ms during which at least one remote command, transfer or API call was outstanding: blocked on the cluster. */
  remoteMs: number;
  /** Remote operations begun in the interval. */
  remoteOps: number;
  /** Their durations added up (host-ms of remote work). */
  remoteSumMs: number;
}

/** A point to measure a Cost from. */
export interface CostMark {
  clock: Clock;
  busyMs: number;
  ops: number;
  sumMs: number;
}

/** The name of the window costs are counted on. */
export const REMOTE = 'remote';

/** The process's trace (one per process: a command runs once). */
export class Trace {
  readonly stages: Stage[] = [];
  readonly windows = new Map<string, WindowState>();
  #current: { name: string; start: Clock; note?: string } | undefined;
  /** Print at exit: 'text', 'json' or undefined (not at all). */
  output: 'text' | 'json' | undefined;

  readonly start: Clock;
  readonly #clock: () => Clock;
  /**
   * The wall clock alone, for the windows: they read it twice per remote command, and the CPU
   * clock (getrusage) cost about 30 us a read, 0.3 s of a 5,000-command run (a CPU profile of
   * `run bench-seq` at 50 hosts x 100).
   */
  readonly #wall: () => number;

  /** `clock` reads both clocks (tests pass their own); `start` is its reading when the trace was made. */
  constructor(opts: { clock?: () => Clock } = {}) {
    const clock = opts.clock;
    this.#clock = clock ?? now;
    this.#wall = clock ? () => clock().wallMs : () => performance.now();
    this.start = this.#clock();
  }

  /** End the running stage (if any) and begin `name`. */
  stage(name: string, note?: string): void {
    const t = this.#clock();
    this.#close(t);
    this.#current = { name, start: t, note };
  }

  /** Add a note to the running stage (e.g. how many hosts). */
  note(text: string): void {
    if (this.#current) this.#current.note = this.#current.note ? `${this.#current.note}; ${text}` : text;
  }

  /** End the running stage. */
  end(): void {
    this.#close(this.#clock());
    this.#current = undefined;
  }

  #close(t: Clock): void {
    const c = this.#current;
    if (!c) return;
    this.stages.push({
      name: c.name,
      atMs: c.start.wallMs,
      wallMs: t.wallMs - c.start.wallMs,
      cpuMs: t.cpuMs - c.start.cpuMs,
      ...(c.note ? { note: c.note } : {}),
    });
  }

  #window(name: string): WindowState {
    let w = this.windows.get(name);
    if (!w) {
      w = { name, count: 0, firstMs: NaN, lastMs: NaN, busyMs: 0, sumMs: 0, open: 0, openSince: 0 };
      this.windows.set(name, w);
    }
    return w;
  }

  /** One piece of work of kind `name` begins; call the returned function when it ends (once). */
  begin(name: string): () => void {
    const w = this.#window(name);
    const t0 = this.#wall();
    w.count++;
    if (Number.isNaN(w.firstMs)) w.firstMs = t0;
    if (w.open++ === 0) w.openSince = t0;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const t1 = this.#wall();
      w.sumMs += t1 - t0;
      w.lastMs = Number.isNaN(w.lastMs) ? t1 : Math.max(w.lastMs, t1);
      if (--w.open === 0) w.busyMs += t1 - w.openSince;
    };
  }

  /**
   * Run `work` as one piece of work of kind `name` (default: remote). The clock starts before
   * `work` is called: a promise made first would have started its timers and I/O already, and a
   * process preempted in between (a loaded machine) would count less than the work took.
   */
  async wait<T>(work: () => Promise<T>, name = REMOTE): Promise<T> {
    const end = this.begin(name);
    try {
      return await work();
    } finally {
      end();
    }
  }

  /** A window's figures so far (busy time includes a piece still under way). */
  window(name: string): Window {
    const w = this.#window(name);
    const busy = w.busyMs + (w.open > 0 ? this.#wall() - w.openSince : 0);
    return { name, count: w.count, firstMs: w.firstMs, lastMs: w.lastMs, busyMs: busy, sumMs: w.sumMs };
  }

  /** A mark to measure a Cost from. */
  mark(): CostMark {
    const r = this.window(REMOTE);
    return { clock: this.#clock(), busyMs: r.busyMs, ops: r.count, sumMs: r.sumMs };
  }

  /** What the interval since `m` cost (whole milliseconds). */
  since(m: CostMark): Cost {
    const t = this.#clock();
    const r = this.window(REMOTE);
    const ms = (x: number) => Math.max(0, Math.round(x));
    return {
      wallMs: ms(t.wallMs - m.clock.wallMs),
      cpuMs: ms(t.cpuMs - m.clock.cpuMs),
      remoteMs: ms(r.busyMs - m.busyMs),
      remoteOps: r.count - m.ops,
      remoteSumMs: ms(r.sumMs - m.sumMs),
    };
  }

  /** Everything, as one JSON-able object. */
  summary(): { stages: Stage[]; windows: Window[]; total: Clock; peakRssMB: number; nodeBootMs: number } {
    const w = [...this.windows.keys()].map((n) => this.window(n)).filter((x) => x.count > 0);
    return {
      stages: [...this.stages],
      windows: w,
      total: this.#clock(),
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      nodeBootMs: performance.nodeTiming.bootstrapComplete,
    };
  }
}

const f = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');

/** The trace as text: one line per stage, then the windows, then the totals. */
export function formatTrace(s: ReturnType<Trace['summary']>): string {
  const rows = s.stages.map((x) => [x.name, f(x.atMs), f(x.wallMs), f(x.cpuMs), x.note ?? '']);
  const head = ['stage', 'at ms', 'wall ms', 'cpu ms', ''];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 || i === 4 ? c.padEnd(width[i]) : c.padStart(width[i])))
      .join('  ')
      .trimEnd();
  const out = [`kubemend trace: wall and CPU (user+sys) ms of this process; node's own boot ${f(s.nodeBootMs)} ms wall`, line(head), ...rows.map(line)];
  out.push(line(['total', '0', f(s.total.wallMs), f(s.total.cpuMs), `peak RSS ${s.peakRssMB.toFixed(0)} MB`]));
  for (const w of s.windows) {
    out.push(
      `${w.name}: ${w.count} begun, first at ${f(w.firstMs)} ms, last ended at ${f(w.lastMs)} ms, under way ${f(w.busyMs)} ms of wall, ${f(w.sumMs)} ms added up`,
    );
  }
  return out.join('\n') + '\n';
}

/** The process's trace; its clock starts when this module is evaluated (after node loaded the CLI's modules, before it ran them). */
export const trace = new Trace();
trace.stage('modules evaluated');
{
  // everything before this line (node's boot, reading and linking the CLI's modules) is one stage
  const pre: Stage = { name: 'node start-up, modules read', atMs: 0, wallMs: trace.start.wallMs, cpuMs: trace.start.cpuMs };
  trace.stages.push(pre);
  const env = process.env.KUBEMEND_TRACE;
  trace.output = env === 'json' ? 'json' : env && env !== '0' ? 'text' : undefined;
}

/** Print the trace on stderr if asked (KUBEMEND_TRACE or --profile); the running stage ends here. */
export function printTrace(write: (s: string) => void = (s) => process.stderr.write(s)): void {
  trace.end();
  if (!trace.output) return;
  const s = trace.summary();
  write(trace.output === 'json' ? `KUBEMEND_TRACE ${JSON.stringify(s)}\n` : formatTrace(s));
}
