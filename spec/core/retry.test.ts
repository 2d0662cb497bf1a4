/**
 * Retries of steps that are safe to repeat (issue 21), without a lab: which errors are transient
 * (the wording of kubeadm, kubectl, client-go and Node's API client), a command retried through the
 * context with each retry journaled (its cause, never its output: no secret), a final error thrown
 * at once, a step without a policy never retried, retries that run out ending the run with a named,
 * resumable failure, and the API client's view retrying every call but a disruption budget's 429.
 */
import test from 'ava';
import { runPlaybook } from '../../lib/core/runner.js';
import { type Phase, definePlaybook } from '../../lib/core/types.js';
import type { StampedEvent } from '../../lib/core/events.js';
import { completedPairs, pairKey } from '../../lib/core/journal.js';
import { type RetryPolicy, RetriesExhaustedError, backoff, retrying } from '../../lib/core/retry.js';
import { transientCause } from '../../lib/core/transient.js';
import { kubeWithRetries } from '../../lib/kube/retry.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';

const FAST: RetryPolicy = { idempotent: 'test: the fake step changes nothing', attempts: 4, delayMs: 1, maxDelayMs: 2 };

test('transient: what a control plane says while it changes', (t) => {
  const cases: Array<[string, string]> = [
    // the issue's own failure, as the lab's kubeadm printed it
    [
      'error execution phase control-plane-prepare/download-certs: GET https://10.1.0.10:6443/api/v1/namespaces/kube-system/configmaps/kubelet-config: Internal error occurred: get secrets bootstrap-token-abcdef: etcd https://10.1.0.10:2379/v3/kv/range: HTTP 503: etcdserver: leader changed',
      'etcd leader changed',
    ],
    ['Error from server: etcdserver: request timed out', 'etcd request timed out'],
    ['Error from server (ServiceUnavailable): the server is currently unable to handle the request', 'HTTP 503 service unavailable'],
    ['Error from server (TooManyRequests): the server has received too many requests and has asked us to try again later', 'HTTP 429 too many requests'],
    ['Error from server (InternalError): Internal error occurred: unexpected EOF from storage', 'HTTP 500 internal error'],
    ['read node w1: HTTP 503: the server is currently unable to handle the request', 'HTTP 503 service unavailable'],
    ['The connection to the server 10.1.0.10:6443 was refused - did you specify the right host or port?', 'connection refused'],
    ['Get "https://10.1.0.10:6443/api/v1/nodes/w1?timeout=10s": dial tcp 10.1.0.10:6443: connect: connection refused', 'connection refused'],
    ['request to https://10.1.0.10:6443/api/v1/nodes failed, reason: connect ECONNREFUSED 10.1.0.10:6443', 'connection refused'],
    ['Unable to connect to the server: net/http: TLS handshake timeout', 'TLS handshake failure'],
    ['Get "https://10.1.0.10:6443/readyz": remote error: tls: bad certificate', 'TLS handshake failure'],
  ];
  for (const [text, cause] of cases) t.is(transientCause(text), cause, text);
});

test('transient: final answers are never retried, whatever else they say', (t) => {
  for (const text of [
    'couldn\'t validate the identity of the API Server: could not find a JWS signature in the cluster-info ConfigMap for token ID "abcdef"',
    'unknown flag: --certificate-key',
    'Error from server (AlreadyExists): secrets "bootstrap-token-abcdef" already exists',
    'Internal error occurred: configmaps "kubeadm-config" already exists',
    'error: You must be logged in to the server (Unauthorized)',
    'Error from server (Forbidden): nodes "w1" is forbidden: User "x" cannot get resource "nodes"',
    'a Node with name "w1" and status "Ready" already exists in the cluster. You must delete the existing Node or change the name of this new joining Node',
    'read node w1: HTTP 409: Operation cannot be fulfilled on nodes "w1": the object has been modified',
    'error execution phase control-plane-prepare/certs: a certificate already exists with another key',
    'no such file or directory',
  ])
    t.is(transientCause(text), undefined, text);
});

test('backoff doubles up to the cap', (t) => {
  const p: RetryPolicy = { idempotent: 'x', delayMs: 1000, maxDelayMs: 5000 };
  t.deepEqual(
    [1, 2, 3, 4].map((n) => backoff(p, n)),
    [1000, 2000, 4000, 5000],
  );
});

test('retrying: bounded, and the exhausted error names the attempts and the causes', async (t) => {
  let calls = 0;
  const notes: string[] = [];
  const err = await t.throwsAsync(() =>
    retrying(
      'kubeadm x',
      FAST,
      async () => {
        calls++;
        throw new Error('dial tcp 10.0.0.1:6443: connect: connection refused');
      },
      { onRetry: (n) => notes.push(`${n.attempt}/${n.attempts} ${n.cause}`), sleep: async () => {} },
    ),
  );
  t.true(err instanceof RetriesExhaustedError);
  t.is(calls, 4);
  t.deepEqual(notes, ['1/4 connection refused', '2/4 connection refused', '3/4 connection refused']);
  t.regex(err!.message, /connection refused \(tried 4 times, every failure transient: connection refused; .*resume/);
});

/** A one-phase playbook whose step runs `argv` on m1 with `retry` (or without). */
function playbook(argv: string[], retry?: RetryPolicy, capture = false) {
  const phase: Phase = {
    id: 'join/step',
    title: 'a step',
    hosts: (ctx) => ctx.hosts.filter((h) => h.name === 'm1'),
    strategy: { kind: 'serial' },
    async run(h) {
      if (capture) await h.capture('token', async () => (await h.run(argv, { what: 'kubeadm token create', retry })).stdout, { secret: true });
      else await h.run(argv, { what: 'kubeadm join phase control-plane-prepare all', retry });
    },
  };
  return definePlaybook({ name: 'retry-test', description: 'x', destructive: false, phases: [phase] });
}

async function run(fake: FakeTransport, argv: string[], retry?: RetryPolicy, capture = false) {
  const events: StampedEvent[] = [];
  const r = await runPlaybook({
    playbook: playbook(argv, retry, capture),
    inventory: fakeInventory(1, 0),
    transport: fake,
    dryRun: false,
    sinks: [(e) => events.push(e)],
  });
  return { r, events, retries: events.filter((e): e is Extract<StampedEvent, { kind: 'retry' }> => e.kind === 'retry') };
}

/** A fake whose first `fails` answers to `re` are `answer`, then success with `stdout`. */
function flaky(re: RegExp, fails: number, answer: { exitCode: number; stderr: string; stdout?: string }, stdout = 'ok\n') {
  let n = 0;
  return new FakeTransport().on(re, () => (n++ < fails ? answer : { exitCode: 0, stdout }));
}

test('a step that is safe to repeat rides out two leader changes; each retry journaled with its cause', async (t) => {
  const fake = flaky(/control-plane-prepare/, 2, {
    exitCode: 1,
    stderr: 'error execution phase control-plane-prepare/download-certs: ... HTTP 503: etcdserver: leader changed\n',
  });
  const { r, retries } = await run(fake, ['kubeadm', 'join', 'phase', 'control-plane-prepare', 'all'], FAST);
  t.is(r.status, 'done');
  t.is(fake.commandsOn('m1').length, 3);
  t.deepEqual(
    retries.map((e) => [e.host, e.phase, e.step, e.attempt, e.attempts, e.cause]),
    [
      ['m1', 'join/step', 'kubeadm join phase control-plane-prepare all', 1, 4, 'etcd leader changed'],
      ['m1', 'join/step', 'kubeadm join phase control-plane-prepare all', 2, 4, 'etcd leader changed'],
    ],
  );
});

test('a final error is not retried: one attempt, the run fails naming it', async (t) => {
  const fake = flaky(/control-plane-prepare/, 9, { exitCode: 1, stderr: 'unknown flag: --certificate-key\n' });
  const { r, retries } = await run(fake, ['kubeadm', 'join', 'phase', 'control-plane-prepare', 'all'], FAST);
  t.is(r.status, 'failed');
  t.is(fake.commandsOn('m1').length, 1);
  t.is(retries.length, 0);
  t.regex(r.failures[0]!.error, /unknown flag/);
});

test('a step without a policy is never retried, even on a transient error', async (t) => {
  const fake = flaky(/control-plane-join/, 1, { exitCode: 1, stderr: 'etcdserver: leader changed\n' });
  const { r, retries } = await run(fake, ['kubeadm', 'join', 'phase', 'control-plane-join', 'all']);
  t.is(r.status, 'failed');
  t.is(fake.commandsOn('m1').length, 1);
  t.is(retries.length, 0);
});

test('a fault that does not clear: the run stops, named, and the pair is left for resume', async (t) => {
  const fake = flaky(/control-plane-prepare/, 99, {
    exitCode: 1,
    stderr: 'Error from server (ServiceUnavailable): the server is currently unable to handle the request\n',
  });
  const { r, events, retries } = await run(fake, ['kubeadm', 'join', 'phase', 'control-plane-prepare', 'all'], FAST);
  t.is(r.status, 'failed');
  t.is(r.exitCode, 1);
  t.is(fake.commandsOn('m1').length, 4);
  t.is(retries.length, 3);
  t.is(r.failures[0]!.host, 'm1');
  t.is(r.failures[0]!.phase, 'join/step');
  t.regex(
    r.failures[0]!.error,
    /^kubeadm join phase control-plane-prepare all: exit 1: .*unable to handle the request \(tried 4 times, every failure transient: HTTP 503 service unavailable/,
  );
  t.false(completedPairs(events).has(pairKey('join/step', 'm1')), 'resume runs the step again');
});

test('a secret step: retried on the cause in its output, the journal holds the cause and never the output', async (t) => {
  const token = 'abcdef.0123456789abcdef';
  // the failed attempt's output carries a token-like secret: it must not reach any event
  const fake = flaky(
    /token create/,
    1,
    { exitCode: 1, stdout: `${token}\n`, stderr: 'timed out waiting for the condition: etcdserver: request timed out\n' },
    `${token}\n`,
  );
  const { r, events, retries } = await run(fake, ['kubeadm', 'token', 'create'], FAST, true);
  t.is(r.status, 'done');
  t.is(retries.length, 1);
  t.is(retries[0]!.cause, 'etcd request timed out');
  const text = JSON.stringify(events);
  t.false(text.includes(token), 'no token in any event');
  t.false(text.includes('0123456789abcdef'));
  t.false(text.includes('timed out waiting for the condition'), "the secret step's output stays out of the journal");
});

test('a dry run does not retry (nothing mutating is sent)', async (t) => {
  const fake = flaky(/control-plane-prepare/, 9, { exitCode: 1, stderr: 'etcdserver: leader changed\n' });
  const events: StampedEvent[] = [];
  const r = await runPlaybook({
    playbook: playbook(['kubeadm', 'join', 'phase', 'control-plane-prepare', 'all'], FAST),
    inventory: fakeInventory(1, 0),
    transport: fake,
    dryRun: true,
    sinks: [(e) => events.push(e)],
  });
  t.is(r.status, 'done');
  t.is(fake.commandsOn('m1').length, 0);
  t.false(events.some((e) => e.kind === 'retry'));
});

test('the API view retries every call on a transient error, but not an eviction refused by its budget (429)', async (t) => {
  const apiError = (code: number, message: string) =>
    Object.assign(new Error(`HTTP-Code: ${code}\nMessage: Unknown API Status Code!`), { code, body: JSON.stringify({ kind: 'Status', message }) });
  let reads = 0;
  let evictions = 0;
  const core = {
    async readNode(p: { name: string }) {
      if (++reads < 3) throw apiError(503, 'the server is currently unable to handle the request');
      return { metadata: { name: p.name } };
    },
    async createNamespacedPodEviction() {
      evictions++;
      throw apiError(429, "Cannot evict pod as it would violate the pod's disruption budget.");
    },
  };
  class FakeKube {
    readonly core = core;
    async node(name: string) {
      return this.core.readNode({ name });
    }
  }
  const steps: string[] = [];
  const kube = kubeWithRetries(new FakeKube(), (step, policy, fn) =>
    retrying(step, { ...policy, delayMs: 1, maxDelayMs: 1 }, fn, { onRetry: (n) => steps.push(`${n.step}: ${n.cause}`), sleep: async () => {} }),
  );
  t.deepEqual(await kube.node('w1'), { metadata: { name: 'w1' } });
  t.is(reads, 3);
  t.deepEqual(steps, ['API readNode w1: HTTP 503 service unavailable', 'API readNode w1: HTTP 503 service unavailable']);
  await t.throwsAsync(() => kube.core.createNamespacedPodEviction());
  t.is(evictions, 1, "a budget's 429 is the caller's to wait on");
});
