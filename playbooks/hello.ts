/** `hello`: a small mutating demo: a secret captured on the first master, then a file written on masters (serial) and workers (parallel). */
import { z } from 'zod';
import { firstMaster, masters, workers } from '../lib/core/hosts.js';
import type { Fact, HostContext } from '../lib/core/types.js';
import { definePlaybook } from '../lib/core/types.js';

/** The file hello writes on every host (default of --hello-file). */
export const HELLO_FILE = '/tmp/kubemend-hello';

/** hello's options: where to write. */
const options = z.object({
  helloFile: z
    .string()
    .regex(/^\/tmp\/[A-Za-z0-9._-]+$/, 'must be a file directly under /tmp')
    .default(HELLO_FILE)
    .describe('the file to write on every host'),
});

type Options = z.infer<typeof options>;

/** The current content of a file ('' when absent). */
const content = (file: string): Fact<string> => ({
  id: `content:${file}`,
  argv: ['sh', '-c', 'cat "$1" 2>/dev/null || true', 'sh', file],
  parse: (out) => out.trim(),
});

/** Write the host's name into the hello file unless it is already there; store the run's token beside it. */
async function writeHello(h: HostContext<Options>): Promise<void> {
  const file = h.options.helloFile;
  if ((await h.fact(content(file))) === h.host.name) {
    h.log(`${file} already says ${h.host.name}`);
  } else {
    await h.run(['sh', '-c', 'printf "%s\\n" "$1" > "$2"', 'sh', h.host.name, file], { what: `write ${file}` });
  }
  await h.run(['sh', '-c', 'umask 077 && printf "%s\\n" "$1" > "$2"', 'sh', h.get('hello-token'), `${file}.token`], { what: `write ${file}.token` });
}

/** The demo playbook. */
export default definePlaybook<Options>({
  name: 'hello',
  description: `Demo: writes ${HELLO_FILE} with the host name (masters one by one, then workers in parallel)`,
  separateEtcd: true, // writes a file on any host
  destructive: false,
  options,
  phases: [
    {
      id: 'hello/token',
      title: 'Make a token on the first master (a captured secret)',
      hosts: firstMaster,
      strategy: { kind: 'serial' },
      rerunOnResume: true,
      async run(h) {
        await h.capture('hello-token', async () => (await h.run(['openssl', 'rand', '-hex', '16'])).stdout, { secret: true });
      },
    },
    { id: 'hello/masters', title: `Write ${HELLO_FILE} on masters, one at a time`, hosts: masters, strategy: { kind: 'serial' }, run: writeHello },
    { id: 'hello/workers', title: `Write ${HELLO_FILE} on workers, in parallel`, hosts: workers, strategy: { kind: 'parallel' }, run: writeHello },
  ],
});
