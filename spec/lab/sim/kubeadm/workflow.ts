/**
 * kubeadm's phase workflow: a tree of named phases (`certs/apiserver`), `all` sub-phases,
 * `--skip-phases`, and `error execution phase <name>: <err>` on failure.
 */
import { PhaseError } from './out.js';

/** One phase: a leaf runs; a parent runs its children in order. */
export interface Phase {
  name: string;
  run?: () => Promise<void> | void;
  children?: Phase[];
}

/** Run phases in order, skipping those in `skip` (and their children); errors carry the phase path. */
export async function runPhases(phases: Phase[], skip: string[], prefix = ''): Promise<void> {
  for (const ph of phases) {
    const path = prefix ? `${prefix}/${ph.name}` : ph.name;
    if (skip.includes(path) || skip.includes(`${path}/all`)) continue;
    if (ph.run) {
      try {
        await ph.run();
      } catch (e) {
        if (e instanceof PhaseError) throw e;
        throw new PhaseError(path, (e as Error).message);
      }
    }
    if (ph.children) await runPhases(ph.children, skip, path);
  }
}

/** Find a phase by words (`certs apiserver`, `certs all`); `all` means the parent with every child. */
export function findPhase(phases: Phase[], words: string[]): { phase: Phase; path: string } | undefined {
  let list = phases;
  let found: Phase | undefined;
  const path: string[] = [];
  for (const w of words) {
    if (w === 'all' && found) return { phase: found, path: path.join('/') };
    found = list.find((p) => p.name === w);
    if (!found) return undefined;
    path.push(w);
    list = found.children ?? [];
  }
  return found ? { phase: found, path: path.join('/') } : undefined;
}
