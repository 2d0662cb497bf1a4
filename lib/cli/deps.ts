/**
 * The CLI's collaborators from other parts of kubemend (inventory loading, --limit, the SSH
 * transport): the CLI is the one place that wires them together; tests inject fakes.
 */
import { loadInventory, selectHosts } from '../inventory/index.js';
import type { Host, Inventory } from '../inventory/types.js';
import { registerSecret } from '../core/secret.js';
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
  loadInventory(path: string): Promise<Inventory>;
  /** Hosts chosen by --limit (comma-separated patterns; undefined: all). */
  selectHosts(inv: Inventory, limit: string | undefined): Host[];
  createTransport(inv: Inventory, opts: TransportOptions): Transport;
}

type CreateSsh = (inv: Inventory, opts: Record<string, unknown>) => Transport;

/** The sudo password: $KUBEMEND_SUDO_PASSWORD, or asked once on the terminal; registered as a secret. */
async function askSudoPassword(): Promise<string> {
  let pw = process.env.KUBEMEND_SUDO_PASSWORD;
  if (pw === undefined) {
    if (!canPrompt()) throw new Error('a host uses sudo: password, and there is no terminal to ask on: set KUBEMEND_SUDO_PASSWORD');
    const { password } = await import('@inquirer/prompts');
    pw = await whilePrompting(() => password({ message: 'sudo password:', mask: true }, { output: process.stderr }));
  }
  registerSecret(pw, 'sudo-password');
  return pw;
}

/** The real collaborators. */
export async function realDeps(): Promise<Deps> {
  let mod: { createSshTransport: CreateSsh } | undefined;
  let why: unknown;
  try {
    mod = await import(new URL('../transport/ssh.js', import.meta.url).href);
  } catch (e) {
    why = e; // reported only when a command needs to reach hosts
  }
  return {
    loadInventory: (p) => loadInventory(p),
    selectHosts: (i, l) => selectHosts(i, l ? [l] : undefined),
    createTransport: (inv, o) => {
      if (!mod) throw new Error(`the SSH transport could not be loaded: ${why instanceof Error ? why.message : String(why)}`);
      return mod.createSshTransport(inv, { acceptNewHostKeys: o.acceptNewHostKeys, sudoPassword: askSudoPassword });
    },
  };
}
