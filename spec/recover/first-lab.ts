/**
 * Issue 19 in the lab: the lab's inventory with its masters listed in reverse (the order an
 * operator may well have), optionally with `first: true` on one of them, and what a run's journal
 * says about where each phase ran.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Lab } from '../helpers/lab.js';

/**
 * Writes DIR/inventory-NAME.yaml beside the lab's inventory (its relative paths stay right): the
 * masters listed last to first, then the workers; `first` marks that master `first: true`.
 */
export function reversedInventory(lab: Lab, name: string, first?: string): string {
  const inv = parse(readFileSync(lab.inventoryPath, 'utf8')) as { hosts: Array<{ name: string; role: string; first?: boolean }> };
  const masters = inv.hosts
    .filter((h) => h.role === 'master')
    .reverse()
    .map((h) => (h.name === first ? { ...h, first: true } : h));
  inv.hosts = [...masters, ...inv.hosts.filter((h) => h.role !== 'master')];
  const path = join(lab.dir, `inventory-${name}.yaml`);
  writeFileSync(path, `# ${lab.inventoryPath} with the masters in reverse${first ? `, ${first} first: true` : ''}\n${stringify(inv)}`);
  return path;
}

/** The hosts on which `phase` ended ok, in the journal of the (only) run in `stateDir`. */
export function ranOn(stateDir: string, phase: string): string[] {
  const run = readdirSync(stateDir).filter((d) => !d.startsWith('.'))[0];
  if (!run) return [];
  const lines = readFileSync(join(stateDir, run, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean);
  return lines
    .map((l) => JSON.parse(l) as { kind: string; phase?: string; host?: string; status?: string })
    .filter((e) => e.kind === 'host-end' && e.phase === phase && e.status === 'ok')
    .map((e) => e.host!);
}
