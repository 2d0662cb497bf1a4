/** Options of the SSH transport and the events it reports (never with a secret value in them). */

/** Something the transport did, for logs and the journal: no passwords, keys or stdin in here. */
export type TransportEvent =
  | { type: 'connect-start'; host: string; address: string; port: number; user: string; via?: string }
  | { type: 'connect-ok'; host: string; durationMs: number; via?: string }
  | { type: 'connect-fail'; host: string; kind: string; message: string }
  | { type: 'disconnected'; host: string; message: string }
  | { type: 'host-key-accepted'; host: string; name: string; keyType: string; fingerprint: string; knownHosts: string }
  | { type: 'command-start'; host: string; command: string }
  | {
      type: 'command-end';
      host: string;
      command: string;
      exitCode: number | null;
      signal: string | null;
      durationMs: number;
      truncated: boolean;
    }
  | { type: 'command-fail'; host: string; command: string; kind: string; message: string };

/** How createSshTransport behaves beyond what the inventory says. */
export interface SshTransportOptions {
  /** Record the key of a host missing from known_hosts instead of refusing (a changed key is always refused). */
  acceptNewHostKeys?: boolean;
  /** Asked once per run, when the first host with `sudo: password` needs it. */
  sudoPassword?: () => Promise<string>;
  /** Asked for an encrypted identity file's passphrase. */
  passphrase?: (keyFile: string) => Promise<string>;
  /** Receives every transport event. */
  onEvent?: (e: TransportEvent) => void;
  /** Channels open at once on one connection (stay under sshd's MaxSessions, default 10). */
  maxChannelsPerHost?: number;
  /** ssh-agent socket (default: $SSH_AUTH_SOCK); '' turns the agent off. */
  agentSocket?: string;
}
