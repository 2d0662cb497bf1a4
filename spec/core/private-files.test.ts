/**
 * Files kubemend writes on the laptop (run files of playbooks, `plan --out`, the run folder with
 * its plan, journal and log) are 0600 in 0700 folders whatever the umask, and also when the file
 * existed before with a looser mode (writeFileSync's `mode` only applies to a file it creates).
 */
import test from 'ava';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PhaseContext } from '../../lib/core/types.js';
import { writeRunFile } from '../../playbooks/shared/run-files.js';
import { FAKE_MAIN, cli } from '../cli/run-cli.js';
import { underUmask } from '../helpers/umask.js';
import { RUN, Shared } from '../../lib/core/shared.js';

const mode = (f: string) => statSync(f).mode & 0o777;

test.serial('writeRunFile: a new run file and an existing 0644 one are 0600, even with umask 0', async (t) => {
  const dir = tempDir(join(tmpdir(), 'km-runfile-'));
  const shared = new Shared();
  shared.set(RUN, { id: 'r1', dir });
  const ctx = { shared } as unknown as PhaseContext;
  await underUmask(0, () => writeRunFile(ctx, 'pods-before.json', { a: 1 }));
  t.is(mode(join(dir, 'pods-before.json')), 0o600);
  t.deepEqual(JSON.parse(readFileSync(join(dir, 'pods-before.json'), 'utf8')), { a: 1 });
  writeFileSync(join(dir, 'old.json'), '{}', { mode: 0o644 });
  await underUmask(0, () => writeRunFile(ctx, 'old.json', { b: 2 }));
  t.is(mode(join(dir, 'old.json')), 0o600);
  t.deepEqual(JSON.parse(readFileSync(join(dir, 'old.json'), 'utf8')), { b: 2 });
});

test.serial('plan --out over an existing 0644 file leaves it 0600, even with umask 0', async (t) => {
  const dir = tempDir(join(tmpdir(), 'km-planout-'));
  const out = join(dir, 'plan.json');
  writeFileSync(out, 'old', { mode: 0o644 });
  const r = await underUmask(0, () => cli(FAKE_MAIN, ['plan', 'hello', '-i', 'x', '--out', out]));
  t.is(r.code, 0, r.stderr);
  t.is(mode(out), 0o600);
  t.is(JSON.parse(readFileSync(out, 'utf8')).kind, 'kubemend-plan');
  const fresh = join(dir, 'fresh.json');
  t.is((await underUmask(0, () => cli(FAKE_MAIN, ['plan', 'hello', '-i', 'x', '--out', fresh]))).code, 0);
  t.is(mode(fresh), 0o600);
});

test.serial('a run under umask 0: state folders 0700; plan.json, journal and run.log 0600', async (t) => {
  const base = tempDir(join(tmpdir(), 'km-runmodes-'));
  const state = join(base, 'not-yet', 'runs');
  const r = await underUmask(0, () => cli(FAKE_MAIN, ['run', 'hello', '-i', 'x', '--yes', '--state-dir', state]));
  t.is(r.code, 0, r.stderr);
  t.is(mode(join(base, 'not-yet')), 0o700);
  t.is(mode(state), 0o700);
  const [id] = readdirSync(state);
  t.truthy(id);
  const dir = join(state, id!);
  t.is(mode(dir), 0o700);
  for (const f of readdirSync(dir)) t.is(mode(join(dir, f)), 0o600, f);
  t.true(readdirSync(dir).includes('plan.json'));
});
