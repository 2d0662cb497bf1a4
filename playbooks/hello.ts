/** `hello`: a small mutating demo: a secret captured on the first master, then a file written on masters (serial) and workers (parallel). */
import { firstMaster, masters, workers } from '../lib/core/hosts.js';
import type { Fact, HostContext } from '../lib/core/types.js';
import { definePlaybook } from '../lib/core/types.js';

/** The file hello writes on every host. */
export const HELLO_FILE = '/tmp/kubemend-hello';

/** The current content of the hello file ('' when absent). */
const helloContent: Fact<string> = {
  id: 'hello-content',
  argv: ['sh', '-c', 'cat "$1" 2>/dev/null || true', 'sh', HELLO_FILE],
  parse: (out) => out.trim(),
};

/** Write the host's name into the hello file unless it is already there; store the run's token beside it. */
async function writeHello(h: HostContext): Promise<void> {
  if ((await h.fact(helloContent)) === h.host.name) {
    h.log(`${HELLO_FILE} already says ${h.host.name}`);
  } else {
    await h.run(['sh', '-c', 'printf "%s\\n" "$1" > "$2"', 'sh', h.host.name, HELLO_FILE], { what: `write ${HELLO_FILE}` });
  }
  await h.run(['sh', '-c', 'umask 077 && printf "%s\\n" "$1" > "$2"', 'sh', h.get('hello-token'), `${HELLO_FILE}.token`], { what: `write ${HELLO_FILE}.token` });
}

/** The demo playbook. */
export default definePlaybook({
  name: 'hello',
  description: `Demo: writes ${HELLO_FILE} with the host name (masters one by one, then workers in parallel)`,
  destructive: false,
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
