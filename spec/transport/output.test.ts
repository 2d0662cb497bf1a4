/** Output bounding: the head is kept up to the limit, the rest counted, whatever the chunking. */
import test from 'ava';
import fc from 'fast-check';
import { BoundedOutput } from '../../lib/transport/output.js';

test('keeps the head up to the limit and counts the rest', (t) => {
  const o = new BoundedOutput(5);
  o.push(Buffer.from('abc'));
  o.push(Buffer.from('defg'));
  o.push(Buffer.from('hij'));
  t.is(o.buffer().toString(), 'abcde');
  t.is(o.dropped, 5);
  t.is(o.total, 10);
  t.true(o.truncated);
});

test('under the limit nothing is cut', (t) => {
  const o = new BoundedOutput(10);
  o.push(Buffer.from('0123456789'));
  t.is(o.buffer().toString(), '0123456789');
  t.false(o.truncated);
});

test('any chunking gives the same head and count', (t) => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 20 }), fc.nat(300), (chunks, limit) => {
      const o = new BoundedOutput(limit);
      for (const c of chunks) o.push(Buffer.from(c));
      const all = Buffer.concat(chunks.map((c) => Buffer.from(c)));
      return o.buffer().equals(all.subarray(0, limit)) && o.dropped === Math.max(0, all.length - limit) && o.truncated === all.length > limit;
    }),
  );
  t.pass();
});
