/**
 * `node dist-lab/spec/lab/sim/lb/main.js --listen ADDR:PORT --backend NAME=ADDR:PORT... [--state FILE]
 * [--inter MS] [--rise N] [--fall N]`: the lab's load balancer (balancer.ts), run by spec/lab/hosts.sh
 * in its own network namespace on its own lab address. Logs state changes on stdout; `--state`
 * gets the backends' states as JSON after every change (for `lab status` and the tests).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { type Backend, startBalancer } from './balancer.js';

/** host:port, IPv6 in brackets. */
function hostPort(s: string, what: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m) throw new Error(`${what}: expected ADDR:PORT, got ${JSON.stringify(s)}`);
  return { host: m[1]!, port: Number(m[2]) };
}

async function main(argv: string[]): Promise<void> {
  let listen: { host: string; port: number } | undefined;
  const backends: Backend[] = [];
  let state: string | undefined;
  const num: Record<string, number> = {};
  let latest: unknown;
  // biome-ignore lint/correctness/noUnusedVariables: read by the ??= below (Biome counts a compound assignment as a write only)
  let timer: NodeJS.Timeout | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a === '--listen') listen = hostPort(v, '--listen');
    else if (a === '--backend') {
      const eq = v.indexOf('=');
      if (eq < 1) throw new Error(`--backend: expected NAME=ADDR:PORT, got ${JSON.stringify(v)}`);
      backends.push({ name: v.slice(0, eq), ...hostPort(v.slice(eq + 1), '--backend') });
    } else if (a === '--state') state = v;
    else if (['--inter', '--rise', '--fall'].includes(a)) num[a.slice(2)] = Number(v);
    else throw new Error(`unknown option ${a}`);
  }
  if (!listen || backends.length === 0)
    throw new Error('usage: main.js --listen ADDR:PORT --backend NAME=ADDR:PORT... [--state FILE] [--inter MS] [--rise N] [--fall N]');
  const lb = await startBalancer({
    listen,
    backends,
    interMs: num.inter,
    rise: num.rise,
    fall: num.fall,
    log: (l) => process.stdout.write(`${l}\n`),
    onChange: state
      ? (states, refused) => {
          latest = { backends: states, refused };
          // at most one write per 200 ms: every connection is a change (counts)
          timer ??= setTimeout(() => {
            timer = undefined;
            writeFileSync(`${state}.tmp`, JSON.stringify(latest, null, 1) + '\n');
            renameSync(`${state}.tmp`, state!);
          }, 200);
        }
      : undefined,
  });
  const stop = () => void lb.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main(process.argv.slice(2)).catch((e: Error) => {
  process.stderr.write(`lab lb: ${e.message}\n`);
  process.exit(1);
});
