/**
 * The lab's simulated `kubeadm` v1.32.4 entry point: dispatches subcommands, prints errors as
 * kubeadm does (`error execution phase X: ...`, exit 1). Secrets it prints are what real kubeadm prints.
 */
import { parseArgs, type Args } from './args.js';
import { certsCmd, kubeconfigUserCmd, resetCmd, tokenCmd, versionCmd } from './commands.js';
import { runInit, runInitPhase } from './init.js';
import { runJoin, runJoinPhase } from './join.js';
import { PhaseError } from './out.js';

const INIT_PHASE_WORDS = new Set(['preflight', 'certs', 'kubeconfig', 'etcd', 'local', 'control-plane', 'kubelet-start', 'wait-control-plane', 'upload-config', 'upload-certs', 'mark-control-plane', 'bootstrap-token', 'kubelet-finalize', 'addon', 'show-join-command', 'all',
  'ca', 'apiserver', 'apiserver-kubelet-client', 'front-proxy-ca', 'front-proxy-client', 'etcd-ca', 'etcd-server', 'etcd-peer', 'etcd-healthcheck-client', 'apiserver-etcd-client', 'sa',
  'admin', 'super-admin', 'kubelet', 'controller-manager', 'scheduler', 'kubeadm', 'coredns', 'kube-proxy', 'enable-client-cert-rotation']);
const JOIN_PHASE_WORDS = new Set(['preflight', 'control-plane-prepare', 'download-certs', 'certs', 'kubeconfig', 'control-plane', 'kubelet-start', 'control-plane-join', 'etcd', 'update-status', 'mark-control-plane', 'wait-control-plane', 'all']);

/** Split `phase` words from the positional arguments that follow them. */
function splitPhaseWords(words: string[], known: Set<string>): { phase: string[]; rest: string[] } {
  let i = 0;
  while (i < words.length && known.has(words[i])) i++;
  return { phase: words.slice(0, i), rest: words.slice(i) };
}

async function dispatch(a: Args): Promise<void> {
  const [cmd, ...rest] = a.words;
  const sub: Args = { words: rest, flags: a.flags };
  switch (cmd) {
    case 'init':
      if (rest[0] === 'phase') {
        const { phase, rest: pos } = splitPhaseWords(rest.slice(1), INIT_PHASE_WORDS);
        return runInitPhase(phase, { words: pos, flags: a.flags });
      }
      return runInit(sub);
    case 'join':
      if (rest[0] === 'phase') {
        const { phase, rest: pos } = splitPhaseWords(rest.slice(1), JOIN_PHASE_WORDS);
        return runJoinPhase(phase, { words: pos, flags: a.flags });
      }
      return runJoin(sub);
    case 'token':
      return tokenCmd(rest, a);
    case 'certs':
      return certsCmd(rest, a);
    case 'kubeconfig':
      return kubeconfigUserCmd(rest, a);
    case 'version':
      return versionCmd(a);
    case 'reset':
      return resetCmd(a);
    default:
      throw new Error(`unknown command "${cmd ?? ''}" for "kubeadm"`);
  }
}

/** Run kubeadm with argv; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await dispatch(parseArgs(argv));
    return 0;
  } catch (e) {
    const msg = e instanceof PhaseError ? `error execution phase ${e.phase}: ${e.message}` : (e as Error).message;
    process.stderr.write(`${msg}\nTo see the stack trace of this error execute with --v=5 or higher\n`);
    return e instanceof PhaseError ? e.exitCode : 1;
  }
}

// a closed pipe (`kubeadm ... | head`) ends the process quietly, as SIGPIPE ends a Go program
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(141);
  throw e;
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
