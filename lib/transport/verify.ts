/**
 * Host key checking for a transport: known_hosts read once, unknown keys refused (or recorded
 * with acceptNewHostKeys), changed or revoked keys always refused with both fingerprints.
 */
import { TransportError } from './types.js';
import type { TransportEvent } from './options.js';
import { decideHostKey, fingerprint, keyTypeOf, knownHostsName, loadKnownHosts, recordHostKey, type KnownHostEntry } from './hostkeys.js';

/** Checks offered host keys against one known_hosts file. */
export class HostKeyChecker {
  #entries: Promise<KnownHostEntry[]> | undefined;
  #writes: Promise<void> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly acceptNew: boolean,
    private readonly emit: (e: TransportEvent) => void,
  ) {}

  #load(): Promise<KnownHostEntry[]> {
    this.#entries ??= loadKnownHosts(this.file);
    return this.#entries;
  }

  /** Resolves when `blob` may be trusted for address:port; rejects with a host-key TransportError. */
  async check(hostName: string, address: string, port: number, blob: Buffer): Promise<void> {
    const entries = await this.#load();
    const name = knownHostsName(address, port);
    const d = decideHostKey(entries, name, blob);
    switch (d.verdict) {
      case 'known':
        return;
      case 'revoked':
        throw new TransportError(
          hostName,
          'host-key-changed',
          `host key for ${name} (${keyTypeOf(blob)} ${d.fingerprint}) is marked @revoked in ${this.file} ` +
            `(line ${d.lines.join(', ')}): refusing to connect`,
        );
      case 'changed':
        throw new TransportError(
          hostName,
          'host-key-changed',
          `HOST KEY CHANGED for ${name}: ${this.file} (line ${d.lines.join(', ')}) expects ${d.expected.join(' or ')}, ` +
            `the host offered ${keyTypeOf(blob)} ${d.fingerprint}. This can be a man-in-the-middle attack or a reinstalled ` +
            `host; verify the new key out of band, then remove the old line (ssh-keygen -R ${JSON.stringify(name)} -f ${this.file}). ` +
            `Refusing to connect (--accept-new-host-keys does not accept changed keys).`,
        );
      case 'unknown':
        break;
    }
    if (!this.acceptNew) {
      throw new TransportError(
        hostName,
        'host-key-unknown',
        `host key for ${name} is not in ${this.file}: the host offered ${d.keyType} ${d.fingerprint}. ` +
          `Check that fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_${d.keyType.replace(/^ssh-/, '')}_key.pub), ` +
          `then run again with --accept-new-host-keys to record it.`,
      );
    }
    // record it (one write at a time), and trust it for the rest of the run
    const write = this.#writes.then(async () => {
      const again = decideHostKey(entries, name, blob);
      if (again.verdict === 'known') return;
      if (again.verdict !== 'unknown') throw new Error('raced');
      await recordHostKey(this.file, address, port, blob);
      entries.push({ hosts: name, keyType: keyTypeOf(blob), key: blob, line: 0 });
      this.emit({
        type: 'host-key-accepted',
        host: hostName,
        name,
        keyType: keyTypeOf(blob),
        fingerprint: fingerprint(blob),
        knownHosts: this.file,
      });
    });
    this.#writes = write.catch(() => undefined);
    try {
      await write;
    } catch (e) {
      throw new TransportError(hostName, 'host-key-unknown', `recording the host key of ${name} in ${this.file}: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
}
