/**
 * The lab's load balancer (spec/lab/sim/lb/balancer.ts) against two HTTPS backends on this machine
 * (no lab): nothing is sent while no backend passed its health checks (the connection is closed at
 * once), a backend gets traffic only after `rise` good checks, round robin between the UP ones, and
 * a backend whose check fails `fall` times is marked DOWN, its open sessions cut, and gets nothing more.
 */
import test from 'ava';
import { type Server, createServer, request } from 'node:https';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { newCA } from './sim/pki.js';
import { type Balancer, startBalancer } from './sim/lb/balancer.js';
import { pollUntil } from '../helpers/wait.js';

interface Backend {
  name: string;
  server: Server;
  port: number;
  healthy: boolean;
}

/** An HTTPS server answering /healthz with 200 or 500 as `healthy` says, and its name on any other path. */
async function backend(name: string, tls: { certPem: string; keyPem: string }): Promise<Backend> {
  const b = { name, healthy: false } as Backend;
  b.server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(b.healthy ? 200 : 500).end(b.healthy ? 'ok' : 'not ok');
      return;
    }
    res.writeHead(200).end(name);
  });
  await new Promise<void>((r) => b.server.listen(0, '127.0.0.1', () => r()));
  b.port = (b.server.address() as AddressInfo).port;
  return b;
}

/** GET /who through the balancer (a new connection each time): the backend's name, or the error. */
function who(lb: Balancer): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host: lb.address.host, port: lb.address.port, path: '/who', rejectUnauthorized: false, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', (e) => resolve(`error: ${e.message}`));
    req.end();
  });
}

test('no backend UP: closed at once; traffic only to backends that passed rise checks, round robin; a failing one marked DOWN, its sessions cut', async (t) => {
  const tls = await newCA('lab-lb-test');
  const [b1, b2] = await Promise.all([backend('b1', tls), backend('b2', tls)]);
  const lb = await startBalancer({
    listen: { host: '127.0.0.1', port: 0 },
    backends: [b1, b2].map((b) => ({ name: b.name, host: '127.0.0.1', port: b.port })),
    interMs: 100,
    rise: 2,
    fall: 2,
  });
  const up = (name: string) => lb.states().find((s) => s.name === name)!.up;
  try {
    t.regex(await who(lb), /^error: /, 'no backend UP: the connection is closed');
    t.true(lb.refused() >= 1);
    t.true(
      lb.states().every((s) => s.sent === 0),
      'nothing was sent to a backend that never passed a check',
    );

    b1.healthy = true;
    await pollUntil('b1 UP', () => up('b1'), 5000);
    const one = await Promise.all([1, 2, 3, 4].map(() => who(lb)));
    t.deepEqual(one, ['b1', 'b1', 'b1', 'b1'], 'only the UP backend answers');

    b2.healthy = true;
    await pollUntil('b2 UP', () => up('b2'), 5000);
    const both = new Set<string>();
    for (let i = 0; i < 4; i++) both.add(await who(lb));
    t.deepEqual([...both].sort(), ['b1', 'b2'], 'round robin between the UP backends');

    // an open session through the balancer (raw TCP), then every backend fails its checks
    const before = lb.states().reduce((n, x) => n + x.sent, 0);
    const session = connect(lb.address.port, lb.address.host);
    session.on('error', () => {});
    await pollUntil('the session reaches a backend', () => lb.states().reduce((n, x) => n + x.sent, 0) > before, 2000);
    const closed = new Promise<void>((r) => session.once('close', () => r()));
    const sentToB2 = lb.states().find((s) => s.name === 'b2')!.sent;
    b1.healthy = false;
    b2.healthy = false;
    await pollUntil('b1 and b2 DOWN', () => !up('b1') && !up('b2'), 5000);
    await closed;
    t.pass('the open session was cut when its backend went DOWN');
    t.regex(await who(lb), /^error: /, 'both DOWN: closed again');
    b2.healthy = true;
    await pollUntil('b2 UP again', () => up('b2'), 5000);
    const after = await Promise.all([1, 2, 3].map(() => who(lb)));
    t.deepEqual(after, ['b2', 'b2', 'b2'], 'nothing to the DOWN backend');
    t.true(lb.states().find((s) => s.name === 'b2')!.sent > sentToB2);
  } finally {
    await lb.close();
    for (const b of [b1, b2]) {
      b.server.closeAllConnections();
      b.server.close();
    }
  }
});
