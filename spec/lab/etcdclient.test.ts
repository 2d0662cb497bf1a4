/**
 * The lab kubeadm's etcd client retries as kubeadm v1.32's does (cmd/kubeadm/app/util/etcd/etcd.go):
 * against a fake etcd gateway (HTTPS, mutual TLS) that answers "etcdserver: unhealthy cluster" for a
 * while, the member add is retried every 500 ms and succeeds; an error that lasts past the
 * EtcdAPICall timeout is returned as etcd said it; a member already there is not added twice; a
 * learner is promoted once it may be. No lab, no root.
 */
import test from 'ava';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as pki from './sim/pki.js';
import { ETCD_API_CALL_RETRY_INTERVAL_MS, EtcdClient } from './sim/kubeadm/etcdclient.js';

interface Gateway {
  url: string;
  calls: string[];
  members: { ID: string; name: string; peerURLs: string[]; clientURLs: string[]; isLearner?: boolean }[];
  /** path -> errors to answer first (one per call), then success. */
  failFirst: Map<string, string[]>;
  close(): Promise<void>;
}

let tls: Promise<{ ca: pki.CA; server: { cert: string; key: string }; client: { cert: string; key: string } }> | undefined;
function certs() {
  tls ??= (async () => {
    const ca = await pki.newCA('etcd-ca');
    const sk = await pki.newKey();
    const ck = await pki.newKey();
    return {
      ca,
      server: { cert: await pki.signCert({ ca, key: sk, cn: 'etcd', dnsNames: ['localhost'], ips: ['127.0.0.1'], usages: ['server'] }), key: sk.keyPem },
      client: { cert: await pki.signCert({ ca, key: ck, cn: 'kube-etcd-healthcheck-client', usages: ['client'] }), key: ck.keyPem },
    };
  })();
  return tls;
}

/** A fake etcd v3 JSON gateway with etcd's error bodies (HTTP 503, {"error": ..., "code": 14}). */
async function gateway(): Promise<Gateway> {
  const c = await certs();
  const g: Omit<Gateway, 'url' | 'close'> = {
    calls: [],
    members: [{ ID: '1001', name: 'm1', peerURLs: ['https://10.0.0.1:2380'], clientURLs: ['https://127.0.0.1:0'] }],
    failFirst: new Map(),
  };
  const srv = https.createServer({ cert: c.server.cert, key: c.server.key, ca: c.ca.certPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const path = req.url ?? '';
      g.calls.push(path);
      const pending = g.failFirst.get(path);
      if (pending?.length) {
        res.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: pending.shift(), code: 14 }));
        return;
      }
      const b = body ? JSON.parse(body) : {};
      if (path === '/v3/cluster/member/list') res.end(JSON.stringify({ members: g.members }));
      else if (path === '/v3/cluster/member/add') {
        g.members.push({ ID: String(2000 + g.members.length), name: '', peerURLs: b.peerURLs, clientURLs: [], isLearner: !!b.isLearner });
        res.end(JSON.stringify({ members: g.members }));
      } else if (path === '/v3/cluster/member/promote') {
        const m = g.members.find((x) => x.ID === String(b.ID));
        if (m) m.isLearner = false;
        res.end(JSON.stringify({ members: g.members }));
      } else if (path === '/v3/maintenance/status') res.end(JSON.stringify({ version: '3.5.16' }));
      else res.writeHead(404).end('{}');
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  g.members[0].clientURLs = [url];
  return { ...g, url, close: () => new Promise((r) => srv.close(() => r())) };
}

async function client(g: Gateway, timeoutMs?: number): Promise<EtcdClient> {
  const c = await certs();
  return new EtcdClient([g.url], { ca: Buffer.from(c.ca.certPem), cert: Buffer.from(c.client.cert), key: Buffer.from(c.client.key) }, timeoutMs);
}

test('member add answered "etcdserver: unhealthy cluster" is retried every 500 ms until it succeeds, as kubeadm does', async (t) => {
  const g = await gateway();
  t.teardown(() => g.close());
  g.failFirst.set('/v3/cluster/member/add', ['etcdserver: unhealthy cluster', 'etcdserver: unhealthy cluster', 'etcdserver: unhealthy cluster']);
  const etcd = await client(g);
  t.teardown(() => etcd.close());
  const t0 = Date.now();
  const members = await etcd.addMember('https://10.0.0.2:2380', true);
  const took = Date.now() - t0;
  t.true(members.some((m) => m.peerURLs[0] === 'https://10.0.0.2:2380' && m.isLearner));
  t.is(g.calls.filter((c) => c === '/v3/cluster/member/add').length, 4, 'three refusals, then the add');
  t.true(took >= 3 * ETCD_API_CALL_RETRY_INTERVAL_MS, `retried at kubeadm's interval (${took} ms)`);
  t.deepEqual(etcd.endpoints, [g.url, 'https://10.0.0.2:2379'], "the new member's client URL is added to the endpoints");
});

test('an error that lasts past the EtcdAPICall timeout is returned as etcd said it', async (t) => {
  const g = await gateway();
  t.teardown(() => g.close());
  g.failFirst.set('/v3/cluster/member/add', Array(100).fill('etcdserver: unhealthy cluster'));
  const etcd = await client(g, 1500);
  t.teardown(() => etcd.close());
  await t.throwsAsync(etcd.addMember('https://10.0.0.2:2380', true), { message: 'etcdserver: unhealthy cluster' });
  const tries = g.calls.filter((c) => c === '/v3/cluster/member/add').length;
  t.true(tries >= 2 && tries <= 4, `retried, for the timeout only (${tries} tries in 1.5 s at 500 ms)`);
});

test('a peer URL already in the member list is not added again; a learner is promoted once etcd allows it', async (t) => {
  const g = await gateway();
  t.teardown(() => g.close());
  g.members.push({ ID: '3003', name: '', peerURLs: ['https://10.0.0.3:2380'], clientURLs: [], isLearner: true });
  g.failFirst.set('/v3/cluster/member/promote', ['etcdserver: can only promote a learner member which is in sync with leader']);
  const etcd = await client(g);
  t.teardown(() => etcd.close());
  await etcd.addMember('https://10.0.0.3:2380', true);
  t.is(g.calls.filter((c) => c === '/v3/cluster/member/add').length, 0, 'found in the list: no add');
  await etcd.memberPromote('3003');
  t.is(g.calls.filter((c) => c === '/v3/cluster/member/promote').length, 2, 'refused once (not in sync), then promoted');
  t.false(g.members.find((m) => m.ID === '3003')!.isLearner);
  await etcd.memberPromote('3003');
  t.is(g.calls.filter((c) => c === '/v3/cluster/member/promote').length, 2, 'no longer a learner: nothing to do');
});

test('an unreachable etcd gives the gRPC client\'s "context deadline exceeded" after the timeout', async (t) => {
  const g = await gateway();
  await g.close();
  const etcd = await client(g, 1200);
  t.teardown(() => etcd.close());
  await t.throwsAsync(etcd.listMembers(), { message: 'context deadline exceeded' });
});
