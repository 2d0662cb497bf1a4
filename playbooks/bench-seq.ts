/** `bench-seq`: the benchmark's workload of N sequential commands per host (`scripts/bench`); changes nothing on the hosts. */
import { z } from 'zod';
import { definePlaybook } from '../lib/core/types.js';

/** bench-seq's options: how many commands each host runs, one after the other. */
const options = z.object({
  count: z.number().int().min(1).max(1000).default(10).describe('commands per host, run one after the other'),
});

type Options = z.infer<typeof options>;

/**
 * The benchmark playbook. Its commands (`echo bench I`) read nothing and change nothing, so it is
 * read-only: `kubemend run` runs it once, with no plan pass first (a plan would have nothing to
 * show), and each command reaches each host exactly once, like the other clients of the benchmark.
 */
export default definePlaybook<Options>({
  name: 'bench-seq',
  description: 'Benchmark: N sequential echo commands on every host (scripts/bench; changes nothing)',
  destructive: false,
  readOnly: true,
  hidden: true,
  options,
  phases: [
    {
      id: 'bench/seq',
      title: 'Run N sequential commands on every host, all hosts in parallel',
      hosts: (ctx) => ctx.hosts,
      strategy: { kind: 'parallel' },
      async run(h) {
        for (let i = 1; i <= h.options.count; i++) await h.read(['echo', 'bench', String(i)], { what: `bench command ${i}` });
      },
    },
  ],
});
