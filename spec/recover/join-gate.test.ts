/**
 * The gate before each master joins (issue 21), without a lab: etcdctl's `endpoint status -w json`
 * read as etcd 3.4 prints it (uint64 ids kept exact), the judgement of one read (a leader every
 * member names, no learner, every member healthy), and the gate itself over a fake transport:
 * it waits while the leader moves and passes only after GATE_STREAK steady reads, with every
 * rebuilt apiserver asked at its own address.
 */
import test from 'ava';
import { runPlaybook } from '../../lib/core/runner.js';
import { definePlaybook } from '../../lib/core/types.js';
import type { StampedEvent } from '../../lib/core/events.js';
import { GATE_READ_MS, GATE_STREAK, joinGate, judgeEtcd, parseEndpointStatus } from '../../playbooks/recover/join-gate.js';
import { POLL_MS, pauseAfter } from '../../playbooks/shared/wait-for.js';
import type { RecoverOptions } from '../../playbooks/recover/common.js';
import { LAYOUT_KEY } from '../../playbooks/shared/layout.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

/** Member ids above 2^53 (a JS number would round them). */
const ID = { m1: '10276657743932975437', m2: '3319814642761637952', m3: '18446744073709551557' };

/** `endpoint status --cluster -w json` as etcdctl 3.4.23 prints it (one line), members at 10.0.0.1-3. */
function statusJson(leader: string, term: number, learner?: string): string {
  const rows = Object.entries(ID).map(
    ([, id], i) =>
      `{"Endpoint":"https://10.0.0.${i + 1}:2379","Status":{"header":{"cluster_id":324952591200643719,"member_id":${id},"revision":9,"raft_term":${term}},"version":"3.4.23","dbSize":20480,"leader":${leader},"raftIndex":40,"raftTerm":${term},"raftAppliedIndex":40,"dbSizeInUse":16384${learner === id ? ',"isLearner":true' : ''}}}`,
  );
  return `[${rows.join(',')}]\n`;
}

const HEALTHY = [1, 2, 3].map((i) => `https://10.0.0.${i}:2379 is healthy: successfully committed proposal: took = 2.1ms`).join('\n') + '\n';
const name = (e: string) => ({ 'https://10.0.0.1:2379': 'm1', 'https://10.0.0.2:2379': 'm2', 'https://10.0.0.3:2379': 'm3' })[e] ?? e;

test("endpoint status: uint64 ids kept exact; etcdctl's warnings on other lines ignored", (t) => {
  const out = `{"level":"warn","ts":"2026-12-04T22:56:16.087Z","msg":"retrying of unary invoker failed"}\n${statusJson(ID.m3, 7)}Failed to get the status of endpoint https://10.0.0.4:2379 (context deadline exceeded)\n`;
  const s = parseEndpointStatus(out);
  t.deepEqual(
    s.map((x) => x.memberId),
    [ID.m1, ID.m2, ID.m3],
  );
  t.true(s.every((x) => x.leader === ID.m3 && x.raftTerm === '7' && !x.isLearner));
  t.throws(() => parseEndpointStatus('Error: context deadline exceeded\n'), { message: /printed no JSON: Error: context deadline exceeded/ });
});

test('one read: passes with one agreed leader and every member healthy; names what is wrong otherwise', (t) => {
  t.deepEqual(judgeEtcd(parseEndpointStatus(statusJson(ID.m1, 3)), HEALTHY, name), { ok: true, leader: 'm1', term: '3', members: 3 });
  const split = parseEndpointStatus(statusJson(ID.m1, 3));
  split[2]!.leader = '0';
  t.regex((judgeEtcd(split, HEALTHY, name) as { why: string }).why, /do not agree on a leader \(m1: .*, m3: none\)/);
  t.regex((judgeEtcd(parseEndpointStatus(statusJson(ID.m1, 3, ID.m3)), HEALTHY, name) as { why: string }).why, /m3 still a learner/);
  const sick = HEALTHY.replace(
    'https://10.0.0.2:2379 is healthy: successfully committed proposal: took = 2.1ms',
    'https://10.0.0.2:2379 is unhealthy: failed to commit proposal: context deadline exceeded',
  );
  t.regex((judgeEtcd(parseEndpointStatus(statusJson(ID.m1, 3)), sick, name) as { why: string }).why, /2 of 3 members healthy, unhealthy: m2/);
  t.regex((judgeEtcd(parseEndpointStatus(statusJson('123', 3)), HEALTHY, name) as { why: string }).why, /leader 123 is not among the members/);
});

test("the gate waits while the leader moves, then passes after steady reads; m1's apiserver asked at its own address", async (t) => {
  let reads = 0;
  const readAt: number[] = [];
  const fake = new FakeTransport()
    // the first read sees m1 leading; from the second on, m2 (a member add moved it)
    .on(/endpoint status --cluster/, () => (readAt.push(Date.now()), { stdout: reads++ === 0 ? statusJson(ID.m1, 3) : statusJson(ID.m2, 4) }), 'm1')
    .on(/endpoint health --cluster/, { stdout: HEALTHY }, 'm1')
    .on(/get --raw \/readyz/, { exitCode: 0, stdout: 'ok' }, 'm1');
  const events: StampedEvent[] = [];
  const playbook = definePlaybook<RecoverOptions>({
    name: 'gate-test',
    description: 'x',
    destructive: false,
    phases: [
      { id: 'others/join', title: 'gate', hosts: (ctx) => ctx.hosts.filter((h) => h.name === 'm2'), strategy: { kind: 'serial' }, run: (h) => joinGate(h) },
    ],
  });
  const inventory = fakeInventory(3, 0);
  inventory.hosts.forEach((h, i) => {
    (h as { address: string }).address = `10.0.0.${i + 1}`;
  });
  const r = await runPlaybook({ playbook, inventory, transport: fake, dryRun: false, sinks: [(e) => events.push(e)] });
  t.is(r.status, 'done', JSON.stringify(r.failures));
  t.is(reads, 1 + GATE_STREAK, 'one read before the move, then the steady ones');
  // the steady reads prove a leader steady over time: they keep the gate's spacing (waitFor's first looks come sooner)
  const gaps = readAt.slice(1).map((at, i) => at - readAt[i]);
  t.true(
    gaps.every((g) => g >= GATE_READ_MS - 50),
    `reads ${gaps.join(', ')} ms apart`,
  );
  const logs = events.filter((e) => e.kind === 'log').map((e) => (e as { message: string }).message);
  t.true(
    logs.some((l) => /leader moved \(m1, term 3 -> m2, term 4\)/.test(l)),
    logs.join('\n'),
  );
  t.true(
    logs.some((l) => /join gate passed: etcd leader m2 \(term 4\) over 3 reads, 3 of 3 members healthy; \/readyz ok on m1$/.test(l)),
    logs.join('\n'),
  );
  const readyz = fake.commandsOn('m1').filter((c) => c.includes('/readyz'));
  t.true(readyz.length >= GATE_STREAK);
  t.true(
    readyz.every((c) => /--server[= ]https:\/\/10\.0\.0\.1:6443 /.test(c) && /--tls-server-name[= ]kubernetes /.test(c)),
    readyz[0],
  );
  t.deepEqual(fake.commandsOn('m2'), [], 'nothing was run on the joining master');
});

test("on kubespray's layout the gate asks kubespray's etcd service with its own etcdctl and /etc/etcd.env (no etcd container exists there), never crictl", async (t) => {
  const fake = new FakeTransport()
    .on(/kubespray_etcdctl endpoint status --cluster -w json/, { stdout: statusJson(ID.m1, 5) }, 'm1')
    .on(/kubespray_etcdctl endpoint health --cluster/, { stdout: HEALTHY }, 'm1')
    .on(/get --raw \/readyz/, { exitCode: 0, stdout: 'ok' }, 'm1');
  const events: StampedEvent[] = [];
  const playbook = definePlaybook<RecoverOptions>({
    name: 'gate-test',
    description: 'x',
    destructive: false,
    phases: [
      {
        id: 'facts/shape',
        title: 'layout',
        scope: 'cluster',
        run: async (ctx) => {
          ctx.shared.set(LAYOUT_KEY, 'kubespray');
        },
      },
      { id: 'others/join', title: 'gate', hosts: (ctx) => ctx.hosts.filter((h) => h.name === 'm2'), strategy: { kind: 'serial' }, run: (h) => joinGate(h) },
    ],
  });
  const inventory = fakeInventory(3, 0);
  inventory.hosts.forEach((h, i) => {
    (h as { address: string }).address = `10.0.0.${i + 1}`;
  });
  const r = await runPlaybook({ playbook, inventory, transport: fake, dryRun: false, sinks: [(e) => events.push(e)] });
  t.is(r.status, 'done', JSON.stringify(r.failures));
  const etcd = fake.commandsOn('m1').filter((c) => /etcdctl/.test(c));
  t.true(etcd.length >= 2 * GATE_STREAK, etcd.join('\n'));
  t.true(
    etcd.every((c) => c.includes('/etc/etcd.env') && c.includes('/usr/local/bin/etcdctl')),
    etcd[0],
  );
  t.false(
    fake.commandsOn('m1').some((c) => /crictl/.test(c)),
    'no etcd container is asked for',
  );
  const logs = events.filter((e) => e.kind === 'log').map((e) => (e as { message: string }).message);
  t.true(
    logs.some((l) => /join gate passed: etcd leader m1 \(term 5\) over 3 reads, 3 of 3 members healthy/.test(l)),
    logs.join('\n'),
  );
});

test("waitFor's pauses: 0.25, 0.5, 1 s, then every 2 s; a wait that counts looks in a row keeps its fixed spacing", (t) => {
  t.deepEqual(
    [0, 1, 2, 3, 4, 50].map((n) => pauseAfter(n)),
    [250, 500, 1000, 2000, 2000, 2000],
  );
  t.is(POLL_MS.at(-1), 2000, 'a long wait looks every 2 s, as before');
  t.deepEqual(
    [0, 1, 7].map((n) => pauseAfter(n, GATE_READ_MS)),
    [2000, 2000, 2000],
  );
});
