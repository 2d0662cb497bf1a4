/** Local TCP port forwarding: a server on 127.0.0.1:0 whose connections go through a host's SSH connection. */
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** A listening forward. */
export interface LocalForward {
  localPort: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:0; each connection is piped into a stream from `open()` (direct-tcpip). */
export async function listenForward(open: () => Promise<Duplex>, onError: (e: Error) => void): Promise<LocalForward> {
  const sockets = new Set<Socket>();
  const streams = new Set<Duplex>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    sock.pause();
    open().then(
      (stream) => {
        streams.add(stream);
        stream.on('close', () => {
          streams.delete(stream);
          sock.destroy();
        });
        stream.on('error', () => sock.destroy());
        sock.on('close', () => stream.destroy());
        sock.pipe(stream).pipe(sock);
        sock.resume();
      },
      (e: Error) => {
        onError(e);
        sock.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const localPort = typeof addr === 'object' && addr ? addr.port : 0;
  let closed: Promise<void> | undefined;
  return {
    localPort,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        for (const s of streams) s.destroy();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}
