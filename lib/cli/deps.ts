/**
 * The CLI's collaborators from other parts of kubemend (inventory loading, --limit, the SSH
 * transport): the CLI is the one place that wires them together; tests inject fakes.
 */
import { loadInventory, selectHosts } from '../inventory/index.js';
import type { Host, Inventory } from '../inventory/types.js';
import { registerSecret } from '../shell/secret.js';
import { trace } from '../core/trace.js';
import type { Transport } from '../transport/types.js';
import { canPrompt } from './confirm.js';
import { whilePrompting } from './io.js';

/** Options the CLI passes to the SSH transport. */
export interface TransportOptions {
  /** Trust and record unknown host keys (never changed ones). */
  acceptNewHostKeys?: boolean;
}

/** What the CLI needs from the rest of kubemend. */
export interface Deps {
  /** Load an inventory file or folder; `clusterName` is --cluster-name. */
  loadInventory(path: string, opts?: { clusterName?: string }): Promise<Inventory>;
  /** Hosts chosen by --limit (comma-separated patterns; undefined: all). */
  selectHosts(inv: Inventory, limit: string | undefined): Host[];
  createTransport(inv: Inventory, opts: TransportOptions): Transport;
}

type CreateSsh = (inv: Inventory, opts: Record<string, unknown>) => Transport;

/** The variable that may hold the sudo password (for runs without a terminal). */
const SUDO_PASSWORD_ENV = 'KUBEMEND_SUDO_PASSWORD';

/**
 * The sudo password's source: $KUBEMEND_SUDO_PASSWORD, read and removed from `env` at once (so no
 * child process inherits it and no later dump of the environment shows it) and registered as a
 * secret; without it, asked once on the terminal when a host first needs it.
 */
export function sudoPasswordSource(env: NodeJS.ProcessEnv = process.env): () => Promise<string> {
  const fromEnv = env[SUDO_PASSWORD_ENV];
  delete env[SUDO_PASSWORD_ENV];
  if (fromEnv !== undefined) registerSecret(fromEnv, 'sudo-password');
  return async () => {
    if (fromEnv !== undefined) return fromEnv;
    if (!canPrompt()) throw new Error(`a host uses sudo: password, and there is no terminal to ask on: set ${SUDO_PASSWORD_ENV}`);
    const { password } = await import('@inquirer/prompts');
    const pw = await whilePrompting(() => password({ message: 'sudo password:', mask: true }, { output: process.stderr }));
    registerSecret(pw, 'sudo-password');
    return pw;
  };
}

/** The real collaborators. */
export async function realDeps(): Promise<Deps> {
  let mod: { createSshTransport: CreateSsh } | undefined;
  let why: unknown;
  trace.stage('load the SSH transport');
  try {
    mod = await import('../transport/ssh.js');
  } catch (e) {
    why = e; // reported only when a command needs to reach hosts
  }
  const sudoPassword = sudoPasswordSource();
  // each host's connect (TCP, key exchange, auth) as a window of the trace (KUBEMEND_TRACE)
  const connecting = new Map<string, () => void>();
  const onEvent = (e: { type: string; host: string }) => {
    if (e.type === 'connect-start') connecting.set(e.host, trace.begin('connect'));
    else if (e.type === 'connect-ok' || e.type === 'connect-fail') {
      connecting.get(e.host)?.();
      connecting.delete(e.host);
    }
  };
  return {
    loadInventory: (p, o) => loadInventory(p, o),
    selectHosts: (i, l) => selectHosts(i, l ? [l] : undefined),
    createTransport: (inv, o) => {
      if (!mod) throw new Error(`the SSH transport could not be loaded: ${why instanceof Error ? why.message : String(why)}`);
      return mod.createSshTransport(inv, { acceptNewHostKeys: o.acceptNewHostKeys, sudoPassword, onEvent });
    },
  };
}
