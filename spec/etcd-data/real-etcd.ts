/**
 * A real etcd (Debian's /usr/bin/etcd) on 127.0.0.1 with a temp data dir, for the offline
 * reader's tests: values are put exactly through etcd's v3 JSON gateway, and read back with the
 * real etcdctl, so the test compares the reader with etcd itself.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** A running etcd with its data dir. */
export interface RealEtcd {
  dataDir: string;
  client: string;
  name: string;
  peer: string;
  put(key: string, value: Buffer | string): Promise<void>;
  del(key: string): Promise<void>;
  /** `etcdctl ARGS` against it; stdout. */
  etcdctl(...args: string[]): Promise<string>;
  /** Stop it (SIGTERM, etcd commits its backend) and wait for the exit. */
  stop(): Promise<void>;
  /** Remove the data dir. */
  remove(): void;
}

/** Start etcd (`advertisePeer`: the peer URL its member record gets, e.g. a lab master's); throws when it does not start. */
export async function startEtcd(name = 'm1', advertisePeer?: string): Promise<RealEtcd> {
  const dataDir = tempDir('/tmp/kubemend-etcd-data-');
  const [cp, pp] = [await freePort(), await freePort()];
  const client = `http://127.0.0.1:${cp}`;
  const peer = `http://127.0.0.1:${pp}`;
  const p: ChildProcess = spawn(
    '/usr/bin/etcd',
    [
      '--name',
      name,
      '--data-dir',
      join(dataDir, 'etcd'),
      '--listen-client-urls',
      client,
      '--advertise-client-urls',
      client,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      advertisePeer ?? peer,
      '--initial-cluster',
      `${name}=${advertisePeer ?? peer}`,
      '--log-level',
      'error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  p.stderr?.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number>((res) => p.once('exit', (c) => res(c ?? -1)));
  p.once('error', (e) => {
    err += e.message;
  });
  const etcdctl = async (...args: string[]) =>
    (
      await run('/usr/bin/etcdctl', ['--endpoints', client, ...args], { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'buffer', maxBuffer: 64 << 20 })
    ).stdout.toString('utf8');
  for (let i = 0; ; i++) {
    try {
      await etcdctl('endpoint', 'health');
      break;
    } catch {
      if (i > 100 || p.exitCode !== null) throw new Error(`etcd did not start: ${err.slice(-500)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const gw = async (path: string, body: unknown) => {
    const r = await fetch(`${client}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`etcd ${path}: HTTP ${r.status}`);
  };
  const b64 = (x: Buffer | string) => Buffer.from(x).toString('base64');
  return {
    dataDir: join(dataDir, 'etcd'),
    client,
    name,
    peer,
    etcdctl,
    put: (key, value) => gw('/v3/kv/put', { key: b64(key), value: b64(value) }),
    del: (key) => gw('/v3/kv/deleterange', { key: b64(key) }),
    stop: async () => {
      if (p.exitCode === null) p.kill('SIGTERM');
      await exited;
    },
    remove: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** The db file of a real etcd whose one member is `name` advertised at `peer`, after `puts` (etcd stopped, data removed). */
export async function dbFileWith(name: string, peer: string, puts: Array<[string, Buffer]>): Promise<Buffer> {
  const etcd = await startEtcd(name, peer);
  try {
    for (const [k, v] of puts) await etcd.put(k, v);
    await etcd.stop();
    return readFileSync(join(etcd.dataDir, 'member/snap/db'));
  } finally {
    await etcd.stop();
    etcd.remove();
  }
}
