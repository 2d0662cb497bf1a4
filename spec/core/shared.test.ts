import test from 'ava';
import { Shared, sharedKey } from '../../lib/core/shared.js';

const N = sharedKey<number>('n');
const P = sharedKey<Promise<string>>('p');

test('a value is read back under its key; another key, or a deleted one, has none', (t) => {
  const s = new Shared();
  s.set(N, 3);
  t.is(s.get(N), 3);
  t.true(s.has(N));
  t.is(s.get(sharedKey<number>('m')), undefined);
  s.delete(N);
  t.false(s.has(N));
});

test('once: every caller shares the first promise; `make` runs once', async (t) => {
  const s = new Shared();
  let made = 0;
  const make = async () => `v${++made}`;
  const [a, b] = await Promise.all([s.once(P, make), s.once(P, make)]);
  t.deepEqual([a, b, made], ['v1', 'v1', 1]);
});

test('once: a rejected promise is forgotten, so the next caller tries again', async (t) => {
  const s = new Shared();
  let made = 0;
  await t.throwsAsync(
    s.once(P, async () => {
      made++;
      throw new Error('blip');
    }),
    { message: 'blip' },
  );
  t.false(s.has(P));
  t.is(await s.once(P, async () => `v${++made}`), 'v2');
});

test('once: a rejection does not remove a value set under the key since', async (t) => {
  const s = new Shared();
  let fail!: (e: Error) => void;
  const first = s.once(
    P,
    () =>
      new Promise<string>((_, rej) => {
        fail = rej;
      }),
  );
  s.set(P, Promise.resolve('newer'));
  fail(new Error('late'));
  await t.throwsAsync(first);
  t.is(await s.get(P), 'newer');
});
