/** The Python bits of Ansible's INI parser: shlex.split(comments=True) and ast.literal_eval, as Python 3.11 gives them. */
import test from 'ava';
import { ShlexError, iniValue, literalEval, shlexSplit } from '../../lib/inventory/py-syntax.js';

test('shlexSplit: quotes, escapes, and # starting a comment even inside a word', (t) => {
  t.deepEqual(shlexSplit(`w1 ansible_host='10.0.0.1' x="a b"`), ['w1', 'ansible_host=10.0.0.1', 'x=a b']);
  t.deepEqual(shlexSplit('w1 a=1#comment b=2'), ['w1', 'a=1']);
  t.deepEqual(shlexSplit('w1 # a comment'), ['w1']);
  t.deepEqual(shlexSplit(`w1 x='#not a comment'`), ['w1', 'x=#not a comment']);
  t.deepEqual(shlexSplit(`a\\ b "c\\"d" "e\\f" ''`), ['a b', 'c"d', 'e\\f', '']);
  t.throws(() => shlexSplit('w1 x="open'), { instanceOf: ShlexError, message: /no closing quotation/ });
  t.throws(() => shlexSplit('w1 x\\'), { instanceOf: ShlexError });
});

test('iniValue: Python literals become values, anything else stays the string', (t) => {
  t.is(iniValue('2222'), 2222);
  t.is(iniValue('-5'), -5);
  t.is(iniValue('1_000'), 1000);
  t.is(iniValue('0x1f'), 31);
  t.is(iniValue('1.5'), 1.5);
  t.is(iniValue('True'), true);
  t.is(iniValue('None'), null);
  t.is(iniValue('true'), 'true'); // a Name, not a literal: Python's literal_eval refuses it
  t.is(iniValue("'admin'"), 'admin');
  t.is(iniValue('"a" \'b\''), 'ab');
  t.is(iniValue('0022'), '0022'); // leading zeros are a SyntaxError in Python 3
  t.is(iniValue('10.0.0.1'), '10.0.0.1');
  t.is(iniValue('1 # a comment'), 1);
  t.is(iniValue('abc # c'), 'abc # c');
  t.deepEqual(iniValue('{"pool": "gpu", \'n\': [1, 2.0, None]}'), { pool: 'gpu', n: [1, 2, null] });
  t.deepEqual(iniValue('(1,)'), [1]);
  t.is(iniValue('(1)'), 1);
  t.is(iniValue('{"a": true}'), '{"a": true}');
  t.is(literalEval('1 +'), undefined);
});
