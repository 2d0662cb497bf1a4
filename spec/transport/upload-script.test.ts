/**
 * The script behind an upload through sudo (SUDO_UPLOAD_SCRIPT), run here with the machine's sh:
 * the file is replaced only by exactly the bytes sent (size and sha256 checked), and an interrupted
 * or cut-short upload leaves neither its temp file (part of a ca.key, say) nor a truncated target.
 */
import test from 'ava';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sudoUploadArgv } from '../../lib/transport/sudo-upload.js';

/** Start the upload script as the transport would run it (argv from sudoUploadArgv), in its own process group. */
function start(
  path: string,
  data: Buffer,
  mode = 0o600,
): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stderr: string }>; tmp: string } {
  const argv = sudoUploadArgv(path, data, mode);
  const tmp = argv[5]!;
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, done, tmp };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!cond()) throw new Error('condition not met in 5 s');
}

test('the whole input: the file has exactly those bytes and the mode, no temp file left', async (t) => {
  const dir = tempDir(join(tmpdir(), 'km-upload-'));
  for (const data of [Buffer.concat([randomBytes(200_000), Buffer.from([0, 10, 13, 255])]), Buffer.alloc(0)]) {
    const path = join(dir, `f-${data.length}`);
    const u = start(path, data, 0o640);
    u.child.stdin!.end(data);
    const r = await u.done;
    t.is(r.code, 0, r.stderr);
    t.deepEqual(readFileSync(path), data);
    t.is(statSync(path).mode & 0o777, 0o640);
  }
  t.deepEqual(readdirSync(dir).sort(), ['f-0', 'f-200004']);
});

test('input cut short (the connection dropped: cat sees EOF): the old file stays, no temp file', async (t) => {
  const dir = tempDir(join(tmpdir(), 'km-upload-'));
  const path = join(dir, 'ca.key');
  writeFileSync(path, 'the old key\n');
  const data = randomBytes(10_000);
  const u = start(path, data);
  u.child.stdin!.end(data.subarray(0, 4096));
  const r = await u.done;
  t.not(r.code, 0);
  t.regex(r.stderr, /received 4096 of 10000 bytes/);
  t.is(readFileSync(path, 'utf8'), 'the old key\n');
  t.deepEqual(readdirSync(dir), ['ca.key']);
});

test('the same number of bytes but other bytes: refused by the sha256 check', async (t) => {
  const dir = tempDir(join(tmpdir(), 'km-upload-'));
  const path = join(dir, 'x');
  const u = start(path, Buffer.from('abcd'));
  u.child.stdin!.end(Buffer.from('abce'));
  const r = await u.done;
  t.not(r.code, 0);
  t.regex(r.stderr, /sha256/);
  t.deepEqual(readdirSync(dir), []);
});

for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
  test(`${signal} to the session mid-upload: the partial temp file is removed, the target untouched`, async (t) => {
    const dir = tempDir(join(tmpdir(), 'km-upload-'));
    const path = join(dir, 'ca.key');
    const data = randomBytes(100_000);
    const u = start(path, data);
    u.child.stdin!.write(data.subarray(0, 50_000));
    await until(() => existsSync(u.tmp) && statSync(u.tmp).size > 0);
    process.kill(-u.child.pid!, signal);
    const r = await u.done;
    t.true(r.code !== 0 || r.signal !== null);
    t.false(existsSync(u.tmp), 'the temp file is left behind');
    t.false(existsSync(path));
    t.deepEqual(readdirSync(dir), []);
  });
}
