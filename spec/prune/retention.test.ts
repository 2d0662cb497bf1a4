/** The retention rule of `kubemend prune`: which runs' backups go, which stay and why (pure, no host). */
import test from 'ava';
import { parseRetention, retention, runTime } from '../../playbooks/prune/retention.js';

const NOW = new Date('2026-12-10T12:00:00Z');
const ids = ['20261101-080000-aaaa', '20261120-080000-bbbb', '20261201-080000-cccc', '20261208-080000-dddd', '20261210-110000-eeee'];
const runs = ids.map((id) => ({ id }));
const removed = (r: ReturnType<typeof retention>) => r.remove.map((x) => x.id);

test('run ids carry their start time (UTC); durations in days and weeks as well as Go durations', (t) => {
  t.deepEqual(runTime('20261101-080000-aaaa'), new Date('2026-11-01T08:00:00Z'));
  t.is(runTime('plan'), undefined);
  t.is(runTime('20261301-080000-aaaa'), undefined, 'no month 13');
  t.is(parseRetention('30d'), 30 * 86_400_000);
  t.is(parseRetention('2w'), 14 * 86_400_000);
  t.is(parseRetention('1h30m'), 5_400_000);
  t.is(parseRetention('soon'), undefined);
});

test('--keep N keeps the N newest; --older-than removes only older runs; both: only runs beyond the N newest AND older', (t) => {
  t.deepEqual(removed(retention(runs, { keep: 2 }, NOW)), ids.slice(0, 3));
  t.deepEqual(removed(retention(runs, { olderThanMs: parseRetention('14d') }, NOW)), ids.slice(0, 2));
  t.deepEqual(removed(retention(runs, { keep: 1, olderThanMs: parseRetention('5d') }, NOW)), ids.slice(0, 3));
  t.deepEqual(removed(retention(runs, { keep: 10 }, NOW)), []);
  t.deepEqual(removed(retention(runs, { keep: 0 }, NOW)), ids);
  const kept = retention(runs, { keep: 2 }, NOW).keep;
  t.deepEqual(
    kept.map((k) => `${k.id}: ${k.why}`),
    ['20261208-080000-dddd: one of the 2 newest', '20261210-110000-eeee: one of the 2 newest'],
  );
});

test('named runs (--runs) go whatever the rule; unfinished runs stay unless --include-unfinished; other folders are never touched', (t) => {
  const status = new Map([
    ['20261101-080000-aaaa', 'failed'],
    ['20261120-080000-bbbb', 'done'],
  ]);
  const all = [...runs, { id: 'lost+found' }, { id: '..' }];
  const r = retention(all, { keep: 1, runs: ['20261208-080000-dddd'] }, NOW, status);
  t.deepEqual(removed(r), ['20261120-080000-bbbb', '20261201-080000-cccc', '20261208-080000-dddd']);
  t.deepEqual(
    r.keep.map((k) => `${k.id}: ${k.why}`),
    [
      '20261101-080000-aaaa: unfinished (failed): its backups may still be needed; --include-unfinished removes it',
      '20261210-110000-eeee: one of the 1 newest',
      'lost+found: not a kubemend run id: left alone',
      '..: not a kubemend run id: left alone',
    ],
  );
  t.deepEqual(removed(retention(runs, { keep: 1, includeUnfinished: true }, NOW, status)), ids.slice(0, 4));
});
