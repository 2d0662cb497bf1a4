/**
 * Authentication: ssh-agent first (SSH_AUTH_SOCK), then the identity file, as OpenSSH tries
 * them. Encrypted keys are opened with a passphrase asked once per file and run.
 */
import { readFile } from 'node:fs/promises';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, ParsedKey } from 'ssh2';

const { utils } = ssh2;

/** Reads private keys and asks for passphrases at most once per file. */
export class KeyStore {
  readonly #keys = new Map<string, Promise<ParsedKey>>();
  constructor(private readonly passphrase?: (keyFile: string) => Promise<string>) {}

  /** The parsed private key in `file` (asks for its passphrase when encrypted). */
  load(file: string): Promise<ParsedKey> {
    let p = this.#keys.get(file);
    if (!p) {
      p = this.#read(file);
      this.#keys.set(file, p);
      p.catch(() => this.#keys.delete(file));
    }
    return p;
  }

  async #read(file: string): Promise<ParsedKey> {
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (e) {
      throw new Error(`reading identity file ${file}: ${(e as Error).message}`, { cause: e });
    }
    let parsed = utils.parseKey(data);
    if (parsed instanceof Error && /encrypted|passphrase/i.test(parsed.message)) {
      if (!this.passphrase) throw new Error(`identity file ${file} is encrypted and no passphrase prompt is available`);
      const pass = await this.passphrase(file);
      parsed = utils.parseKey(data, pass);
      if (parsed instanceof Error) throw new Error(`identity file ${file}: wrong passphrase or unreadable key`);
    }
    if (parsed instanceof Error) throw new Error(`identity file ${file}: ${parsed.message}`);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!key?.isPrivateKey()) throw new Error(`identity file ${file}: not a private key`);
    return key;
  }
}

/** The agent socket to use: the option when given ('' = none), else $SSH_AUTH_SOCK. */
export function agentSocket(option: string | undefined): string | undefined {
  const s = option ?? process.env.SSH_AUTH_SOCK;
  return s ? s : undefined;
}

/** The ordered auth methods for user: agent (when a socket is set), then the identity key. */
export function authMethods(user: string, agent: string | undefined, key: ParsedKey | undefined): AnyAuthMethod[] {
  const out: AnyAuthMethod[] = [];
  if (agent) out.push({ type: 'agent', username: user, agent });
  if (key) out.push({ type: 'publickey', username: user, key });
  if (out.length === 0) out.push({ type: 'none', username: user });
  return out;
}
