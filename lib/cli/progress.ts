/**
 * Live progress on a terminal: a pure model fed with run events (current phase, each host
 * pending/running/done/failed with its elapsed time, the rolling batch), pure lines drawn from
 * it, and a renderer that redraws them in place on stderr (ANSI), throttled, paused while a
 * prompt is open. Without a terminal nothing is drawn: the text lines stay the record.
 */
import type { RunEvent } from '../core/events.js';
import { type LiveArea, promptOpen, setLiveArea } from './io.js';

/** Where a host stands in the current phase. */
export type HostProgress = 'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'interrupted';

/** What the progress area shows. */
export interface ProgressModel {
  title?: string;
  runId?: string;
  /** Phases of the playbook (for "phase 2/5"); unknown when empty. */
  phaseIds: string[];
  phase?: { id: string; title: string; strategy: string; startedAt: number; cluster: boolean };
  hosts: Map<string, { state: HostProgress; startedAt?: number; durationMs?: number }>;
  batch?: { index: number; total?: number; hosts: string[] };
  phasesDone: number;
  failedHosts: Set<string>;
  ended?: string;
}

/** An empty model (phaseIds: the playbook's phase ids, to show "phase i/n"). */
export function newProgress(phaseIds: string[] = []): ProgressModel {
  return { phaseIds, hosts: new Map(), phasesDone: 0, failedHosts: new Set() };
}

const STATE_OF: Record<string, HostProgress> = { ok: 'done', failed: 'failed', skipped: 'skipped', interrupted: 'interrupted' };

/** Apply one event (its `ts` is the clock, so the model is deterministic); returns the model. */
export function applyEvent(m: ProgressModel, e: RunEvent & { ts?: string }, at = e.ts ? Date.parse(e.ts) : Date.now()): ProgressModel {
  switch (e.kind) {
    case 'run-start':
      m.title = `${e.dryRun ? 'plan' : e.resumed ? 'resume' : 'run'} ${e.playbook} on ${e.cluster}`;
      m.runId = e.runId;
      break;
    case 'phase-start':
      m.phase = { id: e.phase, title: e.title, strategy: e.strategy, startedAt: at, cluster: e.hosts.length === 0 };
      m.hosts = new Map(e.hosts.map((h) => [h, { state: 'pending' }]));
      m.batch = undefined;
      break;
    case 'batch': {
      const n = m.hosts.size;
      m.batch = { index: e.index, hosts: e.hosts, total: e.index === 0 && e.hosts.length ? Math.ceil(n / e.hosts.length) : m.batch?.total };
      break;
    }
    case 'host-start': {
      if (m.phase?.id !== e.phase) break;
      m.hosts.set(e.host, { state: 'running', startedAt: at });
      break;
    }
    case 'host-end': {
      if (m.phase?.id !== e.phase) break;
      const cur = m.hosts.get(e.host);
      m.hosts.set(e.host, { state: STATE_OF[e.status], startedAt: cur?.startedAt, durationMs: e.durationMs });
      if (e.status === 'failed') m.failedHosts.add(e.host);
      break;
    }
    case 'phase-end':
    case 'phase-skip':
      m.phasesDone++;
      break;
    case 'run-end':
      m.ended = e.status;
      break;
  }
  return m;
}

/** `850ms`, `12.3s`, `4m05s`. */
export function elapsed(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** Counts of hosts per state in the current phase. */
export function counts(m: ProgressModel): Record<HostProgress, number> {
  const c: Record<HostProgress, number> = { pending: 0, running: 0, done: 0, failed: 0, skipped: 0, interrupted: 0 };
  for (const h of m.hosts.values()) c[h.state]++;
  return c;
}

const ORDER: HostProgress[] = ['running', 'failed', 'interrupted', 'pending', 'done', 'skipped'];

/** The lines of the progress area at time `now`, at most `rows` lines of at most `cols` characters (pure). */
export function progressLines(m: ProgressModel, now: number, size: { cols: number; rows: number } = { cols: 100, rows: 24 }): string[] {
  const cut = (s: string) => (s.length > size.cols - 1 ? s.slice(0, Math.max(1, size.cols - 2)) + '…' : s);
  const lines: string[] = [];
  if (!m.phase) return [cut(`${m.title ?? 'run'}: starting`)];
  const p = m.phase;
  const idx = m.phaseIds.indexOf(p.id);
  const of = idx >= 0 ? ` ${idx + 1}/${m.phaseIds.length}` : '';
  lines.push(
    cut(`${m.title ?? 'run'} · phase${of} ${p.id} · ${elapsed(now - p.startedAt)}${m.failedHosts.size ? ` · ${m.failedHosts.size} failed so far` : ''}`),
  );
  lines.push(cut(`  ${p.title} [${p.strategy}]`));
  if (p.cluster) return lines;
  const c = counts(m);
  lines.push(
    cut(
      `  ${c.done} done · ${c.running} running · ${c.pending} pending · ${c.failed} failed${c.skipped ? ` · ${c.skipped} skipped` : ''}${c.interrupted ? ` · ${c.interrupted} interrupted` : ''}`,
    ),
  );
  if (m.batch) lines.push(cut(`  batch ${m.batch.index + 1}${m.batch.total ? `/${m.batch.total}` : ''}: ${m.batch.hosts.join(', ')}`));
  const room = Math.max(1, size.rows - lines.length - 2);
  const entries = [...m.hosts];
  const shown = entries.length <= room ? entries : [...entries].sort((a, b) => ORDER.indexOf(a[1].state) - ORDER.indexOf(b[1].state)).slice(0, room - 1);
  const width = Math.max(4, ...shown.map(([n]) => n.length));
  for (const [name, h] of shown) {
    const t =
      h.state === 'running' && h.startedAt !== undefined
        ? elapsed(now - h.startedAt)
        : h.durationMs !== undefined && h.state !== 'pending'
          ? elapsed(h.durationMs)
          : '';
    lines.push(cut(`  ${name.padEnd(width)}  ${h.state.padEnd(11)} ${t}`.trimEnd()));
  }
  if (shown.length < entries.length) lines.push(cut(`  … ${entries.length - shown.length} more hosts not shown`));
  return lines;
}

/** Options of the live renderer. */
export interface LiveOptions {
  /** The terminal (stderr). */
  stream: NodeJS.WriteStream;
  phaseIds?: string[];
  /** Minimum ms between two redraws (default 100). */
  throttleMs?: number;
}

/** A running live progress area. */
export interface LiveProgress {
  /** Feed run events here. */
  sink(e: RunEvent & { ts?: string }): void;
  /** Erase the area and stop drawing (before the recap). */
  stop(): void;
}

/** The size the progress area is drawn for: a terminal reporting 0 columns or rows (as under `script`) is taken as 80x24. */
export function terminalSize(stream: Pick<NodeJS.WriteStream, 'columns' | 'rows'>): { cols: number; rows: number } {
  return { cols: stream.columns || 80, rows: Math.max(6, Math.floor((stream.rows || 24) / 2)) };
}

/** True when live progress can be drawn: stderr is a terminal that understands ANSI. */
export function liveCapable(stream: NodeJS.WriteStream = process.stderr): boolean {
  return !!stream.isTTY && process.env.TERM !== 'dumb' && process.env.KUBEMEND_PROGRESS !== '0';
}

/** Start drawing the progress of a run on `stream`, in place; out()/err() lines go above it. */
export function startLive(o: LiveOptions): LiveProgress {
  const m = newProgress(o.phaseIds);
  const throttle = o.throttleMs ?? 100;
  let drawn = 0; // lines currently on screen
  let paused = promptOpen();
  let stopped = false;
  let last = 0;
  let timer: NodeJS.Timeout | undefined;
  const erase = () => {
    if (drawn > 0) o.stream.write(`\x1b[${drawn}F\x1b[0J`);
    drawn = 0;
  };
  const draw = () => {
    timer = undefined;
    if (paused || stopped) return;
    const lines = progressLines(m, Date.now(), terminalSize(o.stream));
    erase();
    o.stream.write(lines.join('\n') + '\n');
    drawn = lines.length;
    last = Date.now();
  };
  const schedule = () => {
    if (timer || paused || stopped) return;
    timer = setTimeout(draw, Math.max(0, throttle - (Date.now() - last)));
    timer.unref();
  };
  const tick = setInterval(schedule, 1000);
  tick.unref();
  const area: LiveArea = {
    above(write) {
      erase();
      write();
      schedule(); // redrawn within the throttle, not once per line
    },
    pause() {
      paused = true;
      erase();
    },
    resume() {
      paused = false;
      schedule();
    },
  };
  setLiveArea(area);
  return {
    sink(e) {
      applyEvent(m, e);
      schedule();
    },
    stop() {
      stopped = true;
      clearInterval(tick);
      if (timer) clearTimeout(timer);
      erase();
      setLiveArea(undefined);
    },
  };
}
