/** Playbook options: zod keys become CLI flags; CLI strings are validated; counts and percentages resolve. */
import test from 'ava';
import { z } from 'zod';
import { parseCountOrPercent, resolveCount } from '../../lib/core/budget.js';
import { countOrPercent, optionFlags, parseOptions } from '../../lib/core/options.js';

const schema = z.object({
  batchSize: countOrPercent.default(1).describe('workers per batch'),
  maxFailures: countOrPercent.default(0),
  waitReady: z.number().int().positive().default(120),
  keepBackup: z.boolean().optional(),
});

test('schema keys become kebab-case flags with their help and defaults; booleans take no value', (t) => {
  t.deepEqual(
    optionFlags(schema).map((f) => [f.flag, f.boolean, f.defaultValue, f.description]),
    [
      ['--batch-size', false, 1, 'workers per batch'],
      ['--max-failures', false, 0, ''],
      ['--wait-ready', false, 120, ''],
      ['--keep-backup', true, undefined, ''],
    ],
  );
});

test('CLI strings are converted and validated; bad values and unknown options are usage errors', (t) => {
  t.deepEqual(parseOptions(schema, { batchSize: '25%', maxFailures: '2', waitReady: '60', keepBackup: true }, 'recover'), {
    batchSize: '25%',
    maxFailures: 2,
    waitReady: 60,
    keepBackup: true,
  });
  t.deepEqual(parseOptions(schema, {}, 'recover'), { batchSize: 1, maxFailures: 0, waitReady: 120 });
  const bad = t.throws(() => parseOptions(schema, { batchSize: 'lots' }, 'recover'));
  t.is((bad as { code?: string }).code, 'EUSAGE');
  t.regex(bad!.message, /--batch-size/);
  t.throws(() => parseOptions(schema, { waitReady: '-3' }, 'recover'), { message: /--wait-ready/ });
  t.throws(() => parseOptions(schema, { nope: '1' }, 'recover'), { message: /has no option --nope/ });
  t.throws(() => parseOptions(undefined, { batchSize: '1' }, 'facts'), { message: /takes no options/ });
});

test('counts and percentages resolve against the number of hosts', (t) => {
  t.is(resolveCount('25%', 10, 1, { min: 1 }), 3, 'sizes round up');
  t.is(resolveCount('10%', 5, 0, { floor: true }), 0, 'budgets round down');
  t.is(resolveCount('1%', 3, 1, { min: 1 }), 1);
  t.is(resolveCount(undefined, 10, 7), 7);
  t.is(resolveCount(4, 10, 1), 4);
  t.throws(() => resolveCount('x%' as `${number}%`, 10, 1));
  t.is(parseCountOrPercent('3'), 3);
  t.is(parseCountOrPercent('50%'), '50%');
  t.throws(() => parseCountOrPercent('3x'));
});
