/**
 * Jump host and API tunnel over REAL ssh (lab net 72): host B answers only through host A
 * (B cannot reach the test machine), one jump connection serves several targets, and
 * forward() reaches TCP services on lab hosts.
 */
import { connect } from 'node:net';
import test from 'ava';
import type { Host } from '../../lib/inventory/types.js';
import { createSshTransport } from '../../lib/transport/ssh.js';
import { TransportError } from '../../lib/transport/types.js';
import { type Lab, labNet, requireRoot, sharedLab } from '../helpers/lab.js';
import { hostOf, labInventory } from './fixture.js';

const DIR = '/tmp/h-transport/lab72';
const NET = 72;
/** The bridge's address on this lab's net (the net moves with KUBEMEND_LAB_SLOT; sharedLab maps it the same way). */
const BRIDGE = `10.${labNet(NET)}.0.1`;
const getLab = () => sharedLab({ hosts: 3, net: NET, dir: DIR });

// the lab is taken down when the file is done (set KEEP_LAB=1 to keep it for the next run)
test.after.always(async () => {
  if (process.env.KEEP_LAB === '1') return;
  const lab = await getLab().catch(() => undefined);
  await lab?.down();
});

/** Established connections to :22 inside a lab host, as `peer-address`. */
async function sshPeers(lab: Lab, host: string): Promise<string[]> {
  const r = await lab.exec(host, ['ss', '-Htn', 'state', 'established', '( sport = :22 )']);
  if (r.code !== 0) throw new Error(`ss on ${host}: exit ${r.code}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => l.trim().split(/\s+/).pop()!.replace(/:\d+$/, ''));
}

/** Reads what a TCP service on 127.0.0.1:port says first. */
function greet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (b: Buffer) => (got += b.toString()));
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
}

/** B and C cut off from the test machine (a blackhole route to the bridge address), for the test's duration. */
async function isolate(t: { teardown(fn: () => Promise<void>): void }, lab: Lab, hosts: string[]): Promise<void> {
  for (const h of hosts) {
    await lab.exec(h, ['ip', 'route', 'del', `${BRIDGE}/32`]);
    const r = await lab.exec(h, ['ip', 'route', 'add', 'blackhole', `${BRIDGE}/32`]);
    if (r.code !== 0) throw new Error(`isolating ${h}: ${r.stderr}`);
    t.teardown(async () => {
      await lab.exec(h, ['ip', 'route', 'del', `${BRIDGE}/32`]);
    });
  }
}

test.serial('a host reachable only through a jump host is reached through it, on one jump connection', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await getLab();
  await isolate(t, lab, ['h002', 'h003']);
  const inv = labInventory(lab, { connectTimeoutMs: 90_000 });
  const a = hostOf(inv, 'h001');
  const jump = { host: a.address, port: 22, user: 'root', identityFile: lab.key };
  const tr = createSshTransport(inv);
  t.teardown(() => tr.close());

  // directly: no answer (B cannot reply to us)
  const direct = createSshTransport(labInventory(lab, { connectTimeoutMs: 3000 }));
  t.teardown(() => direct.close());
  const err = await t.throwsAsync(direct.run(hostOf(inv, 'h002'), ['true']), { instanceOf: TransportError });
  t.is(err?.kind, 'connect');

  const b: Host = hostOf(inv, 'h002', { jump });
  const c: Host = hostOf(inv, 'h003', { jump });
  const rs = await Promise.all([tr.run(b, ['hostname']), tr.run(c, ['hostname']), tr.run(b, ['id', '-un'])]);
  t.deepEqual(
    rs.map((r) => r.stdout),
    ['h002\n', 'h003\n', 'root\n'],
  );
  // host-side evidence: B and C see their SSH client at A's address; A sees one connection from us
  t.deepEqual(await sshPeers(lab, 'h002'), [a.address]);
  t.deepEqual(await sshPeers(lab, 'h003'), [a.address]);
  t.deepEqual(await sshPeers(lab, 'h001'), [BRIDGE]);
  const jumpConn = [...tr.connections.values()].find((x) => !x.via);
  t.is(jumpConn?.connects, 1);
  t.is(tr.connections.size, 3);
  // file transfer works through the jump too
  await tr.upload(b, '/root/through-jump', 'via A\n', { mode: 0o600 });
  t.is((await tr.download(b, '/root/through-jump')).toString(), 'via A\n');
});

test.serial('forward() reaches a TCP service on a lab host, directly and through a jump host', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await getLab();
  // a service on B: on 127.0.0.1 (only a tunnel from B reaches it) and on B's address
  const node = `const n=require('net');for (const a of ['127.0.0.1','0.0.0.0']) n.createServer(s=>s.end('hello from '+require('os').hostname()+' '+a+'\\n')).listen(a==='0.0.0.0'?7778:7777,a)`;
  const r = await lab.exec('h002', ['sh', '-c', `setsid /usr/bin/node -e "${node}" </dev/null >/dev/null 2>&1 & sleep 1`]);
  t.is(r.code, 0);
  t.teardown(async () => {
    await lab.exec('h002', ['pkill', '-f', 'hello from']);
  });
  await isolate(t, lab, ['h002']);
  const inv = labInventory(lab, { connectTimeoutMs: 90_000 });
  const a = hostOf(inv, 'h001');
  const b = hostOf(inv, 'h002', { jump: { host: a.address, port: 22, user: 'root', identityFile: lab.key } });
  const tr = createSshTransport(inv);
  t.teardown(() => tr.close());

  // through B's own connection (itself through A) to B's loopback
  const f1 = await tr.forward(b, '127.0.0.1', 7777);
  t.is(await greet(f1.localPort), 'hello from h002 127.0.0.1\n');
  t.is(await greet(f1.localPort), 'hello from h002 127.0.0.1\n');
  // through A to B's address (B cannot reach us: the bytes go through A)
  const f2 = await tr.forward(a, b.address, 7778);
  t.is(await greet(f2.localPort), 'hello from h002 0.0.0.0\n');
  await f1.close();
  await f2.close();
  // a closed forward refuses
  await t.throwsAsync(greet(f1.localPort));
});
