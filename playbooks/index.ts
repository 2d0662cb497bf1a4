/** The playbook registry: every playbook `kubemend` knows, in the order `kubemend playbooks` lists them. */
import type { AnyPlaybook } from '../lib/core/types.js';
import facts from './facts.js';
import hello from './hello.js';
import recover from './recover.js';
import backup from './backup.js';
import rejoinWorkers from './rejoin-workers.js';
import benchSeq from './bench-seq.js';
import checkCerts from './check-certs.js';
import renewCerts from './renew-certs.js';
import prune from './prune.js';

/** Every registered playbook (add new ones here; spec/core/dry-run-all.test.ts checks each). */
export const PLAYBOOKS: readonly AnyPlaybook[] = [facts, hello, recover, backup, benchSeq, rejoinWorkers, checkCerts, renewCerts, prune];

/** All playbooks. */
export function listPlaybooks(): readonly AnyPlaybook[] {
  return PLAYBOOKS;
}

/** The playbook called `name`, or undefined. */
export function getPlaybook(name: string): AnyPlaybook | undefined {
  return PLAYBOOKS.find((p) => p.name === name);
}
