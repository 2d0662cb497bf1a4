/**
 * Unit tests of the lab kubelet's token manager against the real one's rules
 * (pkg/kubelet/token/token_manager.go): cached until 80% of the requested lifetime (minus up to
 * 10 s of jitter) or 24 h, refreshed then; a failed refresh keeps a token that has not expired;
 * tokens of a deleted pod are forgotten.
 */
import test from 'ava';
import { type TokenRequest, TokenManager } from './token-manager.js';

const T0 = Date.parse('2026-12-04T10:00:00Z');

function rig(jitterMs = 0) {
  let now = T0;
  let n = 0;
  let fail = false;
  const m = new TokenManager(
    async (_ns, _name, tr) => {
      if (fail) throw new Error('connection refused');
      n++;
      return { spec: tr.spec, status: { token: `t${n}`, expirationTimestamp: new Date(now + (tr.spec.expirationSeconds ?? 3600) * 1000).toISOString() } };
    },
    () => now,
    () => jitterMs,
  );
  return { m, at: (ms: number) => (now = T0 + ms), fail: (f: boolean) => (fail = f) };
}

const tr = (seconds: number, uid = 'pod-1'): TokenRequest => ({
  spec: { expirationSeconds: seconds, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p', uid } },
});

test('a 3607 s token is kept until 80% of its life (2886 s) and refreshed after', async (t) => {
  const { m, at } = rig();
  t.is((await m.token('apps', 'web', tr(3607))).status!.token, 't1');
  at(2885_000);
  t.is((await m.token('apps', 'web', tr(3607))).status!.token, 't1', 'within 80%');
  at(2887_000);
  t.is((await m.token('apps', 'web', tr(3607))).status!.token, 't2', 'past 80%: a new token');
  at(2887_000 + 1000);
  t.is((await m.token('apps', 'web', tr(3607))).status!.token, 't2', 'the new one is cached');
});

test('jitter brings the refresh forward by up to 10 s; a token over 24 h old is refreshed whatever its lifetime', async (t) => {
  const j = rig(9000);
  await j.m.token('apps', 'web', tr(600));
  j.at(472_000); // 80% of 600 s is 480 s; 9 s of jitter moves it to 471 s
  t.is((await j.m.token('apps', 'web', tr(600))).status!.token, 't2');
  const day = rig();
  await day.m.token('apps', 'web', tr(7 * 24 * 3600));
  day.at(24 * 3600_000 + 1000);
  t.is((await day.m.token('apps', 'web', tr(7 * 24 * 3600))).status!.token, 't2');
});

test('a failed refresh keeps the old token while it is valid, then fails; a first request that fails fails', async (t) => {
  const { m, at, fail } = rig();
  await m.token('apps', 'web', tr(600));
  fail(true);
  at(500_000);
  t.is((await m.token('apps', 'web', tr(600))).status!.token, 't1', "Couldn't update token: the old one is still valid");
  at(601_000);
  await t.throwsAsync(m.token('apps', 'web', tr(600)), { message: /expired and refresh failed: connection refused/ });
  await t.throwsAsync(m.token('apps', 'other', tr(600)), { message: 'failed to fetch token: connection refused' });
});

test("tokens are cached per bound pod; a deleted pod's are forgotten", async (t) => {
  const { m } = rig();
  t.is((await m.token('apps', 'web', tr(3607, 'a'))).status!.token, 't1');
  t.is((await m.token('apps', 'web', tr(3607, 'b'))).status!.token, 't2');
  t.is((await m.token('apps', 'web', tr(3607, 'a'))).status!.token, 't1');
  m.forgetPod('a');
  t.is((await m.token('apps', 'web', tr(3607, 'a'))).status!.token, 't3', 'a restarted kubelet or a new pod asks again');
});
