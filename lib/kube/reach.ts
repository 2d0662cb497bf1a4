/** Whether the laptop reaches an address directly: a TCP connect with a short timeout. */
import { connect } from 'node:net';

/** True when a TCP connection to host:port opens within timeoutMs (then it is closed at once). */
export function tcpReachable(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}
