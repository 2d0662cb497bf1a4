/** `kubemend playbooks`: one line per registered playbook. */
import { optionFlags } from '../../core/options.js';
import { listPlaybooks } from '../../../playbooks/index.js';
import { out } from '../io.js';

/** Print every user playbook (not the hidden ones, such as the benchmark's): name, destructive mark, description, options. */
export function playbooksCommand(): number {
  const list = listPlaybooks().filter((p) => !p.hidden);
  const w = Math.max(...list.map((p) => p.name.length));
  for (const p of list) {
    const flags = optionFlags(p.options).map((f) => f.flag);
    out(
      `${p.name.padEnd(w)}  ${p.readOnly ? 'read-only  ' : p.destructive ? 'destructive' : 'changes    '}  ${p.description}${flags.length ? ` [${flags.join(' ')}]` : ''}`,
    );
  }
  return 0;
}
