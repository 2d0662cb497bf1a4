/**
 * The plan: ONE function (buildPlan) runs a playbook with the dry-run executor and collects,
 * per phase and per host, the exact commands (display form). `plan` prints or saves it;
 * `run` shows its summary before asking for confirmation.
 */
import type { Failure } from './errors.js';
import { MUTATING, type StampedEvent, type StepKind } from './events.js';
import { parseOptions } from './options.js';
import { type RunParams, type RunResult, runPlaybook } from './runner.js';

/** One step of a plan. */
export interface PlanStep {
  step: StepKind | 'capture';
  command: string;
  mutating: boolean;
}

/** What one host does in one phase. */
export interface PlanHost {
  host: string;
  steps: PlanStep[];
  /** Set when the dry run could not plan this host (a fact failed). */
  error?: string;
  /** Set when a resumed run skips this host. */
  skipped?: string;
}

/** One phase of a plan. */
export interface PlanPhase {
  id: string;
  title: string;
  scope: 'hosts' | 'cluster';
  destructive: boolean;
  strategy?: string;
  /** Why the phase does not run, when it does not. */
  skipped?: string;
  hosts: PlanHost[];
  /** What the phase said while planning (e.g. the path it chose); not compared for drift. */
  notes?: string[];
}

/** The versioned plan artifact (`--out plan.json`). */
export interface Plan {
  kind: 'kubemend-plan';
  version: 1;
  playbook: string;
  inventory: { file: string; cluster: string };
  options: unknown;
  createdAt: string;
  phases: PlanPhase[];
  /** Hosts the dry run could not plan. */
  failures: Failure[];
}

/** Collect a plan from dry-run events. */
export function planRecorder(): { sink: (e: StampedEvent) => void; phases: PlanPhase[] } {
  const phases: PlanPhase[] = [];
  const byId = new Map<string, PlanPhase>();
  const hostIndex = new Map<string, PlanHost>();
  const hostOf = (phase: string, host: string): PlanHost | undefined => {
    const ph = byId.get(phase);
    if (!ph) return undefined;
    let h = hostIndex.get(`${phase}\0${host}`);
    if (!h) {
      ph.hosts.push((h = { host, steps: [] }));
      hostIndex.set(`${phase}\0${host}`, h);
    }
    return h;
  };
  const sink = (e: StampedEvent) => {
    switch (e.kind) {
      case 'phase-start':
      case 'phase-skip': {
        let ph = byId.get(e.phase);
        if (!ph) {
          ph = { id: e.phase, title: '', scope: 'hosts', destructive: false, hosts: [] };
          byId.set(e.phase, ph);
          phases.push(ph);
        }
        if (e.kind === 'phase-start') {
          ph.title = e.title;
          ph.strategy = e.strategy;
          ph.scope = e.strategy === 'once' ? 'cluster' : 'hosts';
          ph.hosts = [];
          for (const host of e.hosts) hostOf(e.phase, host);
        } else ph.skipped = e.reason;
        break;
      }
      case 'log': {
        const ph = byId.get(e.phase);
        if (ph && !e.host) (ph.notes ??= []).push(e.message);
        break;
      }
      case 'command':
        hostOf(e.phase, e.host)?.steps.push({ step: e.step, command: e.command, mutating: MUTATING.has(e.step) });
        break;
      case 'capture':
        hostOf(e.phase, e.host)?.steps.push({ step: 'capture', command: `<${e.name}>${e.secret ? ' (secret)' : ''}`, mutating: false });
        break;
      case 'host-end': {
        const h = hostOf(e.phase, e.host);
        if (h && e.status === 'failed') h.error = e.error;
        if (h && e.status === 'skipped') h.skipped = e.reason;
        break;
      }
    }
  };
  return { sink, phases };
}

/** Build the plan of a run: the playbook run with the dry-run executor. */
export async function buildPlan(params: Omit<RunParams, 'dryRun'>): Promise<{ plan: Plan; result: RunResult }> {
  const rec = planRecorder();
  const result = await runPlaybook({ ...params, dryRun: true, sinks: [...(params.sinks ?? []), rec.sink] });
  const meta = new Map(params.playbook.phases.map((p) => [p.id, p]));
  for (const ph of rec.phases) {
    const p = meta.get(ph.id);
    if (!p) continue;
    ph.title = p.title;
    ph.scope = p.scope === 'cluster' ? 'cluster' : 'hosts';
    ph.destructive = !!p.destructive;
  }
  const plan: Plan = {
    kind: 'kubemend-plan',
    version: 1,
    playbook: params.playbook.name,
    inventory: { file: params.inventory.file, cluster: params.inventory.cluster },
    options: parseOptions(params.playbook.options, (params.options ?? {}) as Record<string, unknown>, params.playbook.name),
    createdAt: new Date().toISOString(),
    phases: rec.phases,
    failures: result.failures,
  };
  return { plan, result };
}

/** Number of mutating steps in a plan. */
export function countChanges(plan: Plan): number {
  return plan.phases.reduce((n, p) => n + p.hosts.reduce((m, h) => m + h.steps.filter((s) => s.mutating).length, 0), 0);
}

/** One line per phase: id, hosts, changes, strategy, destructive mark. */
export function formatPlanSummary(plan: Plan): string {
  const w = Math.max(...plan.phases.map((p) => p.id.length), 5);
  const lines = plan.phases.map((p) => {
    if (p.skipped) return `  ${p.id.padEnd(w)}  skipped: ${p.skipped}`;
    const changes = p.hosts.reduce((m, h) => m + h.steps.filter((s) => s.mutating).length, 0);
    const where = p.scope === 'cluster' ? 'cluster' : `${p.hosts.length} host${p.hosts.length === 1 ? '' : 's'}`;
    const line = `  ${p.id.padEnd(w)}  ${where}, ${changes} change${changes === 1 ? '' : 's'}, ${p.strategy}${p.destructive ? '  DESTRUCTIVE' : ''}  ${p.title}`;
    return [line, ...(p.scope === 'cluster' ? (p.notes ?? []) : []).map((n) => `  ${' '.repeat(w)}  > ${n}`)].join('\n');
  });
  return [`plan: ${plan.playbook} on ${plan.inventory.cluster} (${countChanges(plan)} changes)`, ...lines].join('\n');
}

/** The whole plan, every host's steps (identical hosts shown once). */
export function formatPlan(plan: Plan): string {
  const out: string[] = [formatPlanSummary(plan), ''];
  for (const p of plan.phases) {
    if (p.skipped) continue;
    out.push(`== ${p.id}: ${p.title}${p.destructive ? ' (destructive)' : ''}`);
    const groups = new Map<string, string[]>();
    const bodies = new Map<string, PlanHost>();
    for (const h of p.hosts) {
      const key = JSON.stringify([h.steps.map((s) => [s.step, s.command.split(h.host).join('{host}')]), h.error, h.skipped]);
      if (!groups.has(key)) {
        groups.set(key, []);
        bodies.set(key, h);
      }
      groups.get(key)!.push(h.host);
    }
    for (const [key, names] of groups) {
      const h = bodies.get(key)!;
      out.push(`  ${names.join(', ')}:`);
      if (h.skipped) out.push(`    skipped: ${h.skipped}`);
      for (const s of h.steps)
        out.push(`    ${s.mutating ? '*' : ' '} ${s.step.padEnd(8)} ${names.length > 1 ? s.command.split(h.host).join('{host}') : s.command}`);
      if (h.error) out.push(`    ! cannot plan: ${h.error}`);
    }
  }
  out.push('', '(* = changes something; the others only read)');
  return out.join('\n');
}

/** What a plan would change, for comparing two plans: phases, hosts and steps, without timestamps. */
function planBody(p: Plan): string {
  return JSON.stringify({ playbook: p.playbook, cluster: p.inventory.cluster, options: p.options, phases: p.phases.map(({ notes: _notes, ...ph }) => ph) });
}

/** Differences between a reviewed plan and a fresh one (empty when the same). */
export function planDrift(reviewed: Plan, fresh: Plan): string[] {
  if (reviewed.kind !== 'kubemend-plan' || reviewed.version !== 1)
    return [`not a kubemend-plan version 1 (kind ${String(reviewed.kind)}, version ${String(reviewed.version)})`];
  if (planBody(reviewed) === planBody(fresh)) return [];
  const out: string[] = [];
  if (reviewed.playbook !== fresh.playbook) out.push(`playbook ${reviewed.playbook} -> ${fresh.playbook}`);
  if (JSON.stringify(reviewed.options) !== JSON.stringify(fresh.options)) out.push('playbook options differ');
  const key = (ph: PlanPhase, h: PlanHost) => `${ph.id} ${h.host}`;
  const index = (p: Plan) =>
    new Map(
      p.phases.flatMap((ph) => [
        [ph.id, JSON.stringify(ph.skipped ?? null)],
        ...ph.hosts.map((h) => [key(ph, h), JSON.stringify([h.steps, h.skipped ?? null])] as [string, string]),
      ]),
    );
  const a = index(reviewed);
  const b = index(fresh);
  for (const [k, v] of a) if (b.get(k) !== v) out.push(b.has(k) ? `${k}: changed` : `${k}: gone`);
  for (const k of b.keys()) if (!a.has(k)) out.push(`${k}: new`);
  return out.length ? out : ['the plans differ'];
}
